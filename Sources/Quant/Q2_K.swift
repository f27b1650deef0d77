import GGUF

/// Q2_K: 256 weights in 16 groups of 16, 2-bit with a 4-bit scale and 4-bit min per group.
///
///     struct block_q2_K { u8 scales[16]; u8 qs[64]; f16 d; f16 dmin; }  // 16+64+2+2 = 84 bytes, 2.625 bits per weight
///     weight w = 128*h + 32*k + l  (h in 0..<2, k in 0..<4, l in 0..<32), group g = w / 16
///     q = (qs[32*h + l] >> 2k) & 3
///     value = d * (scales[g] & 0xF) * q - dmin * (scales[g] >> 4)
/// Dot product partner: Q8_K (its per-16 `bsums` carry the min term).
enum Q2_K: BlockFormat {
    static let type = GGMLType.q2_K
    static let blockSize = 256
    static let typeSize = 16 + 64 + 2 + 2

    static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let x = bytes(src)
        for i in 0..<(count / 256) {
            let b = x + i * typeSize
            let d = b.f16(80), min = b.f16(82)
            let y = dst + i * 256
            for w in 0..<256 {
                let h = w >> 7, k = (w >> 5) & 3, l = w & 31
                let q = (b[16 + 32 * h + l] >> UInt8(2 * k)) & 3
                let sc = b[w >> 4]
                let dl = d * Float(sc & 0xF), ml = min * Float(sc >> 4)
                y[w] = dl * Float(q) - ml
            }
        }
    }

    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int) {
        let out = mbytes(dst)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256 + 16) { lbuf in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16 + 16 + 16) { fbuf in
            let L = lbuf.baseAddress!, Laux = L + 256
            let weights = fbuf.baseAddress!, mins = weights + 16, scales = weights + 32
            let q4scale: Float = 15
            for i in 0..<(count / 256) {
                let x = src + i * 256
                let b = out + i * typeSize
                var maxScale: Float = 0, maxMin: Float = 0
                for j in 0..<16 {
                    for l in 0..<16 { weights[l] = abs(x[16 * j + l]) }
                    scales[j] = makeQkx2Quants(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], Laux,
                                               rmin: -0.5, rdelta: 0.1, nstep: 15, useMad: true)
                    if scales[j] > maxScale { maxScale = scales[j] }
                    if mins[j] > maxMin { maxMin = mins[j] }
                }
                if maxScale > 0 {
                    let iscale = q4scale / maxScale
                    for j in 0..<16 { b[j] = UInt8(truncatingIfNeeded: nearestInt(iscale * scales[j])) }
                    b.storeU16(floatToFP16(maxScale / q4scale), 80)
                } else {
                    for j in 0..<16 { b[j] = 0 }
                    b.storeU16(floatToFP16(0), 80)
                }
                if maxMin > 0 {
                    let iscale = q4scale / maxMin
                    for j in 0..<16 { b[j] |= UInt8(truncatingIfNeeded: nearestInt(iscale * mins[j]) << 4) }
                    b.storeU16(floatToFP16(maxMin / q4scale), 82)
                } else {
                    b.storeU16(floatToFP16(0), 82)
                }
                for j in 0..<16 {
                    let d = b.f16(80) * Float(b[j] & 0xF)
                    if d == 0 { continue }
                    let dm = b.f16(82) * Float(b[j] >> 4)
                    for ii in 0..<16 {
                        var l = nearestInt((x[16 * j + ii] + dm) / d)
                        l = Swift.max(0, Swift.min(3, l))
                        L[16 * j + ii] = UInt8(l)
                    }
                }
                for j in stride(from: 0, to: 256, by: 128) {
                    for l in 0..<32 {
                        b[16 + j / 4 + l] = L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6)
                    }
                }
            }
        }
        }
    }

    /// Portable dot product with Q8_K: d_a*d*sum_g sc_g*isum_g - d_a*dmin*sum_g m_g*bsum_g.
    static func vecDotQ8_K(_ n: Int, _ vx: UnsafeRawPointer, _ vy: UnsafeRawPointer) -> Float {
        let x = bytes(vx), y = bytes(vy)
        var sumf: Float = 0
        for i in 0..<(n / 256) {
            let b = x + i * typeSize, a = y + i * Q8_K.typeSize
            var summs: Int32 = 0
            for g in 0..<16 { summs &+= Int32(b[g] >> 4) * Q8_K.bsum(a, g) }
            var isum: Int32 = 0
            for g in 0..<16 {
                var s: Int32 = 0
                for t in 0..<16 {
                    let w = 16 * g + t
                    let q = (b[16 + 32 * (w >> 7) + (w & 31)] >> UInt8(2 * ((w >> 5) & 3))) & 3
                    s &+= Int32(q) * a.i8(4 + w)
                }
                isum &+= Int32(b[g] & 0xF) * s
            }
            let da = Q8_K.d(a)
            let dall = da * b.f16(80), dmin = da * b.f16(82)
            sumf += dall * Float(isum) - dmin * Float(summs)
        }
        return sumf
    }
}
