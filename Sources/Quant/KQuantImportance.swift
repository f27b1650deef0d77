// Importance-weighted quantization of the K-quants (ggml's `quantize_row_q2_K_impl` ...
// `quantize_row_q6_K_impl`); without weights the reference quantizers run, as in ggml's
// `quantize_q*_K`. `count` is one row.

extension Q2_K: WeightedBlockFormat {
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int,
                         weights qwAll: UnsafePointer<Float>?) {
        guard let qwAll else { quantize(src, dst, count); return }
        let out = mbytes(dst)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256 + 16 + 32) { lbuf in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16 * 4) { fbuf in
            let L = lbuf.baseAddress!, Laux = L + 256, Ls = Laux + 16, Lm = Ls + 16
            let mins = fbuf.baseAddress!, scales = mins + 16, sw = scales + 16, weight = sw + 16
            for i in 0..<(count / 256) {
                let x = src + 256 * i, b = out + i * typeSize
                for j in 0..<16 { sw[j] = 0 }
                let sigma2 = sumOfSquares(x, 256) / 256
                for j in 0..<16 {
                    let qw = qwAll + 256 * i + 16 * j
                    for l in 0..<16 { weight[l] = qw[l] * (sigma2 + x[16 * j + l] * x[16 * j + l]).squareRoot() }
                    for l in 0..<16 { sw[j] += weight[l] }
                    scales[j] = makeQkx3Quants(16, 3, x + 16 * j, weight, L + 16 * j, &mins[j], Laux,
                                               rmin: -0.9, rdelta: 0.05, nstep: 36)
                }
                var dm = makeQpQuants(16, 15, scales, Ls, sw)
                var mm = makeQpQuants(16, 15, mins, Lm, sw)
                b.storeU16(floatToFP16(dm), 80)
                b.storeU16(floatToFP16(mm), 82)
                dm = b.f16(80); mm = b.f16(82)
                for j in 0..<16 { b[j] = Ls[j] | (Lm[j] << 4) }
                for j in 0..<16 {
                    let d = dm * Float(b[j] & 0xF)
                    if d == 0 { continue }
                    let m = mm * Float(b[j] >> 4)
                    for ii in 0..<16 {
                        L[16 * j + ii] = UInt8(Swift.max(0, Swift.min(3, nearestInt((x[16 * j + ii] + m) / d))))
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
}

extension Q3_K: WeightedBlockFormat {
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int,
                         weights qwAll: UnsafePointer<Float>?) {
        guard let qwAll else { quantize(src, dst, count); return }
        let out = mbytes(dst)
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 256 + 16) { lbuf in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16 * 3) { fbuf in
            let L = lbuf.baseAddress!, Ls = L + 256
            let scales = fbuf.baseAddress!, weight = scales + 16, sw = weight + 16
            for i in 0..<(count / 256) {
                let x = src + 256 * i, b = out + i * typeSize
                let hmask = b, qs = b + 32, sc = b + 96
                let sigma2 = 2 * sumOfSquares(x, 256) / 256
                for j in 0..<16 {
                    let qw = qwAll + 256 * i + 16 * j
                    for l in 0..<16 { weight[l] = qw[l] * (sigma2 + x[16 * j + l] * x[16 * j + l]).squareRoot() }
                    var sumw: Float = 0
                    for l in 0..<16 { sumw += weight[l] }
                    sw[j] = sumw
                    scales[j] = makeQxQuantsWeighted(16, 4, x + 16 * j, L + 16 * j, weight)
                }
                for k in 0..<12 { sc[k] = 0 }
                let dBlock = makeQxQuantsWeighted(16, 32, scales, Ls, sw)
                for j in 0..<16 {
                    var l = UInt8(bitPattern: Ls[j])
                    if j < 8 { sc[j] = l & 0xF } else { sc[j - 8] |= (l & 0xF) << 4 }
                    l >>= 4
                    sc[j % 4 + 8] |= l << UInt8(2 * (j / 4))
                }
                b.storeU16(floatToFP16(dBlock), 108)
                for j in 0..<16 {
                    var s = Int32(j < 8 ? sc[j] & 0xF : sc[j - 8] >> 4)
                    s = (s | Int32((sc[8 + j % 4] >> UInt8(2 * (j / 4))) & 3) << 4) - 32
                    let d = b.f16(108) * Float(s)
                    if d == 0 { continue }
                    for ii in 0..<16 {
                        L[16 * j + ii] = Int8(Swift.max(-4, Swift.min(3, nearestInt(x[16 * j + ii] / d))) + 4)
                    }
                }
                for k in 0..<32 { hmask[k] = 0 }
                var m = 0
                var hm: UInt8 = 1
                for j in 0..<256 {
                    if L[j] > 3 { hmask[m] |= hm; L[j] -= 4 }
                    m += 1
                    if m == 32 { m = 0; hm <<= 1 }
                }
                for j in stride(from: 0, to: 256, by: 128) {
                    for l in 0..<32 {
                        qs[j / 4 + l] = UInt8(L[j + l]) | UInt8(L[j + l + 32]) << 2 | UInt8(L[j + l + 64]) << 4 | UInt8(L[j + l + 96]) << 6
                    }
                }
            }
        }
        }
    }
}

