import GGUF

/// IQ2_XXS: 256 weights in 8 groups of 32; each run of 8 is a point of a 256-point lattice
/// (magnitudes 8, 25, 43) with 7 sign bits (the 8th by parity), and a 4-bit scale per group.
///
///     struct block_iq2_xxs { f16 d; u16 qs[32]; }   // 2 + 64 = 66 bytes, 2.0625 bits per weight
///     group g: u32 a = qs[4g..<4g+2], u32 b = qs[4g+2..<4g+4]
///     run l (0..<4): grid = iq2xxs_grid[byte l of a], signs = ksigns_iq2xs[(b >> 7l) & 127]
///     w = d * (0.5 + (b >> 28)) * 0.25 * grid[j] * (signs bit j ? -1 : 1)
/// ggml requires importance weights to quantize this type; without them quantty uses IQ2_S's
/// substitute (`0.25 sigma2 + x^2`). Dot product partner: Q8_K.
enum IQ2_XXS: WeightedBlockFormat {
    static let type = GGMLType.iq2_xxs
    static let blockSize = 256
    static let typeSize = 2 + 64

    static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let x = bytes(src)
        iq2xxsGrid.withUnsafeBufferPointer { grid in
        ksignsIQ2XS.withUnsafeBufferPointer { ksigns in
            var y = dst
            for i in 0..<(count / 256) {
                let b = x + i * typeSize
                let d = b.f16(0)
                for g in 0..<8 {
                    let a = b + 2 + 8 * g
                    let aux1 = a.u32(4)
                    let db = d * (0.5 + Float(aux1 >> 28)) * 0.25
                    for l in 0..<4 {
                        let gv = grid[Int(a[l])]
                        let signs = ksigns[Int((aux1 >> (7 * UInt32(l))) & 127)]
                        storeSignedGridRow(y, db, gv, signs: signs)
                        y += 8
                    }
                }
            }
        }
        }
    }

    /// ggml's `quantize_row_iq2_xxs_impl`.
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int,
                         weights qwAll: UnsafePointer<Float>?) {
        let lattice = iq2xxsLattice
        let out = mbytes(dst)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 8 + 32 * 3) { fbuf in
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 64) { lbuf in
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 16) { q2 in
            let scales = fbuf.baseAddress!, weight = scales + 8, xval = weight + 32, waux = xval + 32
            let L = lbuf.baseAddress!, Laux = L + 32
            var blockSigns: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
            for ibl in 0..<(count / 256) {
                let y = out + ibl * typeSize
                y.storeU16(floatToFP16(0), 0)
                for k in 0..<16 { q2[k] = 0 }
                var maxScale: Float = 0
                let xbl = src + 256 * ibl
                let sigma2 = sumOfSquares(xbl, 256) / 256
                for ib in 0..<8 {
                    let xb = xbl + 32 * ib
                    iqGroupWeights(xb, qwAll.map { $0 + 256 * ibl + 32 * ib }, n: 32, sigma2: sigma2, quarterSigma2: true, weight)
                    for i in 0..<32 { waux[i] = weight[i].squareRoot() }
                    blockSigns.0 = evenParitySigns(xb, weight, xval)
                    blockSigns.1 = evenParitySigns(xb + 8, weight + 8, xval + 8)
                    blockSigns.2 = evenParitySigns(xb + 16, weight + 16, xval + 16)
                    blockSigns.3 = evenParitySigns(xb + 24, weight + 24, xval + 24)
                    var max = xval[0]
                    for i in 1..<32 { max = Swift.max(max, xval[i]) }
                    if max < 1e-15 {
                        scales[ib] = 0
                        for i in 0..<32 { L[i] = 0 }
                        continue
                    }
                    var scale = L.withMemoryRebound(to: UInt8.self, capacity: 32) { makeQpQuants(32, 4, xval, $0, weight) }
                    let effMax = scale * 3
                    if effMax <= 0 {
                        scales[ib] = 0
                        for i in 0..<32 { L[i] = 0 }
                        continue
                    }
                    var best: Float = 0
                    for step in -6...6 {
                        let id = (5 + Float(step) * 0.1) / effMax
                        let thisScale = 1 / id
                        for k in 0..<4 {
                            let u = latticeLevels(xval + 8 * k, dims: 8, maxLevel: 2, bits: 2, id: id, Laux + 8 * k)
                            if lattice.map[u] < 0 {
                                _ = lattice.bestNeighbour(key: u, xval + 8 * k, waux + 8 * k, scale: thisScale, Laux + 8 * k)
                            }
                        }
                        var sumqx: Float = 0, sumq2: Float = 0
                        for i in 0..<32 {
                            let w = weight[i], q = Float(2 * Int32(Laux[i]) + 1)
                            sumqx += w * xval[i] * q
                            sumq2 += w * q * q
                        }
                        if sumq2 > 0 && sumqx * sumqx > best * sumq2 {
                            scale = sumqx / sumq2; best = scale * sumqx
                            for i in 0..<32 { L[i] = Laux[i] }
                        }
                    }
                    if scale > 0 {
                        let id = 1 / scale
                        for k in 0..<4 {
                            let u = latticeLevels(xval + 8 * k, dims: 8, maxLevel: 2, bits: 2, id: id, L + 8 * k)
                            var gi = Int(lattice.map[u])
                            if gi < 0 { gi = lattice.bestNeighbour(key: u, xval + 8 * k, waux + 8 * k, scale: scale, L + 8 * k) }
                            for i in 0..<8 { L[8 * k + i] = (lattice.points[8 * gi + i] - 1) / 2 }
                        }
                        var sumqx: Float = 0, sumq2: Float = 0
                        for i in 0..<32 {
                            let w = weight[i], q = Float(2 * Int32(L[i]) + 1)
                            sumqx += w * xval[i] * q
                            sumq2 += w * q * q
                        }
                        if sumq2 > 0 { scale = sumqx / sumq2 }
                    }
                    if scale < 0 {
                        scale = -scale
                        blockSigns = (~blockSigns.0 & 127, ~blockSigns.1 & 127, ~blockSigns.2 & 127, ~blockSigns.3 & 127)
                    }
                    let signs = [blockSigns.0, blockSigns.1, blockSigns.2, blockSigns.3]
                    // Off the lattice only for non-finite or overflowing input (ggml aborts): stored as a zero group.
                    guard let points = lattice.indices(of: L, runs: 4, bits: 2) else { scales[ib] = 0; continue }
                    for k in 0..<4 {
                        let gi = points[k]
                        q2[2 * ib] |= UInt32(gi) << (8 * UInt32(k))
                        q2[2 * ib + 1] |= UInt32(signs[k]) << (7 * UInt32(k))
                    }
                    scales[ib] = scale
                    maxScale = Swift.max(maxScale, scale)
                }
                if maxScale == 0 {
                    for k in 0..<64 { y[2 + k] = 0 }
                    continue
                }
                let d = maxScale / 31
                y.storeU16(floatToFP16(d), 0)
                let id = 1 / d
                for ib in 0..<8 {
                    let l = Swift.max(0, Swift.min(15, nearestInt(0.5 * (id * scales[ib] - 1))))
                    q2[2 * ib + 1] |= UInt32(l) << 28
                }
                for k in 0..<16 { y.storeU32(q2[k], 2 + 4 * k) }
            }
        }
        }
        }
    }

    /// Portable dot product with Q8_K (ggml's order: integer sums per group times 2*scale+1, then 0.125*d*d_a).
    static func vecDotQ8_K(_ n: Int, _ vx: UnsafeRawPointer, _ vy: UnsafeRawPointer) -> Float {
        let x = bytes(vx), y = bytes(vy)
        return iq2xxsGrid.withUnsafeBufferPointer { grid in
        ksignsIQ2XS.withUnsafeBufferPointer { ksigns in
            var sumf: Float = 0
            for i in 0..<(n / 256) {
                let b = x + i * typeSize, a8 = y + i * Q8_K.typeSize
                let d = b.f16(0) * Q8_K.d(a8)
                var q8 = a8 + 4
                var bsum: Int32 = 0
                for g in 0..<8 {
                    let a = b + 2 + 8 * g
                    let aux1 = a.u32(4)
                    let ls = Int32(2 * (aux1 >> 28) + 1)
                    var sumi: Int32 = 0
                    for l in 0..<4 {
                        let gv = grid[Int(a[l])]
                        let signs = ksigns[Int((aux1 >> (7 * UInt32(l))) & 127)]
                        addSignedGridDot(&sumi, gv, q8, signs: signs)
                        q8 += 8
                    }
                    bsum &+= sumi &* ls
                }
                sumf += d * Float(bsum)
            }
            return 0.125 * sumf
        }
        }
    }
}
