import GGUF
import Quant
import XCTest

/// Activation quantizers (`fromFloat`): Q8_0/Q8_1 follow ggml-cpu's x86 code, Q8_K the reference.
final class ActivationTests: XCTestCase {
    func testQ8_0ActivationRoundsHalfToEvenLikeGGMLCPU() {
        var x = [Float](repeating: 0, count: 32)
        x[0] = 127; x[1] = 2.5; x[2] = -3.5; x[3] = 0.5
        let k = QuantKernels.kernel(for: .q8_0)!
        let ref = k.quantize(x), act = k.quantizeActivations(x)
        // d = 1 in both; reference uses roundf (half away from zero), ggml-cpu x86 uses round-half-even.
        XCTAssertEqual(Array(ref[2..<6]).map { Int8(bitPattern: $0) }, [127, 3, -4, 1])
        XCTAssertEqual(Array(act[2..<6]).map { Int8(bitPattern: $0) }, [127, 2, -4, 0])
        XCTAssertEqual(Array(ref[0..<2]), Array(act[0..<2]))
    }

    func testQ8_1StoresScaledSum() {
        var g = SplitMix64(seed: 3)
        let x = (0..<64).map { _ in Float.random(in: -1...1, using: &g) }
        for a in [QuantKernels.kernel(for: .q8_1)!.quantizeActivations(x), QuantKernels.kernel(for: .q8_1)!.quantize(x)] {
            for b in 0..<2 {
                let d = fp16ToFloat(UInt16(a[36 * b]) | UInt16(a[36 * b + 1]) << 8)
                let s = UInt16(a[36 * b + 2]) | UInt16(a[36 * b + 3]) << 8
                let sum = (0..<32).reduce(0) { $0 + Int(Int8(bitPattern: a[36 * b + 4 + $1])) }
                // s = fp16(amax/127 * Σq) uses the unrounded d, so it agrees with the stored d to fp16 precision.
                let expected = d * Float(sum)
                XCTAssertLessThanOrEqual(abs(fp16ToFloat(s) - expected), abs(expected) * 0.002 + 1e-7)
            }
        }
    }

    func testQ8_KRoundTripAndBsums() {
        var g = SplitMix64(seed: 4)
        var x = (0..<512).map { _ in Float.random(in: -3...3, using: &g) }
        for i in 256..<512 { x[i] = 0 }                    // an all-zero block
        let k = QuantKernels.kernel(for: .q8_K)!
        let a = k.quantizeActivations(x)
        let y = k.dequantize(a)
        let d0 = abs(Float(bitPattern: UInt32(a[0]) | UInt32(a[1]) << 8 | UInt32(a[2]) << 16 | UInt32(a[3]) << 24))
        for i in 0..<256 { XCTAssertLessThanOrEqual(abs(y[i] - x[i]), d0 * 0.5001) }
        for i in 256..<512 { XCTAssertEqual(y[i], 0) }
        for gi in 0..<16 {
            let sum = (0..<16).reduce(0) { $0 + Int(Int8(bitPattern: a[4 + 16 * gi + $1])) }
            XCTAssertEqual(Int(Int16(bitPattern: UInt16(a[260 + 2 * gi]) | UInt16(a[261 + 2 * gi]) << 8)), sum)
        }
    }

    func testQuantizeRowEntryPoint() {
        var g = SplitMix64(seed: 8)
        let x = (0..<256).map { _ in Float.random(in: -1...1, using: &g) }
        for t in [GGMLType.q8_0, .q8_1, .q8_K, .f16, .bf16, .f32] {
            let k = QuantKernels.kernel(for: t)!
            var out = [UInt8](repeating: 0, count: k.rowBytes(256)!)
            x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBytes { QuantKernels.quantizeRow(xp.baseAddress!, count: 256, to: t, dst: $0.baseAddress!) } }
            XCTAssertEqual(out, k.quantizeActivations(x), "\(t)")
        }
    }
}
