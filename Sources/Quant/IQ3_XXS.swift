import GGUF

/// IQ3_XXS: 256 weights in 8 groups of 32; each run of 4 is a point of a 256-point lattice
/// (magnitudes 4, 12, ..., 52, 62), signs 7 bits per 8 (the 8th by parity), a 4-bit scale per group.
///
///     struct block_iq3_xxs { f16 d; u8 qs[64]; u32 scales_and_signs[8]; }  // 2 + 64 + 32 = 98 bytes, 3.0625 bits per weight
///     group g: a = scales_and_signs[g]; run pair l (0..<4): signs = ksigns_iq2xs[(a >> 7l) & 127]
///     w[32g + 8l + j]     = d * (0.5 + (a >> 28)) * 0.5 * iq3xxs_grid[qs[8g + 2l]][j]     * (signs bit j ? -1 : 1)
///     w[32g + 8l + 4 + j] = d * (0.5 + (a >> 28)) * 0.5 * iq3xxs_grid[qs[8g + 2l + 1]][j] * (signs bit j+4 ? -1 : 1)
/// Dot product partner: Q8_K.
enum IQ3_XXS: WeightedBlockFormat {
    static let type = GGMLType.iq3_xxs
    static let blockSize = 256
    static let typeSize = 2 + 64 + 32

    static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let x = bytes(src)
        iq3xxsGrid.withUnsafeBufferPointer { grid in
        ksignsIQ2XS.withUnsafeBufferPointer { ksigns in
            var y = dst
            for i in 0..<(count / 256) {
                let b = x + i * typeSize
                let d = b.f16(0)
                for g in 0..<8 {
                    let aux = b.u32(66 + 4 * g)
                    let db = d * (0.5 + Float(aux >> 28)) * 0.5
                    for l in 0..<4 {
                        let signs = ksigns[Int((aux >> (7 * UInt32(l))) & 127)]
                        let g1 = grid[Int(b[2 + 8 * g + 2 * l])], g2 = grid[Int(b[2 + 8 * g + 2 * l + 1])]
                        storeSignedGridPair(y, db, g1, g2, signs: signs)
                        y += 8
                    }
                }
            }
        }
        }
    }

    /// ggml's `quantize_row_iq3_xxs_impl` (grid size 256).
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int,
                         weights qwAll: UnsafePointer<Float>?) {
        let lattice = iq3xxsLattice
        let out = mbytes(dst)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 8 + 32 * 3) { fbuf in
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 64) { lbuf in
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 96) { q3 in
            let scales = fbuf.baseAddress!, weight = scales + 8, xval = weight + 32, waux = xval + 32
            let L = lbuf.baseAddress!, Laux = L + 32
            var sas = [UInt32](repeating: 0, count: 8)
            for ibl in 0..<(count / 256) {
                let y = out + ibl * typeSize
                y.storeU16(floatToFP16(0), 0)
                for k in 0..<96 { q3[k] = 0 }
                for k in 0..<8 { sas[k] = 0 }
                var maxScale: Float = 0
                let xbl = src + 256 * ibl
                let sigma2 = 2 * sumOfSquares(xbl, 256) / 256
                for ib in 0..<8 {
                    let xb = xbl + 32 * ib
                    iqGroupWeights(xb, qwAll.map { $0 + 256 * ibl + 32 * ib }, n: 32, sigma2: sigma2, quarterSigma2: false, weight)
                    for i in 0..<32 { waux[i] = weight[i].squareRoot() }
                    var signs = (0..<4).map { evenParitySigns(xb + 8 * $0, weight + 8 * $0, xval + 8 * $0) }
                    var max = xval[0]
                    for i in 1..<32 { max = Swift.max(max, xval[i]) }
                    for i in 0..<32 { L[i] = 0 }
                    if max < 1e-8 { scales[ib] = 0; continue }
                    var scale = iq3SearchGroup32(xval, weight, waux, max: max, lattice: lattice, steps: -15...15,
                                                 assumeOnGrid: true, refineAll: false, L, Laux)
                    if scale < 0 { scale = -scale; signs = signs.map { ~$0 & 127 } }
                    // Off the lattice only for non-finite or overflowing input (ggml aborts): stored as a zero group.
                    guard let points = lattice.indices(of: L, runs: 8, bits: 3) else { scales[ib] = 0; continue }
                    for k in 0..<8 {
                        let gi = points[k]
                        q3[8 * ib + k] = UInt8(gi)
                    }
                    sas[ib] = UInt32(signs[0]) | UInt32(signs[1]) << 7 | UInt32(signs[2]) << 14 | UInt32(signs[3]) << 21
                    scales[ib] = scale
                    maxScale = Swift.max(maxScale, scale)
                }
                if maxScale == 0 {
                    for k in 0..<96 { y[2 + k] = 0 }
                    continue
                }
                let d = maxScale / 31
                y.storeU16(floatToFP16(d * 1.0125), 0)
                let id = 1 / d
                for ib in 0..<8 {
                    let l = Swift.max(0, Swift.min(15, nearestInt(0.5 * (id * scales[ib] - 1))))
                    sas[ib] |= UInt32(l) << 28
                }
                for k in 0..<64 { y[2 + k] = q3[k] }
                for k in 0..<8 { y.storeU32(sas[k], 66 + 4 * k) }
            }
        }
        }
        }
    }

    /// Portable dot product with Q8_K (ggml's order).
    static func vecDotQ8_K(_ n: Int, _ vx: UnsafeRawPointer, _ vy: UnsafeRawPointer) -> Float {
        let x = bytes(vx), y = bytes(vy)
        return iq3xxsGrid.withUnsafeBufferPointer { grid in
        ksignsIQ2XS.withUnsafeBufferPointer { ksigns in
            var sumf: Float = 0
            for i in 0..<(n / 256) {
                let b = x + i * typeSize, a8 = y + i * Q8_K.typeSize
                let d = b.f16(0) * Q8_K.d(a8)
                var q8 = a8 + 4
                var bsum: Int32 = 0
                for g in 0..<8 {
                    let aux = b.u32(66 + 4 * g)
                    let ls = Int32(2 * (aux >> 28) + 1)
                    var sumi: Int32 = 0
                    for l in 0..<4 {
                        let signs = ksigns[Int((aux >> (7 * UInt32(l))) & 127)]
                        let g1 = grid[Int(b[2 + 8 * g + 2 * l])], g2 = grid[Int(b[2 + 8 * g + 2 * l + 1])]
                        addSignedGridPairDot(&sumi, g1, g2, q8, signs: signs)
                        q8 += 8
                    }
                    bsum &+= sumi &* ls
                }
                sumf += d * Float(bsum)
            }
            return 0.25 * sumf
        }
        }
    }
}
