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

    /// Importance weights come from a file: zero, negative, huge and non-finite weights (and
    /// non-finite values) must never trap either, and give whole blocks of the right size.
    func testExtremeImportanceWeightsDoNotTrap() {
        var g = SplitMix64(seed: 3)
        let n = 512
        let x = (0..<n).map { _ in Float.random(in: -1...1, using: &g) }
        var xBad = x
        xBad[3] = .nan; xBad[260] = .infinity; xBad[261] = -3e38; xBad[262] = 3e38
        let weightSets: [[Float]] = [
            [Float](repeating: 0, count: n), [Float](repeating: -1, count: n), [Float](repeating: 3e38, count: n),
            (0..<n).map { $0 % 3 == 0 ? .nan : $0 % 3 == 1 ? .infinity : 1 }, (0..<n).map { Float($0 % 7) },
        ]
        for t in QuantKernels.supportedTypes {
            let k = QuantKernels.kernel(for: t, isa: .portable)!
            guard k.quantizeWeighted != nil else { continue }
            for w in weightSets {
                for values in [x, xBad] {
                    let q = k.quantize(values, rowLength: n, weights: w)
                    XCTAssertEqual(q.count, k.rowBytes(n), "\(t)")
                    XCTAssertEqual(k.dequantize(q).count, n, "\(t)")
                }
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
