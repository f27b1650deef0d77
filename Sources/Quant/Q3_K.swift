import GGUF

/// Q3_K: 256 weights in 16 groups of 16, symmetric 3-bit with a 6-bit signed scale per group.
///
///     struct block_q3_K { u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d; }  // 32+64+12+2 = 110 bytes, 3.4375 bits per weight
///     weight w = 128*h + 32*k + l  (h in 0..<2, k in 0..<4, l in 0..<32), group g = w / 16
///     q = ((qs[32*h + l] >> 2k) & 3) - (hmask[l] bit (4h + k) ? 0 : 4)          // in -4...3
///     s_g = (g < 8 ? scales[g] & 0xF : scales[g-8] >> 4) | ((scales[8 + g%4] >> 2*(g/4)) & 3) << 4
///     value = d * (s_g - 32) * q
/// Dot product partner: Q8_K.
enum Q3_K: BlockFormat {
    static let type = GGMLType.q3_K
    static let blockSize = 256
    static let typeSize = 32 + 64 + 12 + 2

    /// The 6-bit scale of group g, minus 32.
    @inline(__always) static func scale(_ s: UnsafePointer<UInt8>, _ g: Int) -> Int32 {
        let lo = g < 8 ? s[g] & 0xF : s[g - 8] >> 4
        let hi = (s[8 + g % 4] >> UInt8(2 * (g / 4))) & 3
        return Int32(lo | hi << 4) - 32
    }

    /// The signed 3-bit quant of weight w.
    @inline(__always) static func quant(_ b: UnsafePointer<UInt8>, _ w: Int) -> Int32 {
        let h = w >> 7, k = (w >> 5) & 3, l = w & 31
        let q = Int32((b[32 + 32 * h + l] >> UInt8(2 * k)) & 3)
        return q - ((b[l] & UInt8(1 << (4 * h + k))) != 0 ? 0 : 4)
    }

    static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let x = bytes(src)
        for i in 0..<(count / 256) {
            let b = x + i * typeSize
            let dAll = b.f16(108)
            let y = dst + i * 256
            for w in 0..<256 {
                let dl = dAll * Float(scale(b + 96, w >> 4))
                y[w] = dl * Float(quant(b, w))
            }
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
                var maxScale: Float = 0, amax: Float = 0
                for j in 0..<16 {
                    scales[j] = makeQ3Quants(16, 4, x + 16 * j, L + 16 * j)
                    let s = abs(scales[j])
                    if s > amax { amax = s; maxScale = scales[j] }
                }
                let sc = b + 96
                for j in 0..<12 { sc[j] = 0 }
                if maxScale != 0 {
                    let iscale = -32 / maxScale
                    for j in 0..<16 {
                        var l = Int8(truncatingIfNeeded: nearestInt(iscale * scales[j]))
                        l = Swift.max(-32, Swift.min(31, l)) + 32
                        let u = UInt8(bitPattern: l)
                        if j < 8 { sc[j] = u & 0xF } else { sc[j - 8] |= (u & 0xF) << 4 }
                        sc[j % 4 + 8] |= (u >> 4) << UInt8(2 * (j / 4))
                    }
                    b.storeU16(floatToFP16(1 / iscale), 108)
                } else {
                    b.storeU16(floatToFP16(0), 108)
                }
                for j in 0..<16 {
                    let d = b.f16(108) * Float(scale(sc, j))
                    if d == 0 { continue }
                    for ii in 0..<16 {
                        var l = nearestInt(x[16 * j + ii] / d)
                        l = Swift.max(-4, Swift.min(3, l))
                        L[16 * j + ii] = Int8(l + 4)
                    }
                }
                for j in 0..<32 { b[j] = 0 }
                var m = 0
                var hm: UInt8 = 1
                for j in 0..<256 {
                    if L[j] > 3 {
                        b[m] |= hm
                        L[j] -= 4
                    }
                    m += 1
                    if m == 32 { m = 0; hm = hm &<< 1 }
                }
                for j in stride(from: 0, to: 256, by: 128) {
                    for l in 0..<32 {
                        let v = UInt8(L[j + l]) | UInt8(L[j + l + 32]) << 2 | UInt8(L[j + l + 64]) << 4 | UInt8(L[j + l + 96]) << 6
                        b[32 + j / 4 + l] = v
                    }
                }
            }
        }
        }
    }

    /// Portable dot product with Q8_K: d*d_a * sum_g (s_g - 32) * sum(q * q_a).
    static func vecDotQ8_K(_ n: Int, _ vx: UnsafeRawPointer, _ vy: UnsafeRawPointer) -> Float {
        let x = bytes(vx), y = bytes(vy)
        var sumf: Float = 0
        for i in 0..<(n / 256) {
            let b = x + i * typeSize, a = y + i * Q8_K.typeSize
            var isum: Int32 = 0
            for g in 0..<16 {
                var s: Int32 = 0
                for t in 0..<16 { s &+= quant(b, 16 * g + t) * a.i8(4 + 16 * g + t) }
                isum &+= scale(b + 96, g) * s
            }
            sumf += b.f16(108) * Q8_K.d(a) * Float(isum)
        }
        return sumf
    }
}