/// The shared weighted quantizer of Q4_K and Q5_K (`quantize_row_q4_K_impl` / `_q5_K_impl`):
/// make_qkx3_quants per group of 32, make_qp_quants for the 6-bit scales and mins, requantization
/// with the stored scales; `pack` writes the levels L.
private func quantizeQKx3(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int,
                          _ qwAll: UnsafePointer<Float>, nmax: Int32, typeSize: Int,
                          pack: (UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<UInt8>) -> Void) {
    let out = mbytes(dst)
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256 + 32 + 16) { lbuf in
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 32 + 8 * 3) { fbuf in
        let L = lbuf.baseAddress!, Laux = L + 256, Ls = Laux + 32, Lm = Ls + 8
        let weights = fbuf.baseAddress!, sw = weights + 32, mins = sw + 8, scales = mins + 8
        for i in 0..<(count / 256) {
            let x = src + 256 * i, b = out + i * typeSize
            let sigma2 = 2 * sumOfSquares(x, 256) / 256
            for j in 0..<8 {
                let qw = qwAll + 256 * i + 32 * j
                for l in 0..<32 { weights[l] = qw[l] * (sigma2 + x[32 * j + l] * x[32 * j + l]).squareRoot() }
                var sumw: Float = 0
                for l in 0..<32 { sumw += weights[l] }
                sw[j] = sumw
                scales[j] = makeQkx3Quants(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux,
                                           rmin: -0.9, rdelta: 0.05, nstep: 36)
            }
            let dBlock = makeQpQuants(8, 63, scales, Ls, sw)
            let mBlock = makeQpQuants(8, 63, mins, Lm, sw)
            let sc = b + 4
            for j in 0..<8 { packScaleMinK4(j, Swift.min(63, Ls[j]), Swift.min(63, Lm[j]), sc) }
            b.storeU16(floatToFP16(dBlock), 0)
            b.storeU16(floatToFP16(mBlock), 2)
            for j in 0..<8 {
                let (s, m) = scaleMinK4(j, sc)
                let d = b.f16(0) * Float(s)
                if d == 0 { continue }
                let dm = b.f16(2) * Float(m)
                for ii in 0..<32 {
                    L[32 * j + ii] = UInt8(Swift.max(0, Swift.min(nmax, nearestInt((x[32 * j + ii] + dm) / d))))
                }
            }
            pack(L, b)
        }
    }
    }
}

extension Q4_K: WeightedBlockFormat {
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int,
                         weights qw: UnsafePointer<Float>?) {
        guard let qw else { quantize(src, dst, count); return }
        quantizeQKx3(src, dst, count, qw, nmax: 15, typeSize: typeSize, pack: packLevels)
    }
}

extension Q5_K: WeightedBlockFormat {
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int,
                         weights qw: UnsafePointer<Float>?) {
        guard let qw else { quantize(src, dst, count); return }
        quantizeQKx3(src, dst, count, qw, nmax: 31, typeSize: typeSize, pack: packLevels)
    }
}

extension Q6_K: WeightedBlockFormat {
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int,
                         weights qwAll: UnsafePointer<Float>?) {
        guard let qwAll else { quantize(src, dst, count); return }
        let out = mbytes(dst)
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 256) { lbuf in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { fbuf in
            let L = lbuf.baseAddress!, scales = fbuf.baseAddress!
            for i in 0..<(count / 256) {
                let x = src + 256 * i, b = out + i * typeSize
                var maxScale: Float = 0, maxAbsScale: Float = 0
                for ib in 0..<16 {
                    // ggml passes the raw importance weights here (its sigma-weighting is commented out).
                    let scale = makeQxQuantsWeighted(16, 32, x + 16 * ib, L + 16 * ib, qwAll + 256 * i + 16 * ib)
                    scales[ib] = scale
                    if abs(scale) > maxAbsScale { maxAbsScale = abs(scale); maxScale = scale }
                }
                storeBlock(x, L, scales, maxScale: maxScale, maxAbsScale: maxAbsScale, b)
            }
        }
        }
    }
}
