import GGUF

/// IQ1_S: 256 weights in 8 groups of 32; each run of 8 is a point of a 2048-point ternary lattice
/// (values -1, 0, 1) shifted by ±1/8 per group, and a 3-bit scale per group.
///
///     struct block_iq1_s { f16 d; u8 qs[32]; u16 qh[8]; }   // 2 + 32 + 16 = 50 bytes, 1.5625 bits per weight
///     group g, run l: index = qs[4g + l] | ((qh[g] >> 3l) & 7) << 8
///     dl = d * (2 * ((qh[g] >> 12) & 7) + 1),  delta = qh[g] & 0x8000 ? -1/8 : 1/8
///     w = dl * (iq1s_grid[index][j] + delta)
/// ggml requires importance weights to quantize this type; without them quantty uses IQ1_M's
/// substitute (`x^2`). Dot product partner: Q8_K.
enum IQ1_S: WeightedBlockFormat {
    static let type = GGMLType.iq1_s
    static let blockSize = 256
    static let typeSize = 2 + 32 + 16

    static let delta: Float = 0.125

    static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let x = bytes(src)
        iq1sGrid.withUnsafeBufferPointer { grid in
            var y = dst
            for i in 0..<(count / 256) {
                let b = x + i * typeSize
                let d = b.f16(0)
                for g in 0..<8 {
                    let qh = b.u16(34 + 2 * g)
                    let dl = d * Float(2 * Int32((qh >> 12) & 7) + 1)
                    let dlt: Float = qh & 0x8000 != 0 ? -delta : delta
                    for l in 0..<4 {
                        let gv = grid[Int(b[2 + 4 * g + l]) | Int((qh >> (3 * UInt16(l))) & 7) << 8]
                        storeShiftedGridRow(y, dl, gv, delta: dlt)
                        y += 8
                    }
                }
            }
        }
    }

    /// ggml's `quantize_row_iq1_s_impl`: per group, the exact best split of the sorted values into
    /// three levels for both shifts, then lattice rounding.
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int,
                         weights qwAll: UnsafePointer<Float>?) {
        let lattice = iq1sLattice
        let out = mbytes(dst)
        let xp: [Float] = [-1 + delta, delta, 1 + delta], xm: [Float] = [-1 - delta, -delta, 1 - delta]
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 8 + 32 + 33 + 33) { fbuf in
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 32) { lbuf in
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 32 + 4) { ibuf in
            let scales = fbuf.baseAddress!, weight = scales + 8, sumx = weight + 32, sumw = sumx + 33
            let L = lbuf.baseAddress!, idx = ibuf.baseAddress!, index = idx + 32
            var shifts = [Int8](repeating: 0, count: 8)
            for ibl in 0..<(count / 256) {
                let y = out + ibl * typeSize
                for k in 0..<typeSize { y[k] = 0 }
                var maxScale: Float = 0
                let xbl = src + 256 * ibl
                let sigma2 = 2 * sumOfSquares(xbl, 256) / 256
                for ib in 0..<8 {
                    let xb = xbl + 32 * ib
                    iqGroupWeights(xb, qwAll.map { $0 + 256 * ibl + 32 * ib }, n: 32, sigma2: sigma2, quarterSigma2: false, weight)
                    var max = abs(xb[0])
                    for i in 1..<32 { max = Swift.max(max, abs(xb[i])) }
                    if max < 1e-12 { scales[ib] = 0; shifts[ib] = 1; continue }
                    stableSortIndices(xb, idx, 32)
                    sumx[0] = 0; sumw[0] = 0
                    for j in 0..<32 {
                        let i = idx[j]
                        sumx[j + 1] = sumx[j] + weight[i] * xb[i]
                        sumw[j + 1] = sumw[j] + weight[i]
                    }
                    var bestScore = -Float.greatestFiniteMagnitude, scale = max
                    var besti1 = -1, besti2 = -1, bestShift = 0
                    for i1 in 0...32 {
                        for i2 in i1...32 {
                            for (shift, v) in [(1, xp), (-1, xm)] {
                                let sumqx = (sumx[i1] - sumx[0]) * v[0] + (sumx[i2] - sumx[i1]) * v[1] + (sumx[32] - sumx[i2]) * v[2]
                                let sumq2 = (sumw[i1] - sumw[0]) * v[0] * v[0] + (sumw[i2] - sumw[i1]) * v[1] * v[1]
                                    + (sumw[32] - sumw[i2]) * v[2] * v[2]
                                if sumq2 > 0 && sumqx * sumqx > bestScore * sumq2 {
                                    scale = sumqx / sumq2; bestScore = scale * sumqx
                                    besti1 = i1; besti2 = i2; bestShift = shift
                                }
                            }
                        }
                    }
                    if besti1 < 0 || besti2 < 0 || bestShift == 0 { scales[ib] = 0; shifts[ib] = 1; continue }
                    for j in 0..<besti1 { L[idx[j]] = 0 }
                    for j in besti1..<besti2 { L[idx[j]] = 1 }
                    for j in besti2..<32 { L[idx[j]] = 2 }
                    if scale < 0 {
                        for j in 0..<32 { L[j] = 2 - L[j] }
                        scale = -scale; bestShift = -bestShift
                    }
                    var allOnGrid = true
                    let xx = bestShift == 1 ? xp : xm
                    xx.withUnsafeBufferPointer { xg in
                        for k in 0..<4 {
                            if let gi = lattice.index(of: L + 8 * k, bits: 2) { index[k] = gi; continue }
                            allOnGrid = false
                            var key = 0
                            for j in 0..<8 { key |= Int(L[8 * k + j]) << (2 * j) }
                            index[k] = iq1BestNeighbour(lattice, key: key, xb + 8 * k, weight + 8 * k, scale: scale, xg.baseAddress!, L + 8 * k)
                        }
                        if !allOnGrid {
                            var sumqx: Float = 0, sumq2: Float = 0
                            for k in 0..<4 {
                                for j in 0..<8 {
                                    let w = weight[8 * k + j]
                                    let q = xg[Int(lattice.points[8 * index[k] + j] - 1) / 2]
                                    sumqx += w * q * xb[8 * k + j]
                                    sumq2 += w * q * q
                                }
                            }
                            if sumqx > 0 && sumq2 > 0 { scale = sumqx / sumq2 }
                        }
                    }
                    var h: UInt16 = 0
                    for k in 0..<4 {
                        y[2 + 4 * ib + k] = UInt8(index[k] & 255)
                        h |= UInt16(index[k] >> 8) << (3 * UInt16(k))
                    }
                    y.storeU16(h, 34 + 2 * ib)
                    scales[ib] = scale
                    shifts[ib] = Int8(bestShift)
                    maxScale = Swift.max(maxScale, scale)
                }
                if maxScale == 0 { continue }
                let d = maxScale / 15
                y.storeU16(floatToFP16(d * 1.125), 0)
                let id = 1 / d
                for ib in 0..<8 {
                    var l = Swift.max(0, Swift.min(7, nearestInt(0.5 * (id * scales[ib] - 1))))
                    if shifts[ib] == -1 { l |= 8 }
                    y.storeU16(UnsafePointer(y).u16(34 + 2 * ib) | UInt16(l) << 12, 34 + 2 * ib)
                }
            }
        }
        }
        }
    }

    /// Portable dot product with Q8_K (ggml's order; the shift uses Q8_K's per-16 sums).
    static func vecDotQ8_K(_ n: Int, _ vx: UnsafeRawPointer, _ vy: UnsafeRawPointer) -> Float {
        let x = bytes(vx), y = bytes(vy)
        return iq1sGrid.withUnsafeBufferPointer { grid in
            var sumf: Float = 0
            for i in 0..<(n / 256) {
                let b = x + i * typeSize, a8 = y + i * Q8_K.typeSize
                var q8 = a8 + 4
                var sumi: Int32 = 0, sumi1: Int32 = 0
                for g in 0..<8 {
                    let qh = b.u16(34 + 2 * g)
                    let ls = 2 * Int32((qh >> 12) & 7) + 1
                    let dlt: Int32 = qh & 0x8000 != 0 ? -1 : 1
                    var lsum: Int32 = 0
                    for l in 0..<4 {
                        let gv = grid[Int(b[2 + 4 * g + l]) | Int((qh >> (3 * UInt16(l))) & 7) << 8]
                        for j in 0..<8 { lsum &+= q8.i8(j) * Int32(Int8(truncatingIfNeeded: gridByte(gv, j))) }
                        q8 += 8
                    }
                    sumi &+= ls * lsum
                    sumi1 &+= ls * dlt * (Q8_K.bsum(a8, 2 * g) + Q8_K.bsum(a8, 2 * g + 1))
                }
                sumf += b.f16(0) * Q8_K.d(a8) * (Float(sumi) + delta * Float(sumi1))
            }
            return sumf
        }
    }
}

