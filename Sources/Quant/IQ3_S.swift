import GGUF

/// IQ3_S: 256 weights in 8 groups of 32; each run of 4 is a point of a 512-point lattice
/// (magnitudes 1, 3, ..., 15) with explicit signs, and a 4-bit scale per group.
///
///     struct block_iq3_s { f16 d; u8 qs[64]; u8 qh[8]; u8 signs[32]; u8 scales[4]; }  // 2+64+8+32+4 = 110 bytes, 3.4375 bits per weight
///     run k of group g: index = qs[8g + k] | ((qh[g] >> k) & 1) << 8
///     w[32g + 4k + j] = d * (1 + 2 * (scales[g/2] >> 4*(g%2) & 0xF)) * iq3s_grid[index][j]
///                       * (signs[4g + k/2] bit (4*(k%2) + j) ? -1 : 1)
/// Dot product partner: Q8_K.
enum IQ3_S: WeightedBlockFormat {
    static let type = GGMLType.iq3_s
    static let blockSize = 256
    static let typeSize = 2 + 64 + 8 + 32 + 4

    @inline(__always) static func gridIndex(_ b: UnsafePointer<UInt8>, _ g: Int, _ k: Int) -> Int {
        Int(b[2 + 8 * g + k]) | (Int(b[66 + g] >> UInt8(k)) & 1) << 8
    }

    static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let x = bytes(src)
        iq3sGrid.withUnsafeBufferPointer { grid in
            var y = dst
            for i in 0..<(count / 256) {
                let b = x + i * typeSize
                let d = b.f16(0)
                for g in 0..<8 {
                    let db = d * Float(1 + 2 * Int32((b[106 + g / 2] >> (4 * UInt8(g % 2))) & 0xF))
                    for l in 0..<4 {
                        let signs = b[74 + 4 * g + l]
                        let g1 = grid[gridIndex(b, g, 2 * l)], g2 = grid[gridIndex(b, g, 2 * l + 1)]
                        storeSignedGridPair(y, db, g1, g2, signs: signs)
                        y += 8
                    }
                }
            }
        }
    }

    /// ggml's `quantize_iq3_s` (`quantize_row_iq3_s_impl` with groups of 32).
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int,
                         weights qwAll: UnsafePointer<Float>?) {
        let lattice = iq3sLattice
        let out = mbytes(dst)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 8 + 32 * 3) { fbuf in
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 64) { lbuf in
            let scales = fbuf.baseAddress!, weight = scales + 8, xval = weight + 32, waux = xval + 32
            let L = lbuf.baseAddress!, Laux = L + 32
            for ibl in 0..<(count / 256) {
                let y = out + ibl * typeSize
                for k in 0..<typeSize { y[k] = 0 }
                y.storeU16(floatToFP16(0), 0)
                var maxScale: Float = 0
                let xbl = src + 256 * ibl
                let sigma2 = 2 * sumOfSquares(xbl, 256) / 256
                for ib in 0..<8 {
                    let xb = xbl + 32 * ib
                    iqGroupWeights(xb, qwAll.map { $0 + 256 * ibl + 32 * ib }, n: 32, sigma2: sigma2, quarterSigma2: false, weight)
                    for i in 0..<32 { waux[i] = weight[i].squareRoot() }
                    var signs: [UInt8] = (0..<4).map { k in
                        var s: UInt8 = 0
                        for i in 0..<8 {
                            if xb[8 * k + i] >= 0 { xval[8 * k + i] = xb[8 * k + i] }
                            else { xval[8 * k + i] = -xb[8 * k + i]; s |= 1 << UInt8(i) }
                        }
                        return s
                    }
                    var max = xval[0]
                    for i in 1..<32 { max = Swift.max(max, xval[i]) }
                    for i in 0..<32 { L[i] = 0 }
                    if max == 0 { scales[ib] = 0; continue }
                    var scale = iq3SearchGroup32(xval, weight, waux, max: max, lattice: lattice, steps: -9...9,
                                                 assumeOnGrid: false, refineAll: true, L, Laux)
                    if scale < 0 { scale = -scale; signs = signs.map { ~$0 } }
                    // Off the lattice only for non-finite or overflowing input (ggml aborts): stored as a zero group.
                    guard let points = lattice.indices(of: L, runs: 8, bits: 3) else { scales[ib] = 0; continue }
                    for k in 0..<8 {
                        let gi = points[k]
                        y[2 + 8 * ib + k] = UInt8(gi & 255)
                        y[66 + ib] |= UInt8(gi >> 8) << UInt8(k)
                    }
                    for k in 0..<4 { y[74 + 4 * ib + k] = signs[k] }
                    scales[ib] = scale
                    maxScale = Swift.max(maxScale, scale)
                }
                if maxScale == 0 { continue }
                let d = maxScale / 31
                y.storeU16(floatToFP16(d * 1.033), 0)
                let id = 1 / d
                for ib in stride(from: 0, to: 8, by: 2) {
                    let l1 = Swift.max(0, Swift.min(15, nearestInt(0.5 * (id * scales[ib] - 1))))
                    let l2 = Swift.max(0, Swift.min(15, nearestInt(0.5 * (id * scales[ib + 1] - 1))))
                    y[106 + ib / 2] = UInt8(l1 | (l2 << 4))
                }
            }
        }
        }
    }

    /// Portable dot product with Q8_K (ggml's order).
    static func vecDotQ8_K(_ n: Int, _ vx: UnsafeRawPointer, _ vy: UnsafeRawPointer) -> Float {
        let x = bytes(vx), y = bytes(vy)
        return iq3sGrid.withUnsafeBufferPointer { grid in
            var sumf: Float = 0
            for i in 0..<(n / 256) {
                let b = x + i * typeSize, a8 = y + i * Q8_K.typeSize
                let d = b.f16(0) * Q8_K.d(a8)
                var q8 = a8 + 4
                var bsum: Int32 = 0
                for g in 0..<8 {
                    let ls = Int32(2 * ((b[106 + g / 2] >> (4 * UInt8(g % 2))) & 0xF) + 1)
                    var sumi: Int32 = 0
                    for l in 0..<4 {
                        let signs = b[74 + 4 * g + l]
                        let g1 = grid[gridIndex(b, g, 2 * l)], g2 = grid[gridIndex(b, g, 2 * l + 1)]
                        addSignedGridPairDot(&sumi, g1, g2, q8, signs: signs)
                        q8 += 8
                    }
                    bsum &+= sumi &* ls
                }
                sumf += d * Float(bsum)
            }
            return sumf
        }
    }
}
