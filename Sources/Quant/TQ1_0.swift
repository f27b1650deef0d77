import GGUF

/// TQ1_0: 256 ternary weights (-1, 0, 1) times one scale, packed 5 trits per byte (3^5 = 243 < 256).
///
///     struct block_tq1_0 { u8 qs[48]; u8 qh[4]; f16 d; }   // 48 + 4 + 2 = 54 bytes, 1.6875 bits per weight
///     A byte q holds trits t_0..t_4 as the fraction q/256 ~ (t_0 t_1 t_2 t_3 t_4)_3 / 243:
///     t_n = ((q * 3^n mod 256) * 3) >> 8, w = d * (t - 1).
///     Weights 0..<160 use qs[0..<32] (5 rows of 32), 160..<240 qs[32..<48] (5 rows of 16),
///     240..<256 qh[0..<4] (4 rows of 4).
/// Importance weights are ignored (as in ggml). Dot product partner: Q8_K.
enum TQ1_0: BlockFormat {
    static let type = GGMLType.tq1_0
    static let blockSize = 256
    static let typeSize = 48 + 4 + 2


    /// Trit n (0, 1, 2) of packed byte q.
    @inline(__always) static func trit(_ q: UInt8, _ n: Int) -> Int32 {
        let p: UInt8 = n == 0 ? 1 : n == 1 ? 3 : n == 2 ? 9 : n == 3 ? 27 : 81
        return Int32((UInt16(q &* p) * 3) >> 8)
    }

    /// Calls `body(element, byte offset, trit)` for the 256 weights of a block in storage order.
    @inline(__always) static func forEachTrit(_ body: (Int, Int, Int) -> Void) {
        var e = 0
        for n in 0..<5 { for m in 0..<32 { body(e, m, n); e += 1 } }
        for n in 0..<5 { for m in 0..<16 { body(e, 32 + m, n); e += 1 } }
        for n in 0..<4 { for j in 0..<4 { body(e, 48 + j, n); e += 1 } }
    }

    static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let x = bytes(src)
        for i in 0..<(count / 256) {
            let b = x + i * typeSize, y = dst + 256 * i
            let d = b.f16(52)
            forEachTrit { e, off, n in y[e] = Float(trit(b[off], n) - 1) * d }
        }
    }

    /// ggml's `quantize_row_tq1_0_ref`: d = amax, trits = lround(x / d), packed by ceiling division.
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int) {
        let out = mbytes(dst)
        for i in 0..<(count / 256) {
            let x = src + 256 * i, b = out + i * typeSize
            var amax: Float = 0
            for j in 0..<256 { amax = Swift.max(amax, abs(x[j])) }
            let id: Float = amax != 0 ? 1 / amax : 0
            b.storeU16(floatToFP16(amax), 52)
            @inline(__always) func t(_ k: Int) -> UInt8 { UInt8(truncatingIfNeeded: truncToInt32(roundHalfAwayFromZero(x[k] * id)) &+ 1) }
            @inline(__always) func pack(_ q: UInt8) -> UInt8 { UInt8(truncatingIfNeeded: (UInt16(q) * 256 + 242) / 243) }
            for m in 0..<32 {
                var q: UInt8 = 0
                for n in 0..<5 { q = q &* 3 &+ t(m + 32 * n) }
                b[m] = pack(q)
            }
            for m in 0..<16 {
                var q: UInt8 = 0
                for n in 0..<5 { q = q &* 3 &+ t(160 + m + 16 * n) }
                b[32 + m] = pack(q)
            }
            for j in 0..<4 {
                var q: UInt8 = 0
                for m in 0..<4 { q = q &* 3 &+ t(240 + j + 4 * m) }
                b[48 + j] = pack(q &* 3)
            }
        }
    }

    /// Portable dot product with Q8_K: d * d_a * sum((t - 1) * q_a).
    static func vecDotQ8_K(_ n: Int, _ vx: UnsafeRawPointer, _ vy: UnsafeRawPointer) -> Float {
        let x = bytes(vx), y = bytes(vy)
        var sumf: Float = 0
        for i in 0..<(n / 256) {
            let b = x + i * typeSize, a = y + i * Q8_K.typeSize
            var sum: Int32 = 0
            forEachTrit { e, off, n in sum &+= (trit(b[off], n) - 1) * a.i8(4 + e) }
            sumf += Float(sum) * (b.f16(52) * Q8_K.d(a))
        }
        return sumf
    }
}
