import GGUF

/// Q6_K: 256 weights in 16 groups of 16, symmetric 6-bit with an 8-bit signed scale per group.
///
///     struct block_q6_K { u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d; }  // 128+64+16+2 = 210 bytes, 6.5625 bits per weight
///     weight w = 128*h + 32*k + l  (h in 0..<2, k in 0..<4, l in 0..<32), group g = w / 16
///     lo = k even: ql[64h + 32(k&1) + l] & 0xF,  k odd: ql[64h + 32(k&1) + l] >> 4   (k&1 picks +32, k>>1 the nibble)
///     q = (lo | ((qh[32h + l] >> 2k) & 3) << 4) - 32                         // in -32...31
///     value = d * scales[g] * q
/// Dot product partner: Q8_K.
enum Q6_K: BlockFormat {
    static let type = GGMLType.q6_K
    static let blockSize = 256
    static let typeSize = 128 + 64 + 16 + 2

    /// The signed 6-bit quant of weight w.
    @inline(__always) static func quant(_ b: UnsafePointer<UInt8>, _ w: Int) -> Int32 {
        let h = w >> 7, k = (w >> 5) & 3, l = w & 31
        let byte = b[64 * h + 32 * (k & 1) + l]
        let lo = (k >> 1) == 0 ? byte & 0xF : byte >> 4
        let hi = (b[128 + 32 * h + l] >> UInt8(2 * k)) & 3
        return Int32(lo | hi << 4) - 32
    }

    static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let x = bytes(src)
        for i in 0..<(count / 256) {
            let b = x + i * typeSize
            let d = b.f16(208)
            let y = dst + i * 256
            for w in 0..<256 { y[w] = d * Float(b.i8(192 + (w >> 4))) * Float(quant(b, w)) }
        }
    }

    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int) {
        let out = mbytes(dst)
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 256) { lbuf in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { sbuf in
            let L = lbuf.baseAddress!, scales = sbuf.baseAddress!
            for i in 0..<(count / 256) {
                let x = src + i * 256
                let b = out + i * typeSize
                var maxScale: Float = 0, maxAbsScale: Float = 0
                for ib in 0..<16 {
                    let scale = makeQxQuants(16, 32, x + 16 * ib, L + 16 * ib, rmseType: 1)
                    scales[ib] = scale
                    if abs(scale) > maxAbsScale { maxAbsScale = abs(scale); maxScale = scale }
                }
                storeBlock(x, L, scales, maxScale: maxScale, maxAbsScale: maxAbsScale, b)
            }
        }
        }
    }

    /// The rest of a block's quantization once each group's scale is chosen (shared by the
    /// weighted quantizer): the 8-bit scales against the largest, levels requantized with the
    /// stored scales, then packed into ql/qh. An all-but-zero block is stored as zeros.
    @inline(__always)
    static func storeBlock(_ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>, _ scales: UnsafePointer<Float>,
                           maxScale: Float, maxAbsScale: Float, _ b: UnsafeMutablePointer<UInt8>) {
        if maxAbsScale < groupMaxEps {
            for j in 0..<typeSize { b[j] = 0 }
            return
        }
        let iscale = -128 / maxScale
        b.storeU16(floatToFP16(1 / iscale), 208)
        for ib in 0..<16 {
            b[192 + ib] = UInt8(truncatingIfNeeded: Swift.min(127, nearestInt(iscale * scales[ib])))
        }
        for j in 0..<16 {
            let d = b.f16(208) * Float(b.i8(192 + j))
            if d == 0 { continue }
            for ii in 0..<16 {
                var l = nearestInt(x[16 * j + ii] / d)
                l = Swift.max(-32, Swift.min(31, l))
                L[16 * j + ii] = Int8(l + 32)
            }
        }
        var ql = b, qh = b + 128
        for j in stride(from: 0, to: 256, by: 128) {
            for l in 0..<32 {
                let q1 = UInt8(L[j + l]) & 0xF, q2 = UInt8(L[j + l + 32]) & 0xF
                let q3 = UInt8(L[j + l + 64]) & 0xF, q4 = UInt8(L[j + l + 96]) & 0xF
                ql[l] = q1 | (q3 << 4)
                ql[l + 32] = q2 | (q4 << 4)
                qh[l] = (UInt8(L[j + l]) >> 4) | ((UInt8(L[j + l + 32]) >> 4) << 2)
                    | ((UInt8(L[j + l + 64]) >> 4) << 4) | ((UInt8(L[j + l + 96]) >> 4) << 6)
            }
            ql += 64; qh += 32
        }
    }

    /// Portable dot product with Q8_K: d*d_a * sum_g scales[g] * sum(q * q_a).
    static func vecDotQ8_K(_ n: Int, _ vx: UnsafeRawPointer, _ vy: UnsafeRawPointer) -> Float {
        let x = bytes(vx), y = bytes(vy)
        var sumf: Float = 0
        for i in 0..<(n / 256) {
            let b = x + i * typeSize, a = y + i * Q8_K.typeSize
            var isum: Int32 = 0
            for h in 0..<2 {
                for k in 0..<4 {
                    let lo = b + 64 * h + 32 * (k & 1), hi = b + 128 + 32 * h, q8 = a + 4 + 128 * h + 32 * k
                    let shLo = UInt8(4 * (k >> 1)), shHi = UInt8(2 * k)
                    var s0: Int32 = 0, s1: Int32 = 0
                    for l in 0..<16 { s0 &+= (Int32(((lo[l] >> shLo) & 0xF) | ((hi[l] >> shHi) & 3) << 4) - 32) * q8.i8(l) }
                    for l in 16..<32 { s1 &+= (Int32(((lo[l] >> shLo) & 0xF) | ((hi[l] >> shHi) & 3) << 4) - 32) * q8.i8(l) }
                    isum &+= b.i8(192 + 8 * h + 2 * k) * s0 + b.i8(192 + 8 * h + 2 * k + 1) * s1
                }
            }
            sumf += b.f16(208) * Q8_K.d(a) * Float(isum)
        }
        return sumf
    }
}
