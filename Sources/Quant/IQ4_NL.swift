import GGUF

/// IQ4_NL: 32 weights, 4-bit indices into a fixed non-linear table of 16 levels.
///
///     struct block_iq4_nl { f16 d; u8 qs[16]; }   // 2 + 16 = 18 bytes, 4.5 bits per weight
///     w[j]      = d * kvalues_iq4nl[qs[j] & 0xF]   // j in 0..<16
///     w[j + 16] = d * kvalues_iq4nl[qs[j] >> 4]
/// Dot product partner: Q8_0.
enum IQ4_NL: WeightedBlockFormat {
    static let type = GGMLType.iq4_nl
    static let blockSize = 32
    static let typeSize = 2 + 16

    static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let x = bytes(src)
        kvaluesIQ4NL.withUnsafeBufferPointer { kv in
            for i in 0..<(count / 32) {
                let b = x + i * typeSize
                let d = b.f16(0)
                let y = dst + i * 32
                for j in 0..<16 {
                    y[j] = d * Float(kv[Int(b[2 + j] & 0xF)])
                    y[j + 16] = d * Float(kv[Int(b[2 + j] >> 4)])
                }
            }
        }
    }

    /// ggml's `quantize_iq4_nl` (7 trial scales per block around -max/127).
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int,
                         weights: UnsafePointer<Float>?) {
        let out = mbytes(dst)
        for i in 0..<(count / 32) {
            quantizeIQ4Superblock(size: 32, src + 32 * i, out + i * typeSize, scalesH: nil, scalesL: nil,
                                  qs: out + i * typeSize + 2, weights: weights.map { $0 + 32 * i }, ntry: 7)
        }
    }

    /// Portable dot product with Q8_0: sum over blocks of d_w * d_a * sum(kvalue * q_a).
    static func vecDotQ8_0(_ n: Int, _ vx: UnsafeRawPointer, _ vy: UnsafeRawPointer) -> Float {
        let x = bytes(vx), y = bytes(vy)
        return kvaluesIQ4NL.withUnsafeBufferPointer { kv in
            var sumf: Float = 0
            for ib in 0..<(n / 32) {
                let bx = x + ib * typeSize, by = y + ib * Q8_0.typeSize
                let d = by.f16(0) * bx.f16(0)
                var s1: Int32 = 0, s2: Int32 = 0
                for j in 0..<16 {
                    s1 &+= by.i8(2 + j) * Int32(kv[Int(bx[2 + j] & 0xF)])
                    s2 &+= by.i8(18 + j) * Int32(kv[Int(bx[2 + j] >> 4)])
                }
                sumf += d * Float(s1 &+ s2)
            }
            return sumf
        }
    }
}

/// ggml's `quantize_row_iq4_nl_impl` for one super-block of `size` values (32 for IQ4_NL, 256 for
/// IQ4_XS) in groups of 32: per group, a weighted search over 2*ntry+1 trial scales; for several
/// groups, 6-bit group scales relative to the super-block's (`scalesH`/`scalesL`). Writes the f16
/// scale at `dh` and the nibbles at `qs`.
func quantizeIQ4Superblock(size: Int, _ x: UnsafePointer<Float>, _ dh: UnsafeMutablePointer<UInt8>,
                           scalesH: UnsafeMutablePointer<UInt8>?, scalesL: UnsafeMutablePointer<UInt8>?,
                           qs: UnsafeMutablePointer<UInt8>, weights qw: UnsafePointer<Float>?, ntry: Int) {
    kvaluesIQ4NL.withUnsafeBufferPointer { kvb in
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { lbuf in
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 32 + 8) { fbuf in
        let values = kvb.baseAddress!, L = lbuf.baseAddress!
        let weight = fbuf.baseAddress!, scales = weight + 32
        let nb = size / 32
        var sigma2: Float = 0
        for j in 0..<size { sigma2 += x[j] * x[j] }
        sigma2 *= 2 / Float(size)
        for j in 0..<(size / 2) { qs[j] = 0 }
        dh.storeU16(floatToFP16(0), 0)
        var maxScale: Float = 0, amaxScale: Float = 0
        for ib in 0..<nb {
            let xb = x + 32 * ib, Lb = L + 32 * ib
            if let qw = qw {
                for j in 0..<32 { weight[j] = qw[32 * ib + j] * (sigma2 + xb[j] * xb[j]).squareRoot() }
            } else {
                for j in 0..<32 { weight[j] = xb[j] * xb[j] }
            }
            var amax: Float = 0, max: Float = 0
            for j in 0..<32 {
                let ax = abs(xb[j])
                if ax > amax { amax = ax; max = xb[j] }
            }
            if amax < 1e-15 { scales[ib] = 0; continue }
            let v0 = Float(values[0])
            var d = ntry > 0 ? -max / v0 : max / v0
            var id = 1 / d
            var sumqx: Float = 0, sumq2: Float = 0
            for j in 0..<32 {
                let l = bestIndexInt8(values, 16, id * xb[j])
                Lb[j] = UInt8(l)
                let q = Float(values[l]), w = weight[j]
                sumqx += w * q * xb[j]
                sumq2 += w * q * q
            }
            d = sumq2 > 0 ? sumqx / sumq2 : 0
            var best = d * sumqx
            if ntry >= 0 {
                for itry in -ntry...ntry {
                    id = Float(itry + Int(values[0])) / max
                    sumqx = 0; sumq2 = 0
                    for j in 0..<32 {
                        let l = bestIndexInt8(values, 16, id * xb[j])
                        let q = Float(values[l]), w = weight[j]
                        sumqx += w * q * xb[j]
                        sumq2 += w * q * q
                    }
                    if sumq2 > 0 && sumqx * sumqx > best * sumq2 { d = sumqx / sumq2; best = d * sumqx }
                }
            }
            scales[ib] = d
            if abs(d) > amaxScale { amaxScale = abs(d); maxScale = d }
        }
        if nb > 1, let scalesH = scalesH, let scalesL = scalesL {
            for k in 0..<(2 * ((nb + 7) / 8)) { scalesH[k] = 0 }
            var hbits: UInt16 = 0
            let d = -maxScale / 32
            dh.storeU16(floatToFP16(d), 0)
            let id: Float = d != 0 ? 1 / d : 0
            for ib in 0..<nb {
                var l = nearestInt(id * scales[ib])
                l = Swift.max(-32, Swift.min(31, l))
                let dl = d * Float(l)
                let idl: Float = dl != 0 ? 1 / dl : 0
                let Lb = L + 32 * ib, xb = x + 32 * ib
                for j in 0..<32 { Lb[j] = UInt8(bestIndexInt8(values, 16, idl * xb[j])) }
                l += 32
                let lLow = UInt8(l & 0xF), lHigh = UInt16(l >> 4)
                if ib % 2 == 0 { scalesL[ib / 2] = lLow } else { scalesL[ib / 2] |= lLow << 4 }
                hbits |= lHigh << (2 * UInt16(ib % 8))
            }
            scalesH[0] = UInt8(hbits & 0xFF); scalesH[1] = UInt8(hbits >> 8)
        } else {
            dh.storeU16(floatToFP16(scales[0]), 0)
            if ntry > 0 {
                let id: Float = scales[0] != 0 ? 1 / scales[0] : 0
                for j in 0..<size { L[j] = UInt8(bestIndexInt8(values, 16, id * x[j])) }
            }
        }
        for i in 0..<(size / 32) {
            for j in 0..<16 { qs[16 * i + j] = L[32 * i + j] | (L[32 * i + 16 + j] << 4) }
        }
    }
    }
    }
}
