import GGUF

/// IQ1_M: 256 weights in 16 groups of 16; each run of 8 is a point of IQ1_S's ternary lattice with
/// its own ±1/8 shift, a 3-bit scale per group and one f16 super-scale spread over the scale words.
///
///     struct block_iq1_m { u8 qs[32]; u8 qh[16]; u8 scales[8]; }   // 32 + 16 + 8 = 56 bytes, 1.75 bits per weight
///     sc = scales as u16[4]; d = f16((sc[0] >> 12) | (sc[1] >> 8 & 0xF0) | (sc[2] >> 4 & 0xF00) | (sc[3] & 0xF000))
///     run r (0..<32): index = qs[r] | (qh[r/2] << (8 - 4*(r%2)) & 0x700), shift = qh[r/2] & (r%2 ? 0x80 : 0x08)
///     group g = r/2 scale: s = sc[g/4] >> 3*(g%4) & 7
///     w = d * (2s + 1) * (iq1s_grid[index][j] + (shift ? -1/8 : 1/8))
/// Dot product partner: Q8_K.
enum IQ1_M: WeightedBlockFormat {
    static let type = GGMLType.iq1_m
    static let blockSize = 256
    static let typeSize = 32 + 16 + 8

    static let delta: Float = 0.125

    @inline(__always) static func superScale(_ b: UnsafePointer<UInt8>) -> Float {
        let s0 = b.u16(48), s1 = b.u16(50), s2 = b.u16(52), s3 = b.u16(54)
        return fp16ToFloat((s0 >> 12) | ((s1 >> 8) & 0x00F0) | ((s2 >> 4) & 0x0F00) | (s3 & 0xF000))
    }

    @inline(__always) static func gridIndex(_ b: UnsafePointer<UInt8>, _ r: Int) -> Int {
        Int(b[r]) | (Int(b[32 + r / 2]) << (8 - 4 * (r % 2)) & 0x700)
    }

    /// 3-bit scale of group g (0..<16).
    @inline(__always) static func groupScale(_ b: UnsafePointer<UInt8>, _ g: Int) -> Int32 {
        Int32((b.u16(48 + 2 * (g / 4)) >> (3 * UInt16(g % 4))) & 7)
    }