/// The indices 0..<n ordered by `x` ascending, ties in index order (glibc's `qsort` is a stable
/// merge sort for arrays this small, which is what ggml's IQ1 quantizers get).
func stableSortIndices(_ x: UnsafePointer<Float>, _ idx: UnsafeMutablePointer<Int>, _ n: Int) {
    for j in 0..<n {
        var k = j
        while k > 0 && x[idx[k - 1]] > x[j] { idx[k] = idx[k - 1]; k -= 1 }
        idx[k] = j
    }
}

/// ggml's `iq1_find_best_neighbour2`: among the neighbours listed for `key`, the point whose
/// values `xg[level]` times `scale` are nearest to `xval` (weighted); writes its levels to `L`.
func iq1BestNeighbour(_ lattice: Lattice, key: Int, _ xval: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                      scale: Float, _ xg: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>) -> Int {
    let offset = Int(-(lattice.map[key] + 1))
    let n = Int(lattice.neighbours[offset])
    var bestScore = Float.greatestFiniteMagnitude
    var best = Int(lattice.neighbours[offset + 1])   // kept when no distance is finite (ggml aborts)
    for j in 1...n {
        let g = Int(lattice.neighbours[offset + j])
        var d2: Float = 0
        for i in 0..<8 {
            let q = xg[Int(lattice.points[8 * g + i] - 1) / 2]
            let diff = scale * q - xval[i]
            d2 += weight[i] * diff * diff
        }
        if d2 < bestScore { bestScore = d2; best = g }
    }
    for i in 0..<8 { L[i] = (lattice.points[8 * best + i] - 1) / 2 }
    return best
}
