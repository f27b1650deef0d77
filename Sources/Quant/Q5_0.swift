import GGUF

/// Q5_0: 32 weights, symmetric 5-bit.
///
///     struct block_q5_0 { f16 d; u8 qh[4]; u8 qs[16]; }   // 2 + 4 + 16 = 22 bytes, 5.5 bits per weight
///     h(j) = bit j of the little-endian u32 qh
///     w[j]      = d * (((qs[j] & 0xF) | h(j)      << 4) - 16)   // j in 0..<16
///     w[j + 16] = d * (((qs[j] >> 4)  | h(j + 16) << 4) - 16)
///     d = max / -16 where max is the value of largest magnitude.
/// Dot product partner: Q8_0.
enum Q5_0: BlockFormat {
    static let type = GGMLType.q5_0
    static let blockSize = 32
    static let typeSize = 2 + 4 + 16

    static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let x = bytes(src)
        for i in 0..<(count / 32) {
            let b = x + i * typeSize
            let d = b.f16(0)
            let qh = b.u32(2)
            let y = dst + i * 32
            for j in 0..<16 {
                let xh0 = ((qh >> UInt32(j)) << 4) & 0x10
                let xh1 = (qh >> UInt32(j + 12)) & 0x10
                let q = UInt32(b[6 + j])
                y[j] = Float(Int32((q & 0x0F) | xh0) - 16) * d
                y[j + 16] = Float(Int32((q >> 4) | xh1) - 16) * d
            }
        }
    }

    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int) {
        let out = mbytes(dst)
        for i in 0..<(count / 32) {
            let x = src + i * 32
            let b = out + i * typeSize
            var amax: Float = 0, max: Float = 0
            for j in 0..<32 where amax < abs(x[j]) { amax = abs(x[j]); max = x[j] }
            let d = max / -16
            let id: Float = d != 0 ? 1.0 / d : 0
            b.storeU16(floatToFP16(d), 0)
            var qh: UInt32 = 0
            for j in 0..<16 {
                let x0 = x[j] * id, x1 = x[j + 16] * id
                let xi0 = UInt8(bitPattern: Swift.min(31, Int8(bitPattern: truncToByte(x0 + 16.5))))
                let xi1 = UInt8(bitPattern: Swift.min(31, Int8(bitPattern: truncToByte(x1 + 16.5))))
                b[6 + j] = (xi0 & 0x0F) | (xi1 & 0x0F) << 4
                qh |= (UInt32(xi0 & 0x10) >> 4) << UInt32(j)
                qh |= (UInt32(xi1 & 0x10) >> 4) << UInt32(j + 16)
            }
            b.storeU32(qh, 2)
        }
    }

    /// Portable dot product with Q8_0 activations.
    static func vecDotQ8_0(_ n: Int, _ vx: UnsafeRawPointer, _ vy: UnsafeRawPointer) -> Float {
        let x = bytes(vx), y = bytes(vy)
        var sumf: Float = 0
        for ib in 0..<(n / 32) {
            let bx = x + ib * typeSize, by = y + ib * Q8_0.typeSize
            let qh = bx.u32(2)
            var sumi: Int32 = 0
            for j in 0..<16 {
                let q = UInt32(bx[6 + j])
                let v0 = Int32((q & 0x0F) | (((qh >> UInt32(j)) << 4) & 0x10)) - 16
                let v1 = Int32((q >> 4) | ((qh >> UInt32(j + 12)) & 0x10)) - 16
                sumi &+= v0 * by.i8(2 + j) + v1 * by.i8(2 + j + 16)
            }
            sumf += Float(sumi) * bx.f16(0) * by.f16(0)
        }
        return sumf
    }
}
