import GGUF

/// IQ2_XS: 256 weights in 16 groups of 16; each run of 8 is a point of a 512-point lattice
/// (magnitudes 8, 25, 43) with 7 sign bits (the 8th by parity), and a 4-bit scale per group.
///
///     struct block_iq2_xs { f16 d; u16 qs[32]; u8 scales[8]; }   // 2 + 64 + 8 = 74 bytes, 2.3125 bits per weight
///     run r (0..<32): grid = iq2xs_grid[qs[r] & 511], signs = ksigns_iq2xs[qs[r] >> 9]
///     group scale: s = scales[r/4] >> 4*((r/2)%2) & 0xF
///     w = d * (0.5 + s) * 0.25 * grid[j] * (signs bit j ? -1 : 1)
/// ggml requires importance weights to quantize this type; without them quantty uses IQ2_S's
/// substitute (`0.25 sigma2 + x^2`). Dot product partner: Q8_K.
enum IQ2_XS: WeightedBlockFormat {
    static let type = GGMLType.iq2_xs
    static let blockSize = 256
    static let typeSize = 2 + 64 + 8

    static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let x = bytes(src)
        iq2xsGrid.withUnsafeBufferPointer { grid in
        ksignsIQ2XS.withUnsafeBufferPointer { ksigns in
            var y = dst
            for i in 0..<(count / 256) {
                let b = x + i * typeSize
                let d = b.f16(0)
                for g in 0..<8 {
                    let sc = b[66 + g]
                    let db0 = d * (0.5 + Float(sc & 0xF)) * 0.25
                    let db1 = d * (0.5 + Float(sc >> 4)) * 0.25
                    for l in 0..<4 {
                        let q = b.u16(2 + 2 * (4 * g + l))
                        let gv = grid[Int(q & 511)]
                        let signs = ksigns[Int(q >> 9)]
                        let db = l < 2 ? db0 : db1
                        storeSignedGridRow(y, db, gv, signs: signs)
                        y += 8
                    }
                }
            }
        }
        }
    }

    /// ggml's `quantize_row_iq2_xs_impl`.
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int,
                         weights qwAll: UnsafePointer<Float>?) {
        let lattice = iq2xsLattice
        let out = mbytes(dst)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16 + 16 * 3) { fbuf in
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 32) { lbuf in
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: 32) { q2 in
            let scales = fbuf.baseAddress!, weight = scales + 16, xval = weight + 16, waux = xval + 16
            let L = lbuf.baseAddress!, Laux = L + 16
            for ibl in 0..<(count / 256) {
                let y = out + ibl * typeSize
                y.storeU16(floatToFP16(0), 0)
                for k in 0..<32 { q2[k] = 0 }
                for k in 0..<8 { y[66 + k] = 0 }
                var maxScale: Float = 0
                let xbl = src + 256 * ibl
                let sigma2 = sumOfSquares(xbl, 256) / 256
                for ib in 0..<16 {
                    let xb = xbl + 16 * ib
                    iqGroupWeights(xb, qwAll.map { $0 + 256 * ibl + 16 * ib }, n: 16, sigma2: sigma2, quarterSigma2: true, weight)
                    for i in 0..<16 { waux[i] = weight[i].squareRoot() }
                    var s0 = evenParitySigns(xb, weight, xval)
                    var s1 = evenParitySigns(xb + 8, weight + 8, xval + 8)
                    var max = xval[0]
                    for i in 1..<16 { max = Swift.max(max, xval[i]) }
                    for i in 0..<16 { L[i] = 0 }
                    if max < 1e-15 { scales[ib] = 0; continue }
                    var scale = iq2SearchGroup16(xval, weight, waux, max: max, lattice: lattice, L, Laux)
                    if scale < 0 { scale = -scale; s0 = ~s0 & 127; s1 = ~s1 & 127 }
                    // Off the lattice only for non-finite or overflowing input (ggml aborts): stored as a zero group.
                    guard let points = lattice.indices(of: L, runs: 2, bits: 2) else { scales[ib] = 0; continue }
                    for k in 0..<2 {
                        let gi = points[k]
                        q2[2 * ib + k] = UInt16(gi) | UInt16(k == 0 ? s0 : s1) << 9
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
                for ib in 0..<16 {
                    let l = UInt8(Swift.max(0, Swift.min(15, nearestInt(0.5 * (id * scales[ib] - 1)))))
                    if ib % 2 == 0 { y[66 + ib / 2] = l } else { y[66 + ib / 2] |= l << 4 }
                }
                for k in 0..<32 { y.storeU16(q2[k], 2 + 2 * k) }
            }
        }
        }
        }
    }

    /// Portable dot product with Q8_K (ggml's order).
    static func vecDotQ8_K(_ n: Int, _ vx: UnsafeRawPointer, _ vy: UnsafeRawPointer) -> Float {
        let x = bytes(vx), y = bytes(vy)
        return iq2xsGrid.withUnsafeBufferPointer { grid in
        ksignsIQ2XS.withUnsafeBufferPointer { ksigns in
            var sumf: Float = 0
            for i in 0..<(n / 256) {
                let b = x + i * typeSize, a8 = y + i * Q8_K.typeSize
                let d = b.f16(0) * Q8_K.d(a8)
                var q8 = a8 + 4
                var bsum: Int32 = 0
                for g in 0..<8 {
                    let sc = b[66 + g]
                    for half in 0..<2 {
                        let ls = Int32(2 * (half == 0 ? sc & 0xF : sc >> 4) + 1)
                        var sumi: Int32 = 0
                        for l in (2 * half)..<(2 * half + 2) {
                            let q = b.u16(2 + 2 * (4 * g + l))
                            let gv = grid[Int(q & 511)]
                            let signs = ksigns[Int(q >> 9)]
                            addSignedGridDot(&sumi, gv, q8, signs: signs)
                            q8 += 8
                        }
                        bsum &+= sumi &* ls
                    }
                }
                sumf += d * Float(bsum)
            }
            return 0.125 * sumf
        }
        }
    }
}
