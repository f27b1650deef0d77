// The 32-value lattice search shared by IQ3_XXS and IQ3_S (`quantize_row_iq3_xxs_impl`,
// `quantize_row_iq3_s_impl` in ggml-quants.c).

/// Trial scales (2*8-1 + step*0.2)/max for `steps`, each rounding the 8 runs of 4 onto `lattice`
/// (nearest listed neighbour when off it), keeping the best weighted fit; then the runs that were
/// off the lattice (all runs when `refineAll`) are rounded again with the chosen scale and the scale
/// refitted. Runs count as on the lattice before any trial wins when `assumeOnGrid` (IQ3_XXS) and
/// off it otherwise (IQ3_S). `L` gets levels 0...7 on the lattice; returns the scale.
func iq3SearchGroup32(_ xval: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ waux: UnsafePointer<Float>,
                      max: Float, lattice: Lattice, steps: ClosedRange<Int>, assumeOnGrid: Bool, refineAll: Bool,
                      _ L: UnsafeMutablePointer<Int8>, _ Laux: UnsafeMutablePointer<Int8>) -> Float {
    var best: Float = 0
    var scale = max / 15
    var onGrid: UInt8 = assumeOnGrid ? 0xFF : 0     // bit k: run k on the lattice
    for step in steps {
        let id = (15 + Float(step) * 0.2) / max
        let thisScale = 1 / id
        var onGridAux: UInt8 = 0xFF
        for k in 0..<8 {
            let u = latticeLevels(xval + 4 * k, dims: 4, maxLevel: 7, bits: 3, id: id, Laux + 4 * k)
            if lattice.map[u] < 0 {
                onGridAux &= ~(1 << UInt8(k))
                _ = lattice.bestNeighbour(key: u, xval + 4 * k, waux + 4 * k, scale: thisScale, Laux + 4 * k)
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
            onGrid = onGridAux
        }
    }
    if onGrid != 0xFF && scale > 0 {
        let id = 1 / scale
        for k in 0..<8 where refineAll || onGrid & (1 << UInt8(k)) == 0 {
            let u = latticeLevels(xval + 4 * k, dims: 4, maxLevel: 7, bits: 3, id: id, L + 4 * k)
            var gi = Int(lattice.map[u])
            if gi < 0 { gi = lattice.bestNeighbour(key: u, xval + 4 * k, waux + 4 * k, scale: scale, L + 4 * k) }
            for i in 0..<4 { L[4 * k + i] = (lattice.points[4 * gi + i] - 1) / 2 }
        }
        var sumqx: Float = 0, sumq2: Float = 0
        for i in 0..<32 {
            let w = weight[i], q = Float(2 * Int32(L[i]) + 1)
            sumqx += w * xval[i] * q
            sumq2 += w * q * q
        }
        if sumq2 > 0 { scale = sumqx / sumq2 }
    }
    return scale
}