    static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let x = bytes(src)
        iq1sGrid.withUnsafeBufferPointer { grid in
            var y = dst
            for i in 0..<(count / 256) {
                let b = x + i * typeSize
                let d = superScale(b)
                for r in 0..<32 {
                    let dl = d * Float(2 * groupScale(b, r / 2) + 1)
                    let dlt: Float = b[32 + r / 2] & (r % 2 == 0 ? 0x08 : 0x80) != 0 ? -delta : delta
                    let gv = grid[gridIndex(b, r)]
                    storeShiftedGridRow(y, dl, gv, delta: dlt)
                    y += 8
                }
            }
        }
    }

    /// ggml's `quantize_row_iq1_m_impl`: per group of 16, the exact best split into three levels
    /// for the four shift combinations of its two runs, then lattice rounding, then a refit of the
    /// super-scale over the whole block.
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int,
                         weights qwAll: UnsafePointer<Float>?) {
        let lattice = iq1sLattice
        let out = mbytes(dst)
        let xp: [Float] = [-1 + delta, delta, 1 + delta], xm: [Float] = [-1 - delta, -delta, 1 - delta]
        let masks: [UInt8] = [0x00, 0x80, 0x08, 0x88]
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16 + 16 + 4 * 17) { fbuf in
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 16) { lbuf in
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 16 + 2) { ibuf in
            let scales = fbuf.baseAddress!, weight = scales + 16
            let px0 = weight + 16, px1 = px0 + 17, pw0 = px1 + 17, pw1 = pw0 + 17
            let L = lbuf.baseAddress!, idx = ibuf.baseAddress!, index = idx + 16
            var shifts = [Int](repeating: 0, count: 16)
            // xx for run k of a group with shift combination s (0: ++, 1: +-, 2: -+, 3: --).
            func values(_ s: Int, _ k: Int) -> [Float] { k == 0 ? (s < 2 ? xp : xm) : (s % 2 == 0 ? xp : xm) }
            for ibl in 0..<(count / 256) {
                let y = out + ibl * typeSize
                for k in 0..<typeSize { y[k] = 0 }
                var maxScale: Float = 0
                let xbl = src + 256 * ibl
                let sigma2 = 2 * sumOfSquares(xbl, 256) / 256
                func setWeights(_ ib: Int, _ xb: UnsafePointer<Float>) {
                    iqGroupWeights(xb, qwAll.map { $0 + 256 * ibl + 16 * ib }, n: 16, sigma2: sigma2, quarterSigma2: false, weight)
                }
                for ib in 0..<16 {
                    let xb = xbl + 16 * ib
                    setWeights(ib, xb)
                    var max = abs(xb[0])
                    for i in 1..<16 { max = Swift.max(max, abs(xb[i])) }
                    if max < 1e-7 { scales[ib] = 0; shifts[ib] = 0; continue }
                    stableSortIndices(xb, idx, 16)
                    var bestScore = -Float.greatestFiniteMagnitude, scale = max
                    var besti1 = -1, besti2 = -1, bestK = -1
                    px0[0] = 0; px1[0] = 0; pw0[0] = 0; pw1[0] = 0
                    for j in 0..<16 {
                        let i = idx[j]
                        if i < 8 {
                            px0[j + 1] = px0[j] + weight[i] * xb[i]; px1[j + 1] = px1[j]
                            pw0[j + 1] = pw0[j] + weight[i]; pw1[j + 1] = pw1[j]
                        } else {
                            px1[j + 1] = px1[j] + weight[i] * xb[i]; px0[j + 1] = px0[j]
                            pw1[j + 1] = pw1[j] + weight[i]; pw0[j + 1] = pw0[j]
                        }
                    }
                    let txs = (px0[16], px1[16]), tws = (pw0[16], pw1[16])
                    let p2 = xp[2], m2 = xm[2]
                    let cp1 = xp[0] * xp[0] - xp[1] * xp[1], cp2 = xp[1] * xp[1] - xp[2] * xp[2]
                    let cm1 = xm[0] * xm[0] - xm[1] * xm[1], cm2 = xm[1] * xm[1] - xm[2] * xm[2]
                    for i1 in 0...16 {
                        for i2 in i1...16 {
                            let sx0 = px0[i1] + px0[i2], sx1 = px1[i1] + px1[i2]
                            let qxp0 = txs.0 * p2 - sx0, qxm0 = txs.0 * m2 - sx0
                            let qxp1 = txs.1 * p2 - sx1, qxm1 = txs.1 * m2 - sx1
                            let q2p0 = tws.0 * p2 * p2 + pw0[i1] * cp1 + pw0[i2] * cp2
                            let q2m0 = tws.0 * m2 * m2 + pw0[i1] * cm1 + pw0[i2] * cm2
                            let q2p1 = tws.1 * p2 * p2 + pw1[i1] * cp1 + pw1[i2] * cp2
                            let q2m1 = tws.1 * m2 * m2 + pw1[i1] * cm1 + pw1[i2] * cm2
                            let sumqx = (qxp0 + qxp1, qxp0 + qxm1, qxm0 + qxp1, qxm0 + qxm1)
                            let sumq2 = (q2p0 + q2p1, q2p0 + q2m1, q2m0 + q2p1, q2m0 + q2m1)
                            for k in 0..<4 {
                                let sx = k == 0 ? sumqx.0 : k == 1 ? sumqx.1 : k == 2 ? sumqx.2 : sumqx.3
                                let s2 = k == 0 ? sumq2.0 : k == 1 ? sumq2.1 : k == 2 ? sumq2.2 : sumq2.3
                                if s2 > 0 && sx * sx > bestScore * s2 {
                                    scale = sx / s2; bestScore = scale * sx
                                    besti1 = i1; besti2 = i2; bestK = k
                                }
                            }
                        }
                    }
                    if besti1 < 0 || besti2 < 0 || bestK < 0 { scales[ib] = 0; shifts[ib] = 0; continue }
                    for j in 0..<besti1 { L[idx[j]] = 0 }
                    for j in besti1..<besti2 { L[idx[j]] = 1 }
                    for j in besti2..<16 { L[idx[j]] = 2 }
                    if scale < 0 {
                        for j in 0..<16 { L[j] = 2 - L[j] }
                        scale = -scale
                        bestK = 3 - bestK
                    }
                    var allOnGrid = true
                    for k in 0..<2 {
                        if let gi = lattice.index(of: L + 8 * k, bits: 2) { index[k] = gi; continue }
                        allOnGrid = false
                        var key = 0
                        for j in 0..<8 { key |= Int(L[8 * k + j]) << (2 * j) }
                        index[k] = values(bestK, k).withUnsafeBufferPointer {
                            iq1BestNeighbour(lattice, key: key, xb + 8 * k, weight + 8 * k, scale: scale, $0.baseAddress!, L + 8 * k)
                        }
                    }
                    if !allOnGrid {
                        var sumqx: Float = 0, sumq2: Float = 0
                        for k in 0..<2 {
                            let xx = values(bestK, k)
                            for j in 0..<8 {
                                let w = weight[8 * k + j]
                                let q = xx[Int(lattice.points[8 * index[k] + j] - 1) / 2]
                                sumqx += w * q * xb[8 * k + j]
                                sumq2 += w * q * q
                            }
                        }
                        if sumqx > 0 && sumq2 > 0 { scale = sumqx / sumq2 }
                    }
                    y[2 * ib] = UInt8(index[0] & 255)
                    y[2 * ib + 1] = UInt8(index[1] & 255)
                    y[32 + ib] = UInt8((index[0] >> 8) | ((index[1] >> 8) << 4))
                    scales[ib] = scale
                    shifts[ib] = bestK
                    maxScale = Swift.max(maxScale, scale)
                }
                if maxScale == 0 { continue }
                var sc: [UInt16] = [0, 0, 0, 0]
                var d = maxScale / 15
                let id = 1 / d
                var sumqx: Float = 0, sumq2: Float = 0
                for ib in 0..<16 {
                    let l = Swift.max(0, Swift.min(7, nearestInt(0.5 * (id * scales[ib] - 1))))
                    sc[ib / 4] |= UInt16(l) << (3 * UInt16(ib % 4))
                    y[32 + ib] |= masks[shifts[ib]]
                    let xb = xbl + 16 * ib
                    setWeights(ib, xb)
                    for k in 0..<2 {
                        let xx = values(shifts[ib], k)
                        let gi = Int(y[2 * ib + k]) + ((Int(y[32 + ib]) << (8 - 4 * k)) & 0x700)
                        for j in 0..<8 {
                            let w = weight[8 * k + j]
                            let q = xx[Int(lattice.points[8 * gi + j] - 1) / 2] * Float(2 * l + 1)
                            sumqx += w * q * xb[8 * k + j]
                            sumq2 += w * q * q
                        }
                    }
                }
                if sumq2 > 0 { d = sumqx / sumq2 }
                let s = floatToFP16(d * 1.1125)
                sc[0] |= (s & 0x000F) << 12
                sc[1] |= (s & 0x00F0) << 8
                sc[2] |= (s & 0x0F00) << 4
                sc[3] |= s & 0xF000
                for k in 0..<4 { y.storeU16(sc[k], 48 + 2 * k) }
            }
        }
        }
        }
    }

    /// Portable dot product with Q8_K (ggml's order).
    static func vecDotQ8_K(_ n: Int, _ vx: UnsafeRawPointer, _ vy: UnsafeRawPointer) -> Float {
        let x = bytes(vx), y = bytes(vy)
        return iq1sGrid.withUnsafeBufferPointer { grid in
            var sumf: Float = 0
            for i in 0..<(n / 256) {
                let b = x + i * typeSize, a8 = y + i * Q8_K.typeSize
                var q8 = a8 + 4
                var sumi1: Int32 = 0, sumi2: Int32 = 0
                for ib in 0..<8 {
                    var sum1: (Int32, Int32) = (0, 0), sum2: (Int32, Int32) = (0, 0)
                    for l in 0..<4 {
                        let r = 4 * ib + l
                        let dlt: Int32 = b[32 + r / 2] & (r % 2 == 0 ? 0x08 : 0x80) != 0 ? -1 : 1
                        let gv = grid[gridIndex(b, r)]
                        var lsum1: Int32 = 0, lsum2: Int32 = 0
                        for j in 0..<8 {
                            lsum1 &+= q8.i8(j) * Int32(Int8(truncatingIfNeeded: gridByte(gv, j)))
                            lsum2 &+= q8.i8(j)
                        }
                        q8 += 8
                        if l < 2 { sum1.0 &+= lsum1; sum2.0 &+= lsum2 * dlt } else { sum1.1 &+= lsum1; sum2.1 &+= lsum2 * dlt }
                    }
                    let ls1 = 2 * groupScale(b, 2 * ib) + 1, ls2 = 2 * groupScale(b, 2 * ib + 1) + 1
                    sumi1 &+= sum1.0 * ls1 + sum1.1 * ls2
                    sumi2 &+= sum2.0 * ls1 + sum2.1 * ls2
                }
                sumf += superScale(b) * Q8_K.d(a8) * (Float(sumi1) + delta * Float(sumi2))
            }
            return sumf
        }
    }
}
