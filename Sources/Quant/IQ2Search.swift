// The searches the IQ2 quantizers share (ggml-quants.c): `make_qp_quants`, the even-parity sign
// split of IQ2_XXS / IQ2_XS, and the 16-value lattice search of IQ2_XS / IQ2_S.

/// ggml's `make_qp_quants`: weighted levels 0...nmax of non-negative `x` with one positive scale
/// (9 trial scales, then up to 5 rounds of coordinate descent); returns the scale, levels in `L`.
func makeQpQuants(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<UInt8>,
                  _ w: UnsafePointer<Float>) -> Float {
    var max: Float = 0
    for i in 0..<n { max = Swift.max(max, x[i]) }
    if max < 1e-15 {
        for i in 0..<n { L[i] = 0 }
        return 0
    }
    let fnmax = Float(nmax)
    var iscale = fnmax / max
    for i in 0..<n { L[i] = UInt8(truncatingIfNeeded: nearestInt(iscale * x[i])) }
    let scale = 1 / iscale
    var bestMse: Float = 0
    for i in 0..<n {
        let diff = x[i] - scale * Float(L[i])
        bestMse += w[i] * diff * diff
    }
    for step in -4...4 where step != 0 {
        let iscaleIs = (0.1 * Float(step) + fnmax) / max
        let scaleIs = 1 / iscaleIs
        var mse: Float = 0
        for i in 0..<n {
            let l = Swift.min(nmax, nearestInt(iscaleIs * x[i]))
            let diff = x[i] - scaleIs * Float(l)
            mse += w[i] * diff * diff
        }
        if mse < bestMse { bestMse = mse; iscale = iscaleIs }
    }
    var sumlx: Float = 0, suml2: Float = 0
    for i in 0..<n {
        let l = Swift.min(nmax, nearestInt(iscale * x[i]))
        L[i] = UInt8(truncatingIfNeeded: l)
        sumlx += w[i] * x[i] * Float(l)
        suml2 += w[i] * Float(l) * Float(l)
    }
    for _ in 0..<5 {
        var changed = 0
        for i in 0..<n {
            let wi = w[i], li = Float(L[i])
            var slx = sumlx - wi * x[i] * li
            var sl2 = suml2 - wi * li * li
            if slx > 0 && sl2 > 0 {
                let newL = Swift.min(nmax, nearestInt(x[i] * sl2 / slx))
                if newL != Int32(L[i]) {
                    slx += wi * x[i] * Float(newL)
                    sl2 += wi * Float(newL) * Float(newL)
                    if slx * slx * suml2 > sumlx * sumlx * sl2 {
                        L[i] = UInt8(truncatingIfNeeded: newL); sumlx = slx; suml2 = sl2
                        changed += 1
                    }
                }
            }
        }
        if changed == 0 { break }
    }
    return suml2 > 0 ? sumlx / suml2 : 0
}

/// Absolute values of 8 values into `xval` and their sign bits, with an even number of signs:
/// when odd, the value of least weight*x^2 keeps the wrong sign (IQ2_XXS, IQ2_XS, IQ3_XXS).
/// Returns the low 7 sign bits (the 8th is implied by parity).
@inline(__always)
func evenParitySigns(_ xb: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ xval: UnsafeMutablePointer<Float>,
                     count: Int = 8) -> UInt8 {
    var nflip = 0
    var s: UInt8 = 0
    for i in 0..<count {
        if xb[i] >= 0 { xval[i] = xb[i] } else { xval[i] = -xb[i]; nflip += 1; s |= 1 << UInt8(i) }
    }
    if nflip % 2 != 0 {
        var imin = 0
        var min = weight[0] * xb[0] * xb[0]
        for i in 1..<count {
            let ax = weight[i] * xb[i] * xb[i]
            if ax < min { min = ax; imin = i }
        }
        xval[imin] = -xval[imin]
        s ^= 1 << UInt8(imin)
    }
    return s & 127
}

/// The 16-value search of IQ2_XS / IQ2_S (`quantize_row_iq2_xs_impl`'s inner loop): 19 trial
/// scales around max/5, each rounding both halves onto `lattice` (nearest listed neighbour when off
/// it), keeping the best weighted fit; then the halves that were off the lattice are rounded again
/// with the chosen scale and the scale refitted. `L` gets levels 0...2 (on the lattice); returns the scale.
func iq2SearchGroup16(_ xval: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ waux: UnsafePointer<Float>,
                      max: Float, lattice: Lattice, _ L: UnsafeMutablePointer<Int8>, _ Laux: UnsafeMutablePointer<Int8>) -> Float {
    var best: Float = 0
    var scale = max / 5
    var onGrid = (true, true)
    for step in -9...9 {
        let id = (5 + Float(step) * 0.1) / max
        let thisScale = 1 / id
        var onGridAux = (true, true)
        for k in 0..<2 {
            let u = latticeLevels(xval + 8 * k, dims: 8, maxLevel: 2, bits: 2, id: id, Laux + 8 * k)
            if lattice.map[u] < 0 {
                if k == 0 { onGridAux.0 = false } else { onGridAux.1 = false }
                _ = lattice.bestNeighbour(key: u, xval + 8 * k, waux + 8 * k, scale: thisScale, Laux + 8 * k)
            }
        }
        var sumqx: Float = 0, sumq2: Float = 0
        for i in 0..<16 {
            let w = weight[i], q = Float(2 * Int32(Laux[i]) + 1)
            sumqx += w * xval[i] * q
            sumq2 += w * q * q
        }
        if sumq2 > 0 && sumqx * sumqx > best * sumq2 {
            scale = sumqx / sumq2; best = scale * sumqx
            for i in 0..<16 { L[i] = Laux[i] }
            onGrid = onGridAux
        }
    }
    if (!onGrid.0 || !onGrid.1) && scale > 0 {
        let id = 1 / scale
        for k in 0..<2 where !(k == 0 ? onGrid.0 : onGrid.1) {
            let u = latticeLevels(xval + 8 * k, dims: 8, maxLevel: 2, bits: 2, id: id, L + 8 * k)
            if lattice.map[u] < 0 {
                _ = lattice.bestNeighbour(key: u, xval + 8 * k, waux + 8 * k, scale: scale, L + 8 * k)
            }
        }
        var sumqx: Float = 0, sumq2: Float = 0
        for i in 0..<16 {
            let w = weight[i], q = Float(2 * Int32(L[i]) + 1)
            sumqx += w * xval[i] * q
            sumq2 += w * q * q
        }
        if sumq2 > 0 { scale = sumqx / sumq2 }
    }
    return scale
}
