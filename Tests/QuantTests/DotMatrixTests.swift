import GGUF
import Quant
import XCTest

/// `dotMatrix` (the matmul entry: C row loops and specialised block-of-rows kernels) equals
/// `vecDot` bit for bit, at every ISA this CPU runs, for one and several activation rows.
final class DotMatrixTests: XCTestCase {
    func testDotMatrixMatchesVecDot() {
        var g = SplitMix64(seed: 5)
        for n in [576, 640, 1536] {
            for type in QuantKernels.supportedTypes where n % type.blockSize == 0 && type != .q8_1 && type != .q8_K {
                for isa in QuantISA.allCases where isa.isAvailable {
                    let k = QuantKernels.kernel(for: type, isa: isa)!
                    let a = QuantKernels.kernel(for: k.vecDotType, isa: isa)!
                    let rows = 7, tokens = 3
                    let w = k.quantize((0..<(n * rows)).map { _ in Float.random(in: -1...1, using: &g) })
                    let xs = (0..<tokens).map { _ in a.quantizeActivations((0..<n).map { _ in Float.random(in: -2...2, using: &g) }) }
                    let x = xs.flatMap { $0 }
                    let rb = k.rowBytes(n)!, ab = xs[0].count
                    var out = [Float](repeating: .nan, count: rows * tokens)
                    w.withUnsafeBytes { wp in x.withUnsafeBytes { xp in out.withUnsafeMutableBufferPointer { op in
                        k.dotMatrix(count: n, weights: wp.baseAddress!, rowStride: rb, rows: rows, activations: xp.baseAddress!,
                                    activationStride: ab, tokens: tokens, into: op.baseAddress!, outStride: rows)
                    } } }
                    for r in 0..<rows {
                        for t in 0..<tokens {
                            let want = k.vecDot(count: n, weights: Array(w[(r * rb)..<((r + 1) * rb)]), activations: xs[t])
                            XCTAssertEqual(out[t * rows + r].bitPattern, want.bitPattern, "\(type) \(isa) n=\(n) row \(r) token \(t)")
                        }
                    }
                }
            }
        }
    }
}
