import GGUF

/// TQ2_0: 256 ternary weights (-1, 0, 1) times one scale, 2 bits each.
///
///     struct block_tq2_0 { u8 qs[64]; f16 d; }   // 64 + 2 = 66 bytes, 2.0625 bits per weight
///     w[128c + 32l + m] = d * (((qs[32c + m] >> 2l) & 3) - 1)   // c in 0..<2, l in 0..<4, m in 0..<32
/// Importance weights are ignored (as in ggml). Dot product partner: Q8_K.
enum TQ2_0: BlockFormat {
    static let type = GGMLType.tq2_0
    static let blockSize = 256
    static let typeSize = 64 + 2

    static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let x = bytes(src)
        var y = dst
        for i in 0..<(count / 256) {
            let b = x + i * typeSize
            let d = b.f16(64)
            for j in stride(from: 0, to: 64, by: 32) {
                for l in 0..<4 {
                    for m in 0..<32 { y[m] = Float(Int32((b[j + m] >> (2 * UInt8(l))) & 3) - 1) * d }
                    y += 32
                }
            }
        }
    }

    /// ggml's `quantize_row_tq2_0_ref`: d = amax, trits = lround(x / d).
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int) {
        let out = mbytes(dst)
        var x = src
        for i in 0..<(count / 256) {
            let b = out + i * typeSize
            var amax: Float = 0
            for j in 0..<256 { amax = Swift.max(amax, abs(x[j])) }
            let id: Float = amax != 0 ? 1 / amax : 0
            b.storeU16(floatToFP16(amax), 64)
            for j in stride(from: 0, to: 64, by: 32) {
                for m in 0..<32 {
                    var q: UInt8 = 0
                    for n in 0..<4 {
                        let xi = truncToInt32(roundHalfAwayFromZero(x[m + 32 * n] * id)) &+ 1
                        q &+= UInt8(truncatingIfNeeded: (xi & 3) << (2 * Int32(n)))
                    }
                    b[j + m] = q
                }
                x += 128
            }
        }
    }

    /// Portable dot product with Q8_K: d * d_a * sum((t - 1) * q_a).
    static func vecDotQ8_K(_ n: Int, _ vx: UnsafeRawPointer, _ vy: UnsafeRawPointer) -> Float {
        let x = bytes(vx), y = bytes(vy)
        var sumf: Float = 0
        for i in 0..<(n / 256) {
            let b = x + i * typeSize, a = y + i * Q8_K.typeSize
            var sumi: Int32 = 0
            for j in stride(from: 0, to: 64, by: 32) {
                for l in 0..<4 {
                    for k in 0..<32 {
                        sumi &+= a.i8(4 + 4 * j + 32 * l + k) * (Int32((b[j + k] >> (2 * UInt8(l))) & 3) - 1)
                    }
                }
            }
            sumf += Float(sumi) * (Q8_K.d(a) * b.f16(64))
        }
        return sumf
    }
}
