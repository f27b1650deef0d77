import GGUF

/// Q5_1: 32 weights, 5-bit with a minimum.
///
///     struct block_q5_1 { f16 d; f16 m; u8 qh[4]; u8 qs[16]; }   // 2 + 2 + 4 + 16 = 24 bytes, 6 bits per weight
///     w[j]      = d * ((qs[j] & 0xF) | h(j)      << 4) + m      // j in 0..<16, h(j) = bit j of qh
///     w[j + 16] = d * ((qs[j] >> 4)  | h(j + 16) << 4) + m
///     d = (max - min) / 31, m = min.
/// Dot product partner: Q8_1.
enum Q5_1: BlockFormat {
    static let type = GGMLType.q5_1
    static let blockSize = 32
    static let typeSize = 2 + 2 + 4 + 16

    static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let x = bytes(src)
        for i in 0..<(count / 32) {
            let b = x + i * typeSize
            let d = b.f16(0), m = b.f16(2)
            let qh = b.u32(4)
            let y = dst + i * 32
            for j in 0..<16 {
                let xh0 = ((qh >> UInt32(j)) << 4) & 0x10
                let xh1 = (qh >> UInt32(j + 12)) & 0x10
                let q = UInt32(b[8 + j])
                y[j] = Float((q & 0x0F) | xh0) * d + m
                y[j + 16] = Float((q >> 4) | xh1) * d + m
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
            let d = (max - min) / 31
            let id: Float = d != 0 ? 1.0 / d : 0
            b.storeU16(floatToFP16(d), 0)
            b.storeU16(floatToFP16(min), 2)
            var qh: UInt32 = 0
            for j in 0..<16 {
                let x0 = (x[j] - min) * id, x1 = (x[j + 16] - min) * id
                let xi0 = truncToByte(x0 + 0.5), xi1 = truncToByte(x1 + 0.5)
                b[8 + j] = (xi0 & 0x0F) | (xi1 & 0x0F) << 4
                qh |= (UInt32(xi0 & 0x10) >> 4) << UInt32(j)
                qh |= (UInt32(xi1 & 0x10) >> 4) << UInt32(j + 16)
            }
            b.storeU32(qh, 4)
        }
    }

    /// Portable dot product with Q8_1 activations.
    static func vecDotQ8_1(_ n: Int, _ vx: UnsafeRawPointer, _ vy: UnsafeRawPointer) -> Float {
        let x = bytes(vx), y = bytes(vy)
        var sumf: Float = 0
        for ib in 0..<(n / 32) {
            let bx = x + ib * typeSize, by = y + ib * Q8_1.typeSize
            let qh = bx.u32(4)
            var sumi: Int32 = 0
            for j in 0..<16 {
                let q = UInt32(bx[8 + j])
                let v0 = Int32((q & 0x0F) | (((qh >> UInt32(j)) << 4) & 0x10))
                let v1 = Int32((q >> 4) | ((qh >> UInt32(j + 12)) & 0x10))
                sumi &+= v0 * by.i8(4 + j) + v1 * by.i8(4 + j + 16)
            }
            sumf += (bx.f16(0) * by.f16(0)) * Float(sumi) + bx.f16(2) * by.f16(2)
        }
        return sumf
    }
}
