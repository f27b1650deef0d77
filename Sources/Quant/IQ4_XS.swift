import GGUF

/// IQ4_XS: 256 weights in 8 groups of 32, IQ4_NL's non-linear 4-bit levels with a 6-bit scale per group.
///
///     struct block_iq4_xs { f16 d; u16 scales_h; u8 scales_l[4]; u8 qs[128]; }  // 2+2+4+128 = 136 bytes, 4.25 bits per weight
///     ls_g = (scales_l[g/2] >> 4*(g%2) & 0xF) | ((scales_h >> 2g) & 3) << 4      // g in 0..<8
///     w[32g + j]      = d * (ls_g - 32) * kvalues_iq4nl[qs[16g + j] & 0xF]       // j in 0..<16
///     w[32g + 16 + j] = d * (ls_g - 32) * kvalues_iq4nl[qs[16g + j] >> 4]
/// Dot product partner: Q8_K.
enum IQ4_XS: WeightedBlockFormat {
    static let type = GGMLType.iq4_xs
    static let blockSize = 256
    static let typeSize = 2 + 2 + 4 + 128

    @inline(__always) static func groupScale(_ b: UnsafePointer<UInt8>, _ g: Int) -> Int32 {
        Int32((b[4 + g / 2] >> (4 * UInt8(g % 2))) & 0xF) | Int32((b.u16(2) >> (2 * UInt16(g))) & 3) << 4
    }

    static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let x = bytes(src)
        kvaluesIQ4NL.withUnsafeBufferPointer { kv in
            for i in 0..<(count / 256) {
                let b = x + i * typeSize
                let d = b.f16(0)
                for g in 0..<8 {
                    let dl = d * Float(groupScale(b, g) - 32)
                    let q = b + 8 + 16 * g, y = dst + 256 * i + 32 * g
                    for j in 0..<16 {
                        y[j] = dl * Float(kv[Int(q[j] & 0xF)])
                        y[j + 16] = dl * Float(kv[Int(q[j] >> 4)])
                    }
                }
            }
        }
    }

    /// ggml's `quantize_iq4_xs`.
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int,
                         weights: UnsafePointer<Float>?) {
        let out = mbytes(dst)
        for i in 0..<(count / 256) {
            let b = out + i * typeSize
            quantizeIQ4Superblock(size: 256, src + 256 * i, b, scalesH: b + 2, scalesL: b + 4, qs: b + 8,
                                  weights: weights.map { $0 + 256 * i }, ntry: 7)
        }
    }

    /// Portable dot product with Q8_K, in ggml's order: per pair of groups, d*d_a*(ls-32) times the integer sums.
    static func vecDotQ8_K(_ n: Int, _ vx: UnsafeRawPointer, _ vy: UnsafeRawPointer) -> Float {
        let x = bytes(vx), y = bytes(vy)
        return kvaluesIQ4NL.withUnsafeBufferPointer { kv in
            var sumf: Float = 0
            for i in 0..<(n / 256) {
                let b = x + i * typeSize, a = y + i * Q8_K.typeSize
                let d4d8 = b.f16(0) * Q8_K.d(a)
                for g in 0..<8 {
                    let dl = d4d8 * Float(groupScale(b, g) - 32)
                    let q = b + 8 + 16 * g, q8 = a + 4 + 32 * g
                    var s1: Int32 = 0, s2: Int32 = 0
                    for j in 0..<16 {
                        s1 &+= q8.i8(j) * Int32(kv[Int(q[j] & 0xF)])
                        s2 &+= q8.i8(16 + j) * Int32(kv[Int(q[j] >> 4)])
                    }
                    sumf += dl * Float(s1 &+ s2)
                }
            }
            return sumf
        }
    }
}
