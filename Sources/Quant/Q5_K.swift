import GGUF

/// Q5_K: 256 weights in 8 groups of 32, 5-bit with a 6-bit scale and 6-bit min per group.
///
///     struct block_q5_K { f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]; }  // 2+2+12+32+128 = 176 bytes, 5.5 bits per weight
///     weight w = 64*p + 32*s + l  (p in 0..<4, s in 0..<2, l in 0..<32), group g = 2p + s
///     q = (s == 0 ? qs[32p + l] & 0xF : qs[32p + l] >> 4) + 16 * ((qh[l] >> g) & 1)
///     value = d * sc_g * q - dmin * m_g       ((sc_g, m_g) packed as in Q4_K)
/// Dot product partner: Q8_K.
enum Q5_K: BlockFormat {
    static let type = GGMLType.q5_K
    static let blockSize = 256
    static let typeSize = 2 + 2 + 12 + 32 + 128

    @inline(__always) static func quant(_ b: UnsafePointer<UInt8>, _ p: Int, _ s: Int, _ l: Int) -> Int32 {
        let q = b[48 + 32 * p + l]
        let lo = s == 0 ? q & 0xF : q >> 4
        return Int32(lo) + ((b[16 + l] >> UInt8(2 * p + s)) & 1 != 0 ? 16 : 0)
    }

    static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let x = bytes(src)
        for i in 0..<(count / 256) {
            let b = x + i * typeSize
            let d = b.f16(0), min = b.f16(2)
            let y = dst + i * 256
            for p in 0..<4 {
                let (sc1, m1) = scaleMinK4(2 * p, b + 4)
                let (sc2, m2) = scaleMinK4(2 * p + 1, b + 4)
                let d1 = d * Float(sc1), mm1 = min * Float(m1)
                let d2 = d * Float(sc2), mm2 = min * Float(m2)
                for l in 0..<32 { y[64 * p + l] = d1 * Float(quant(b, p, 0, l)) - mm1 }
                for l in 0..<32 { y[64 * p + 32 + l] = d2 * Float(quant(b, p, 1, l)) - mm2 }
            }
        }
    }

    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int) {
        quantizeQKx(src, dst, count, nmax: 31, rmin: -0.5, rdelta: 0.1, nstep: 15, typeSize: typeSize, pack: packLevels)
    }

    /// Writes the 256 levels `L` of one block into its quant bytes (also used by the weighted quantizer).
    static func packLevels(_ L: UnsafeMutablePointer<UInt8>, _ b: UnsafeMutablePointer<UInt8>) {
        let qh = b + 16
        var ql = b + 48
        for j in 0..<32 { qh[j] = 0 }
        var m1: UInt8 = 1, m2: UInt8 = 2
        for n in stride(from: 0, to: 256, by: 64) {
            for j in 0..<32 {
                var l1 = L[n + j]
                if l1 > 15 { l1 -= 16; qh[j] |= m1 }
                var l2 = L[n + j + 32]
                if l2 > 15 { l2 -= 16; qh[j] |= m2 }
                ql[j] = l1 | (l2 << 4)
            }
            m1 = m1 &<< 2; m2 = m2 &<< 2
            ql += 32
        }
    }

    /// Portable dot product with Q8_K (as Q4_K with 5-bit quants).
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
                    s1 &+= quant(b, p, 0, l) * a.i8(4 + 64 * p + l)
                    s2 &+= quant(b, p, 1, l) * a.i8(4 + 64 * p + 32 + l)
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
