import GGUF
import Quant
import XCTest

final class RobustnessTests: XCTestCase {
    /// Non-finite and extreme inputs must never trap (C's float->int conversions are emulated).
    func testExtremeInputsDoNotTrap() {
        var x = [Float](repeating: 0.25, count: 512)
        x[0] = .nan; x[40] = .infinity; x[300] = -.infinity; x[301] = 3e38; x[302] = -3e38; x[400] = 1e-40
        for t in QuantKernels.supportedTypes {
            for isa in QuantISA.allCases where isa.isAvailable {
                let k = QuantKernels.kernel(for: t, isa: isa)!
                _ = k.dequantize(k.quantize(x))
                _ = k.dequantize(k.quantizeActivations(x))
            }
        }
    }

    func testDotRowsMatchesVecDot() {
        var g = SplitMix64(seed: 11)
        let n = 512, rows = 5
        let k = QuantKernels.kernel(for: .q4_K)!
        let w = k.quantize((0..<(n * rows)).map { _ in Float.random(in: -1...1, using: &g) })
        let a = QuantKernels.kernel(for: .q8_K)!.quantizeActivations((0..<n).map { _ in Float.random(in: -1...1, using: &g) })
        var out = [Float](repeating: 0, count: rows)
        w.withUnsafeBytes { wp in a.withUnsafeBytes { ap in out.withUnsafeMutableBufferPointer { op in
            k.dotRows(count: n, weights: wp.baseAddress!, rowStride: k.rowBytes(n)!, rows: rows, activations: ap.baseAddress!, into: op.baseAddress!)
        } } }
        let rb = k.rowBytes(n)!
        for r in 0..<rows {
            XCTAssertEqual(out[r], k.vecDot(count: n, weights: Array(w[(r * rb)..<((r + 1) * rb)]), activations: a))
        }
    }
}
