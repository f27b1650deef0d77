// The importance-weighted scale searches of ggml-quants.c used by the legacy and K-quant
// quantizers when an imatrix is given (`make_qx_quants` with weights, `make_qkx3_quants`), with
// the same float operations in the same order as ggml.

/// ggml's `make_qx_quants(n, nmax, x, L, 1, qw)` with importance weights `qw`: symmetric levels L
/// in 0..<2*nmax, 18 trial scales around -nmax/max; returns the scale.
func makeQxQuantsWeighted(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>,
                          _ qw: UnsafePointer<Float>) -> Float {
    var max: Float = 0, amax: Float = 0
    for i in 0..<n {
        let ax = abs(x[i])
        if ax > amax { amax = ax; max = x[i] }
    }
    if amax < groupMaxEps {
        for i in 0..<n { L[i] = 0 }
        return 0
    }
    let fnmax = Float(nmax)
    var iscale = -fnmax / max
    var sumlx: Float = 0, suml2: Float = 0
    for i in 0..<n {
        let l = Swift.max(-nmax, Swift.min(nmax - 1, nearestInt(iscale * x[i])))
        L[i] = Int8(truncatingIfNeeded: l + nmax)
        let w = qw[i], fl = Float(l)
        sumlx += w * x[i] * fl
        suml2 += w * fl * fl
    }
    var scale: Float = suml2 != 0 ? sumlx / suml2 : 0
    var best = scale * sumlx
    for step in -9...9 where step != 0 {
        iscale = -(fnmax + 0.1 * Float(step)) / max
        sumlx = 0; suml2 = 0
        for i in 0..<n {
            let l = Swift.max(-nmax, Swift.min(nmax - 1, nearestInt(iscale * x[i])))
            let w = qw[i], fl = Float(l)
            sumlx += w * x[i] * fl
            suml2 += w * fl * fl
        }
        if suml2 > 0 && sumlx * sumlx > best * suml2 {
            for i in 0..<n {
                L[i] = Int8(truncatingIfNeeded: nmax + Swift.max(-nmax, Swift.min(nmax - 1, nearestInt(iscale * x[i]))))
            }
            scale = sumlx / suml2; best = scale * sumlx
        }
    }
    return scale
}

/// ggml's `make_qkx3_quants` with weights (use_mad false): asymmetric levels 0...nmax with a
/// scale and a min (returned negated in `theMin`), nstep+1 trial scales, least squares per trial.
/// With weights given it does exactly what `make_qkx2_quants` does with use_mad false (the
/// `max <= min` test equals qkx2's `max == min` once min is clamped to <= 0), so it runs that port.
@inline(__always)
func makeQkx3Quants(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ weights: UnsafePointer<Float>,
                    _ L: UnsafeMutablePointer<UInt8>, _ theMin: inout Float, _ Laux: UnsafeMutablePointer<UInt8>,
                    rmin: Float, rdelta: Float, nstep: Int) -> Float {
    makeQkx2QuantsScalar(n, nmax, x, weights, L, &theMin, Laux, rmin: rmin, rdelta: rdelta, nstep: nstep, useMad: false)
}

/// sigma^2 = sum(x^2) / count over a whole row (the legacy types' importance weighting).
@inline(__always)
func rowSigma2(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
    sumOfSquares(x, count) / Float(count)
}

/// sum(x[j]^2) for j in 0..<n, in order (the start of every sigma^2 in ggml's importance weighting).
@inline(__always)
func sumOfSquares(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var s: Float = 0
    for j in 0..<n { s += x[j] * x[j] }
    return s
}

/// The IQ quantizers' weights for a group of `n` values `xb` (ggml's `quantize_row_iq*_impl`):
/// qw[i] * sqrt(sigma2 + x[i]^2) with importance weights `qw`, else x[i]^2, plus 0.25 * sigma2
/// first when `quarterSigma2` (IQ2_XXS, IQ2_XS, IQ2_S).
@inline(__always)
func iqGroupWeights(_ xb: UnsafePointer<Float>, _ qw: UnsafePointer<Float>?, n: Int, sigma2: Float,
                    quarterSigma2: Bool, _ weight: UnsafeMutablePointer<Float>) {
    if let qw {
        for i in 0..<n { weight[i] = qw[i] * (sigma2 + xb[i] * xb[i]).squareRoot() }
    } else if quarterSigma2 {
        for i in 0..<n { weight[i] = 0.25 * sigma2 + xb[i] * xb[i] }
    } else {
        for i in 0..<n { weight[i] = xb[i] * xb[i] }
    }
}
