import GGUF

/// Q4_K: 256 weights in 8 groups of 32, 4-bit with a 6-bit scale and 6-bit min per group.
///
///     struct block_q4_K { f16 d; f16 dmin; u8 scales[12]; u8 qs[128]; }  // 2+2+12+128 = 144 bytes, 4.5 bits per weight
///     weight w = 64*p + 32*s + l  (p in 0..<4, s in 0..<2, l in 0..<32), group g = 2p + s
///     q = s == 0 ? qs[32p + l] & 0xF : qs[32p + l] >> 4
///     (sc_g, m_g) = 6-bit pairs packed in `scales` (see `scaleMinK4`)
///     value = d * sc_g * q - dmin * m_g
/// Dot product partner: Q8_K.
enum Q4_K: BlockFormat {
    static let type = GGMLType.q4_K
    static let blockSize = 256
    static let typeSize = 2 + 2 + 12 + 128

    static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let x = bytes(src)
        for i in 0..<(count / 256) {
            let b = x + i * typeSize
            let d = b.f16(0), min = b.f16(2)
            var y = dst + i * 256
            var q = b + 16
            for p in 0..<4 {
                let (sc1, m1) = scaleMinK4(2 * p, b + 4)
                let (sc2, m2) = scaleMinK4(2 * p + 1, b + 4)
                let d1 = d * Float(sc1), mm1 = min * Float(m1)
                let d2 = d * Float(sc2), mm2 = min * Float(m2)
                for l in 0..<32 { y[l] = d1 * Float(q[l] & 0xF) - mm1 }
                for l in 0..<32 { y[32 + l] = d2 * Float(q[l] >> 4) - mm2 }
                y += 64; q += 32
            }
        }
    }

    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int) {
        quantizeQKx(src, dst, count, nmax: 15, rmin: -1, rdelta: 0.1, nstep: 20, typeSize: typeSize, pack: packLevels)
    }

    /// Writes the 256 levels `L` of one block into its quant bytes (also used by the weighted quantizer).
    static func packLevels(_ L: UnsafeMutablePointer<UInt8>, _ b: UnsafeMutablePointer<UInt8>) {
        var q = b + 16
        for j in stride(from: 0, to: 256, by: 64) {
            for l in 0..<32 { q[l] = L[j + l] | (L[j + l + 32] << 4) }
            q += 32
        }
    }

    /// Portable dot product with Q8_K: d_a*d*sum_g sc_g*sum(q*q_a) - d_a*dmin*sum_g m_g*bsum_g.
    static func vecDotQ8_K(_ n: Int, _ vx: UnsafeRawPointer, _ vy: UnsafeRawPointer) -> Float {
        let x = bytes(vx), y = bytes(vy)
        var sumf: Float = 0
        for i in 0..<(n / 256) {
            let b = x + i * typeSize, a = y + i * Q8_K.typeSize
            var isum: Int32 = 0, summ: Int32 = 0
            for p in 0..<4 {
                let (sc1, m1) = scaleMinK4(2 * p, b + 4)
                let (sc2, m2) = scaleMinK4(2 * p + 1, b + 4)
                var s1: Int32 = 0, s2: Int32 = 0
                for l in 0..<32 {
                    let q = b[16 + 32 * p + l]
                    s1 &+= Int32(q & 0xF) * a.i8(4 + 64 * p + l)
                    s2 &+= Int32(q >> 4) * a.i8(4 + 64 * p + 32 + l)
                }
                isum &+= Int32(sc1) * s1 + Int32(sc2) * s2
                summ &+= Int32(m1) * (Q8_K.bsum(a, 4 * p) + Q8_K.bsum(a, 4 * p + 1))
                summ &+= Int32(m2) * (Q8_K.bsum(a, 4 * p + 2) + Q8_K.bsum(a, 4 * p + 3))
            }
            let da = Q8_K.d(a)
            sumf += da * b.f16(0) * Float(isum) - da * b.f16(2) * Float(summ)
        }
        return sumf
    }
}

/// The shared reference quantizer of Q4_K and Q5_K (`quantize_row_q4_K_ref` / `_q5_K_ref`): per
/// group of 32, an x-weighted `make_qkx2_quants` search, then 6-bit scales and mins relative to
/// the block maxima, then a requantization with the stored scales; `pack` writes the levels L.
func quantizeQKx(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int,
                 nmax: Int32, rmin: Float, rdelta: Float, nstep: Int, typeSize: Int,
                 pack: (UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<UInt8>) -> Void) {
    let out = mbytes(dst)
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256 + 32) { lbuf in
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 32 + 8 + 8) { fbuf in
        let L = lbuf.baseAddress!, Laux = L + 256
        let weights = fbuf.baseAddress!, mins = weights + 32, scales = weights + 40
        for i in 0..<(count / 256) {
            let x = src + i * 256
            let b = out + i * typeSize
            var maxScale: Float = 0, maxMin: Float = 0
            for j in 0..<8 {
                var sumX2: Float = 0
                for l in 0..<32 { sumX2 += x[32 * j + l] * x[32 * j + l] }
                let avX = (sumX2 / 32).squareRoot()
                for l in 0..<32 { weights[l] = avX + abs(x[32 * j + l]) }
                scales[j] = makeQkx2Quants(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux,
                                           rmin: rmin, rdelta: rdelta, nstep: nstep, useMad: false)
                if scales[j] > maxScale { maxScale = scales[j] }
                if mins[j] > maxMin { maxMin = mins[j] }
            }
            let invScale: Float = maxScale > 0 ? 63 / maxScale : 0
            let invMin: Float = maxMin > 0 ? 63 / maxMin : 0
            let sc = b + 4
            for j in 0..<8 {
                let ls = Swift.min(63, UInt8(truncatingIfNeeded: nearestInt(invScale * scales[j])))
                let lm = Swift.min(63, UInt8(truncatingIfNeeded: nearestInt(invMin * mins[j])))
                packScaleMinK4(j, ls, lm, sc)
            }
            b.storeU16(floatToFP16(maxScale / 63), 0)
            b.storeU16(floatToFP16(maxMin / 63), 2)
            for j in 0..<8 {
                let (s, m) = scaleMinK4(j, sc)
                let d = b.f16(0) * Float(s)
                if d == 0 { continue }
                let dm = b.f16(2) * Float(m)
                for ii in 0..<32 {
                    var l = nearestInt((x[32 * j + ii] + dm) / d)
                    l = Swift.max(0, Swift.min(nmax, l))
                    L[32 * j + ii] = UInt8(l)
                }
            }
            pack(L, b)
        }
    }
    }
}
