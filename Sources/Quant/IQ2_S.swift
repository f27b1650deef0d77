import GGUF

/// IQ2_S: 256 weights in 16 groups of 16; each run of 8 is a point of a 1024-point lattice
/// (magnitudes 8, 25, 43) with 8 explicit sign bits, and a 4-bit scale per group.
///
///     struct block_iq2_s { f16 d; u8 qs[32]; u8 signs[32]; u8 qh[8]; u8 scales[8]; }  // 2+32+32+8+8 = 82 bytes, 2.5625 bits per weight
///     run r (0..<32), group of 32 g = r/4: index = qs[r] | (qh[g] << (8 - 2*(r%4)) & 0x300)
///     s = scales[g] >> 4*((r%4)/2) & 0xF
///     w = d * (0.5 + s) * 0.25 * iq2s_grid[index][j] * (signs[r] bit j ? -1 : 1)
/// (ggml declares `qs[64]` with the signs as its second half.) Dot product partner: Q8_K.
enum IQ2_S: WeightedBlockFormat {
    static let type = GGMLType.iq2_s
    static let blockSize = 256
    static let typeSize = 2 + 32 + 32 + 8 + 8

    @inline(__always) static func gridIndex(_ b: UnsafePointer<UInt8>, _ r: Int) -> Int {
        Int(b[2 + r]) | (Int(b[66 + r / 4]) << (8 - 2 * (r % 4)) & 0x300)
    }

    static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let x = bytes(src)
        iq2sGrid.withUnsafeBufferPointer { grid in
            var y = dst
            for i in 0..<(count / 256) {
                let b = x + i * typeSize
                let d = b.f16(0)
                for g in 0..<8 {
                    let sc = b[74 + g]
                    let db0 = d * (0.5 + Float(sc & 0xF)) * 0.25
                    let db1 = d * (0.5 + Float(sc >> 4)) * 0.25
                    for l in 0..<4 {
                        let r = 4 * g + l
                        let gv = grid[gridIndex(b, r)]
                        let signs = b[34 + r]
                        let dl = l < 2 ? db0 : db1
                        storeSignedGridRow(y, dl, gv, signs: signs)
                        y += 8
                    }
                }
            }
        }
    }

    /// ggml's `quantize_row_iq2_s_impl`.
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int,
                         weights qwAll: UnsafePointer<Float>?) {
        let lattice = iq2sLattice
        let out = mbytes(dst)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16 + 16 * 3) { fbuf in
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 32) { lbuf in
            let scales = fbuf.baseAddress!, weight = scales + 16, xval = weight + 16, waux = xval + 16
            let L = lbuf.baseAddress!, Laux = L + 16
            for ibl in 0..<(count / 256) {
                let y = out + ibl * typeSize
                for k in 0..<typeSize { y[k] = 0 }
                y.storeU16(floatToFP16(0), 0)
                var maxScale: Float = 0
                let xbl = src + 256 * ibl
                let sigma2 = 2 * sumOfSquares(xbl, 256) / 256
                for ib in 0..<16 {
                    let xb = xbl + 16 * ib
                    iqGroupWeights(xb, qwAll.map { $0 + 256 * ibl + 16 * ib }, n: 16, sigma2: sigma2, quarterSigma2: true, weight)
                    for i in 0..<16 { waux[i] = weight[i].squareRoot() }
                    var signs: (UInt8, UInt8) = (0, 0)
                    for k in 0..<2 {
                        var s: UInt8 = 0
                        for i in 0..<8 {
                            if xb[8 * k + i] >= 0 { xval[8 * k + i] = xb[8 * k + i] }
                            else { xval[8 * k + i] = -xb[8 * k + i]; s |= 1 << UInt8(i) }
                        }
                        if k == 0 { signs.0 = s } else { signs.1 = s }
                    }
                    var max = xval[0]
                    for i in 1..<16 { max = Swift.max(max, xval[i]) }
                    for i in 0..<16 { L[i] = 0 }
                    if max < 1e-8 { scales[ib] = 0; continue }
                    var scale = iq2SearchGroup16(xval, weight, waux, max: max, lattice: lattice, L, Laux)
                    if scale < 0 { scale = -scale; signs = (~signs.0, ~signs.1) }
                    // Off the lattice only for non-finite or overflowing input (ggml aborts): stored as a zero group.
                    guard let points = lattice.indices(of: L, runs: 2, bits: 2) else { scales[ib] = 0; continue }
                    for k in 0..<2 {
                        let gi = points[k]
                        let r = 2 * ib + k
                        y[2 + r] = UInt8(gi & 255)
                        y[66 + r / 4] |= UInt8((gi >> 8) << (2 * (r % 4)))
                        y[34 + r] = k == 0 ? signs.0 : signs.1
                    }
                    scales[ib] = scale
                    maxScale = Swift.max(maxScale, scale)
                }
                if maxScale == 0 { continue }
                let d = maxScale / 31
                y.storeU16(floatToFP16(d * 0.9875), 0)
                let id = 1 / d
                for ib in 0..<16 {
                    let l = UInt8(Swift.max(0, Swift.min(15, nearestInt(0.5 * (id * scales[ib] - 1)))))
                    if ib % 2 == 0 { y[74 + ib / 2] = l } else { y[74 + ib / 2] |= l << 4 }
                }
            }
        }
        }
    }

    /// Portable dot product with Q8_K (ggml's order).
    static func vecDotQ8_K(_ n: Int, _ vx: UnsafeRawPointer, _ vy: UnsafeRawPointer) -> Float {
        let x = bytes(vx), y = bytes(vy)
        return iq2sGrid.withUnsafeBufferPointer { grid in
            var sumf: Float = 0
            for i in 0..<(n / 256) {
                let b = x + i * typeSize, a8 = y + i * Q8_K.typeSize
                let d = b.f16(0) * Q8_K.d(a8)
                var q8 = a8 + 4
                var bsum: Int32 = 0
                for g in 0..<8 {
                    let sc = b[74 + g]
                    var sumi1: Int32 = 0, sumi2: Int32 = 0
                    for l in 0..<4 {
                        let r = 4 * g + l
                        let gv = grid[gridIndex(b, r)]
                        let signs = b[34 + r]
                        var s: Int32 = 0
                        addSignedGridDot(&s, gv, q8, signs: signs)
                        if l < 2 { sumi1 &+= s } else { sumi2 &+= s }
                        q8 += 8
                    }
                    bsum &+= Int32(1 + 2 * (sc & 0xF)) * sumi1 &+ Int32(1 + 2 * (sc >> 4)) * sumi2
                }
                sumf += d * Float(bsum)
            }
            return 0.125 * sumf
        }
    }
}
