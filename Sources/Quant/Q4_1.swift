import GGUF

/// Q4_1: 32 weights, 4-bit with a minimum.
///
///     struct block_q4_1 { f16 d; f16 m; u8 qs[16]; }   // 2 + 2 + 16 = 20 bytes, 5 bits per weight
///     w[j]      = d * (qs[j] & 0xF) + m              // j in 0..<16
///     w[j + 16] = d * (qs[j] >> 4)  + m
///     d = (max - min) / 15, m = min.
/// Dot product partner: Q8_1 (its `s` = d_a * sum(q_a) carries the min term).
enum Q4_1: BlockFormat {
    static let type = GGMLType.q4_1
    static let blockSize = 32
    static let typeSize = 2 + 2 + 16

    static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let x = bytes(src)
        for i in 0..<(count / 32) {
            let b = x + i * typeSize
            let d = b.f16(0), m = b.f16(2)
            let y = dst + i * 32
            for j in 0..<16 {
                let q = b[4 + j]
                y[j] = Float(q & 0x0F) * d + m
                y[j + 16] = Float(q >> 4) * d + m
            }
        }
    }

    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int) {
        let out = mbytes(dst)
        for i in 0..<(count / 32) {
            let x = src + i * 32
            let b = out + i * typeSize
            var min = Float.greatestFiniteMagnitude, max = -Float.greatestFiniteMagnitude
            for j in 0..<32 {
                if x[j] < min { min = x[j] }
                if x[j] > max { max = x[j] }
            }
            let d = (max - min) / 15
            let id: Float = d != 0 ? 1.0 / d : 0
            b.storeU16(floatToFP16(d), 0)
            b.storeU16(floatToFP16(min), 2)
            for j in 0..<16 {
                let x0 = (x[j] - min) * id, x1 = (x[j + 16] - min) * id
                let xi0 = Swift.min(15, Int8(bitPattern: truncToByte(x0 + 0.5)))
                let xi1 = Swift.min(15, Int8(bitPattern: truncToByte(x1 + 0.5)))
                b[4 + j] = UInt8(bitPattern: xi0) | UInt8(bitPattern: xi1) << 4
            }
        }
    }

    /// Portable dot product with Q8_1 activations: sum over blocks of d_w*d_a*sumi + m_w*s_a.
    static func vecDotQ8_1(_ n: Int, _ vx: UnsafeRawPointer, _ vy: UnsafeRawPointer) -> Float {
        let x = bytes(vx), y = bytes(vy)
        var sumf: Float = 0
        for ib in 0..<(n / 32) {
            let bx = x + ib * typeSize, by = y + ib * Q8_1.typeSize
            var sumi: Int32 = 0
            for j in 0..<16 {
                let q = bx[4 + j]
                sumi &+= Int32(q & 0x0F) * by.i8(4 + j) + Int32(q >> 4) * by.i8(4 + j + 16)
            }
            sumf += (bx.f16(0) * by.f16(0)) * Float(sumi) + bx.f16(2) * by.f16(2)
        }
        return sumf
    }
}
