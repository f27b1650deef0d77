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
func makeQkx3Quants(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ weights: UnsafePointer<Float>,
                    _ L: UnsafeMutablePointer<UInt8>, _ theMin: inout Float, _ Laux: UnsafeMutablePointer<UInt8>,
                    rmin: Float, rdelta: Float, nstep: Int) -> Float {
    var min = x[0], max = x[0]
    var sumW = weights[0]
    var sumX = sumW * x[0]
    for i in 1..<n {
        if x[i] < min { min = x[i] }
        if x[i] > max { max = x[i] }
        let w = weights[i]
        sumW += w
        sumX += w * x[i]
    }
    if min > 0 { min = 0 }
    if max <= min {
        for i in 0..<n { L[i] = 0 }
        theMin = -min
        return 0
    }
    let fnmax = Float(nmax)
    var iscale = fnmax / (max - min)
    var scale = 1 / iscale
    var bestMad: Float = 0
    for i in 0..<n {
        let l = nearestInt(iscale * (x[i] - min))
        L[i] = UInt8(truncatingIfNeeded: Swift.max(0, Swift.min(nmax, l)))
        let diff = scale * Float(L[i]) + min - x[i]
        bestMad += weights[i] * (diff * diff)
    }
    if nstep < 1 { theMin = -min; return scale }
    for step in 0...nstep {
        iscale = (rmin + rdelta * Float(step) + fnmax) / (max - min)
        var sumL: Float = 0, sumL2: Float = 0, sumXL: Float = 0
        for i in 0..<n {
            let l = Swift.max(0, Swift.min(nmax, nearestInt(iscale * (x[i] - min))))
            Laux[i] = UInt8(truncatingIfNeeded: l)
            let w = weights[i], fl = Float(l)
            sumL += w * fl
            sumL2 += w * fl * fl
            sumXL += w * fl * x[i]
        }
        let D = sumW * sumL2 - sumL * sumL
        if D > 0 {
            var thisScale = (sumW * sumXL - sumX * sumL) / D
            var thisMin = (sumL2 * sumX - sumL * sumXL) / D
            if thisMin > 0 {
                thisMin = 0
                thisScale = sumXL / sumL2
            }
            var mad: Float = 0
            for i in 0..<n {
                let diff = thisScale * Float(Laux[i]) + thisMin - x[i]
                mad += weights[i] * (diff * diff)
            }
            if mad < bestMad {
                for i in 0..<n { L[i] = Laux[i] }
                bestMad = mad
                scale = thisScale
                min = thisMin
            }
        }
    }
    theMin = -min
    return scale
}

/// sigma^2 = sum(x^2) / count over a whole row (the legacy types' importance weighting).
@inline(__always)
func rowSigma2(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
    var s: Float = 0
    for j in 0..<count { s += x[j] * x[j] }
    return s / Float(count)
}
