import GGUF
import Quant
import XCTest

/// `dotMatrix` (the matmul entry: C row loops and specialised block-of-rows kernels) equals
/// `vecDot` bit for bit, at every ISA this CPU runs, for one and several activation rows.
/// Q4_K and Q6_K follow llama.cpp's batch split (Q4_K: whole groups of four tokens in the
/// repacked gemm's order; Q6_K: 8+ tokens in the tiled order): those entries differ from `vecDot`
/// in the last bits only, and the rest equal it.
final class DotMatrixTests: XCTestCase {
    func testBatchOrderOfQ4KAndQ6K() throws {
        var g = SplitMix64(seed: 9)
        let n = 1024, rows = 5
        for (type, tokens, exactFrom) in [(GGMLType.q4_K, 9, 8), (.q4_K, 3, 0), (.q6_K, 9, 9), (.q6_K, 7, 0)] {
            for isa in QuantISA.allCases where isa.isAvailable && isa != .portable {
                let k = QuantKernels.kernel(for: type, isa: isa)!
                XCTAssertNotNil(k.cMatDot, "\(type) \(isa)")
                let a = QuantKernels.kernel(for: k.vecDotType, isa: isa)!
                let w = k.quantize((0..<(n * rows)).map { _ in Float.random(in: -1...1, using: &g) })
                let xs = (0..<tokens).map { _ in a.quantizeActivations((0..<n).map { _ in Float.random(in: -2...2, using: &g) }) }
                let x = xs.flatMap { $0 }
                let rb = k.rowBytes(n)!, ab = xs[0].count
                var out = [Float](repeating: .nan, count: rows * tokens)
                w.withUnsafeBytes { wp in x.withUnsafeBytes { xp in out.withUnsafeMutableBufferPointer { op in
                    k.dotMatrix(count: n, weights: wp.baseAddress!, rowStride: rb, rows: rows, activations: xp.baseAddress!,
                                activationStride: ab, tokens: tokens, into: op.baseAddress!, outStride: rows)
                } } }
                var differing = 0
                for r in 0..<rows {
                    for t in 0..<tokens {
                        let want = k.vecDot(count: n, weights: Array(w[(r * rb)..<((r + 1) * rb)]), activations: xs[t])
                        let got = out[t * rows + r]
                        if t >= exactFrom {
                            XCTAssertEqual(got.bitPattern, want.bitPattern, "\(type) \(isa) tokens=\(tokens) row \(r) token \(t)")
                        } else {
                            XCTAssertEqual(got, want, accuracy: 2e-4 * max(1, abs(want)), "\(type) \(isa) row \(r) token \(t)")
                            if got != want { differing += 1 }
                        }
                    }
                }
                // The batch order is really another order (not vecDot called again).
                if exactFrom > 0 { XCTAssertGreaterThan(differing, 0, "\(type) \(isa): batch entries should take llama.cpp's batch order") }
            }
        }
    }

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
