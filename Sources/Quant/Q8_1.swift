import GGUF

/// Q8_1: 32 weights, symmetric 8-bit plus the block sum; activation format for Q4_1 and Q5_1.
///
///     struct block_q8_1 { f16 d; f16 s; i8 qs[32]; }   // 2 + 2 + 32 = 36 bytes, 9 bits per weight
///     w[j] = d * qs[j],  d = amax / 127,  s = d * sum(qs)
/// `quantize` is `quantize_row_q8_1_ref`; `quantizeActivation` is ggml-cpu's x86 `quantize_row_q8_1`
/// (id = 127/amax, round half to even), see Q8_0.
enum Q8_1: BlockFormat {
    static let type = GGMLType.q8_1
    static let blockSize = 32
    static let typeSize = 2 + 2 + 32

    static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let x = bytes(src)
        for i in 0..<(count / 32) {
            let b = x + i * typeSize
            let d = b.f16(0)
            for j in 0..<32 { dst[i * 32 + j] = Float(b.i8(4 + j)) * d }
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
            var sum: Int32 = 0
            for j in 0..<32 {
                let q = truncToByte((x[j] * id).rounded())
                b[4 + j] = q
                sum &+= Int32(Int8(bitPattern: q))
            }
            b.storeU16(floatToFP16(Float(sum) * d), 2)
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
            var sum: Int32 = 0
            for j in 0..<32 {
                let r = (x[j] * id).rounded(.toNearestOrEven)
                sum &+= truncToInt32(r)
                b[4 + j] = saturatingByte(r)
            }
            b.storeU16(floatToFP16(d * Float(sum)), 2)
        }
    }
}

extension Q8_1 {
    /// Portable dot product of two Q8_1 rows (d*d*sumi; ggml has none, kept for completeness).
    static func vecDotQ8_1(_ n: Int, _ vx: UnsafeRawPointer, _ vy: UnsafeRawPointer) -> Float {
        let x = bytes(vx), y = bytes(vy)
        var sumf: Float = 0
        for ib in 0..<(n / 32) {
            let bx = x + ib * typeSize, by = y + ib * typeSize
            var sumi: Int32 = 0
            for j in 0..<32 { sumi &+= bx.i8(4 + j) * by.i8(4 + j) }
            sumf += Float(sumi) * (bx.f16(0) * by.f16(0))
        }
        return sumf
    }
}
