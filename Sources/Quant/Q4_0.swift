import GGUF

/// Q4_0: 32 weights, symmetric 4-bit.
///
///     struct block_q4_0 { f16 d; u8 qs[16]; }     // 2 + 16 = 18 bytes, 4.5 bits per weight
///     w[j]      = d * ((qs[j]   & 0xF) - 8)       // j in 0..<16
///     w[j + 16] = d * ((qs[j] >> 4)  - 8)
///     d = max / -8 where max is the value of largest magnitude (so it maps to -8).
/// Dot product partner: Q8_0.
enum Q4_0: BlockFormat {
    static let type = GGMLType.q4_0
    static let blockSize = 32
    static let typeSize = 2 + 16

    static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let x = bytes(src)
        for i in 0..<(count / 32) {
            let b = x + i * typeSize
            let d = b.f16(0)
            let y = dst + i * 32
            for j in 0..<16 {
                let q = b[2 + j]
                y[j] = Float(Int32(q & 0x0F) - 8) * d
                y[j + 16] = Float(Int32(q >> 4) - 8) * d
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
            let d = max / -8
            let id: Float = d != 0 ? 1.0 / d : 0
            b.storeU16(floatToFP16(d), 0)
            for j in 0..<16 {
                let x0 = x[j] * id, x1 = x[j + 16] * id
                let xi0 = Swift.min(15, Int8(bitPattern: truncToByte(x0 + 8.5)))
                let xi1 = Swift.min(15, Int8(bitPattern: truncToByte(x1 + 8.5)))
                b[2 + j] = UInt8(bitPattern: xi0) | UInt8(bitPattern: xi1) << 4
            }
        }
    }

    /// Portable dot product with Q8_0 activations: sum over blocks of sumi * d_w * d_a.
    static func vecDotQ8_0(_ n: Int, _ vx: UnsafeRawPointer, _ vy: UnsafeRawPointer) -> Float {
        let x = bytes(vx), y = bytes(vy)
        var sumf: Float = 0
        for ib in 0..<(n / 32) {
            let bx = x + ib * typeSize, by = y + ib * Q8_0.typeSize
            var sumi: Int32 = 0
            for j in 0..<16 {
                let q = bx[2 + j]
                sumi &+= (Int32(q & 0x0F) - 8) * by.i8(2 + j) + (Int32(q >> 4) - 8) * by.i8(2 + j + 16)
            }
            sumf += Float(sumi) * bx.f16(0) * by.f16(0)
        }
        return sumf
    }
}
