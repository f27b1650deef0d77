import GGUF

/// Q8_0: 32 weights, symmetric 8-bit; also the activation format for Q4_0, Q5_0 and Q8_0 dots.
///
///     struct block_q8_0 { f16 d; i8 qs[32]; }   // 2 + 32 = 34 bytes, 8.5 bits per weight
///     w[j] = d * qs[j],  d = amax / 127
/// Two quantizers:
/// - `quantize` is ggml's `quantize_row_q8_0_ref` (id = 1/d, `roundf` half away from zero): the
///   one used for weight files.
/// - `quantizeActivation` is ggml-cpu's x86 `quantize_row_q8_0` (id = 127/amax, round half to
///   even), which is what llama.cpp runs on every AVX machine to quantize activations. Results can
///   differ from the reference in the last unit; we follow llama.cpp on all paths, including the
///   portable one, so results never depend on the CPU.
enum Q8_0: BlockFormat {
    static let type = GGMLType.q8_0
    static let blockSize = 32
    static let typeSize = 2 + 32

    static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let x = bytes(src)
        for i in 0..<(count / 32) {
            let b = x + i * typeSize
            let d = b.f16(0)
            for j in 0..<32 { dst[i * 32 + j] = Float(b.i8(2 + j)) * d }
        }
    }

    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int) {
        let out = mbytes(dst)
        for i in 0..<(count / 32) {
            let x = src + i * 32
            let b = out + i * typeSize
            var amax: Float = 0
            for j in 0..<32 { amax = Swift.max(amax, abs(x[j])) }
            let d = amax / 127
            let id: Float = d != 0 ? 1.0 / d : 0
            b.storeU16(floatToFP16(d), 0)
            for j in 0..<32 { b[2 + j] = truncToByte(roundHalfAwayFromZero(x[j] * id)) }
        }
    }

    static func quantizeActivation(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int) {
        let out = mbytes(dst)
        for i in 0..<(count / 32) {
            let x = src + i * 32
            let b = out + i * typeSize
            var amax: Float = 0
            for j in 0..<32 { amax = maxps(amax, abs(x[j])) }
            let d = amax / 127
            let id: Float = amax != 0 ? 127 / amax : 0
            b.storeU16(floatToFP16(d), 0)
            for j in 0..<32 { b[2 + j] = saturatingByte(roundHalfEven(x[j] * id)) }
        }
    }

    /// Portable dot product of two Q8_0 rows.
    static func vecDotQ8_0(_ n: Int, _ vx: UnsafeRawPointer, _ vy: UnsafeRawPointer) -> Float {
        let x = bytes(vx), y = bytes(vy)
        var sumf: Float = 0
        for ib in 0..<(n / 32) {
            let bx = x + ib * typeSize, by = y + ib * typeSize
            var sumi: Int32 = 0
            for j in 0..<32 { sumi &+= bx.i8(2 + j) * by.i8(2 + j) }
            sumf += Float(sumi) * (bx.f16(0) * by.f16(0))
        }
        return sumf
    }
}

/// x86 `maxps` semantics (second operand when either is NaN), as `_mm256_max_ps(acc, v)` gives.
@inline(__always) func maxps(_ a: Float, _ b: Float) -> Float { a > b ? a : b }

/// Round half to even without a libcall (baseline x86_64 has no `roundss`): the 1.5*2^23 trick is
/// exact for |v| < 2^22; larger values, infinities and NaN take the slow path.
@inline(__always) func roundHalfEven(_ v: Float) -> Float {
    if abs(v) < 4194304 { return (v + 12582912.0) - 12582912.0 }
    return v.rounded(.toNearestOrEven)
}

/// `_mm256_cvtps_epi32` then `packs` to int8: an already-rounded float to a saturated byte.
@inline(__always) func saturatingByte(_ f: Float) -> UInt8 {
    let i = truncToInt32(f)
    return UInt8(bitPattern: Int8(Swift.max(-128, Swift.min(127, i))))
}
