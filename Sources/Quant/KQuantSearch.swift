// The scale searches behind ggml's K-quant reference quantizers (`make_qx_quants`,
// `make_q3_quants`, `make_qkx2_quants`, `get_scale_min_k4`), ported with the same float
// operations in the same order so that the chosen quants are byte-identical to ggml's.

/// ggml's GROUP_MAX_EPS: groups whose largest magnitude is below it quantize to zero.
let groupMaxEps: Float = 1e-15

/// The scalar port, kept as the reference for `makeQxQuants` (ModelQuantizerSearch.swift).
/// Symmetric search (`make_qx_quants` with no importance weights): levels L in 0..<2*nmax,
/// returns the scale. rmseType 1 weighs errors by x^2 and tries 18 scales around -nmax/max.
func makeQxQuantsScalar(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>,
                  rmseType: Int) -> Float {
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
    if rmseType == 0 {
        for i in 0..<n {
            let l = nearestInt(iscale * x[i])
            L[i] = Int8(truncatingIfNeeded: nmax + Swift.max(-nmax, Swift.min(nmax - 1, l)))
        }
        return 1 / iscale
    }
    @inline(__always) func weight(_ v: Float) -> Float {
        switch rmseType {
        case 1: return v * v
        case 2: return 1
        case 3: return abs(v)
        default: return abs(v).squareRoot()
        }
    }
    var sumlx: Float = 0, suml2: Float = 0
    for i in 0..<n {
        var l = nearestInt(iscale * x[i])
        l = Swift.max(-nmax, Swift.min(nmax - 1, l))
        L[i] = Int8(truncatingIfNeeded: l + nmax)
        let w = weight(x[i])
        let fl = Float(l)
        sumlx += w * x[i] * fl
        suml2 += w * fl * fl
    }
    var scale: Float = suml2 != 0 ? sumlx / suml2 : 0
    var best = scale * sumlx
    for isv in -9...9 where isv != 0 {
        iscale = -(fnmax + 0.1 * Float(isv)) / max
        sumlx = 0; suml2 = 0
        for i in 0..<n {
            var l = nearestInt(iscale * x[i])
            l = Swift.max(-nmax, Swift.min(nmax - 1, l))
            let w = weight(x[i])
            let fl = Float(l)
            sumlx += w * x[i] * fl
            suml2 += w * fl * fl
        }
        if suml2 > 0 && sumlx * sumlx > best * suml2 {
            for i in 0..<n {
                let l = nearestInt(iscale * x[i])
                L[i] = Int8(truncatingIfNeeded: nmax + Swift.max(-nmax, Swift.min(nmax - 1, l)))
            }
            scale = sumlx / suml2; best = scale * sumlx
        }
    }
    return scale
}

/// `make_q3_quants` with do_rmse: x^2-weighted coordinate descent, levels in 0..<2*nmax.
func makeQ3Quants(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>) -> Float {
    var max: Float = 0, amax: Float = 0
    for i in 0..<n {
        let ax = abs(x[i])
        if ax > amax { amax = ax; max = x[i] }
    }
    if amax < groupMaxEps {
        for i in 0..<n { L[i] = 0 }
        return 0
    }
    let iscale = -Float(nmax) / max
    var sumlx: Float = 0, suml2: Float = 0
    for i in 0..<n {
        var l = nearestInt(iscale * x[i])
        l = Swift.max(-nmax, Swift.min(nmax - 1, l))
        L[i] = Int8(truncatingIfNeeded: l)
        let w = x[i] * x[i]
        let fl = Float(l)
        sumlx += w * x[i] * fl
        suml2 += w * fl * fl
    }
    for _ in 0..<5 {
        var nChanged = 0
        for i in 0..<n {
            let w = x[i] * x[i]
            let li = Float(L[i])
            var slx = sumlx - w * x[i] * li
            if slx > 0 {
                var sl2 = suml2 - w * li * li
                var newL = nearestInt(x[i] * sl2 / slx)
                newL = Swift.max(-nmax, Swift.min(nmax - 1, newL))
                if newL != Int32(L[i]) {
                    let fn = Float(newL)
                    slx += w * x[i] * fn
                    sl2 += w * fn * fn
                    if sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2 {
                        L[i] = Int8(truncatingIfNeeded: newL); sumlx = slx; suml2 = sl2
                        nChanged += 1
                    }
                }
            }
        }
        if nChanged == 0 { break }
    }
    for i in 0..<n { L[i] = L[i] &+ Int8(truncatingIfNeeded: nmax) }
    return suml2 > 0 ? sumlx / suml2 : 0
}

/// The scalar port, kept as the reference for `makeQkx2Quants` (ModelQuantizerSearch.swift).
/// `make_qkx2_quants`: asymmetric search, levels L in 0...nmax, x ~ scale*L - theMin.
/// Returns the scale; `theMin` receives the (non-negative) offset.
func makeQkx2QuantsScalar(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ weights: UnsafePointer<Float>,
                    _ L: UnsafeMutablePointer<UInt8>, _ theMin: inout Float, _ Laux: UnsafeMutablePointer<UInt8>,
                    rmin: Float, rdelta: Float, nstep: Int, useMad: Bool) -> Float {
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
    if max == min {
        for i in 0..<n { L[i] = 0 }
        theMin = -min
        return 0
    }
    let fnmax = Float(nmax)
    var iscale = fnmax / (max - min)
    var scale = 1 / iscale
    var bestError: Float = 0
    for i in 0..<n {
        let l = nearestInt(iscale * (x[i] - min))
        L[i] = UInt8(truncatingIfNeeded: Swift.max(0, Swift.min(nmax, l)))
        var diff = scale * Float(L[i]) + min - x[i]
        diff = useMad ? abs(diff) : diff * diff
        bestError += weights[i] * diff
    }
    if nstep < 1 {
        theMin = -min
        return scale
    }
    for isv in 0...nstep {
        iscale = (rmin + rdelta * Float(isv) + fnmax) / (max - min)
        var sumL: Float = 0, sumL2: Float = 0, sumXL: Float = 0
        for i in 0..<n {
            var l = nearestInt(iscale * (x[i] - min))
            l = Swift.max(0, Swift.min(nmax, l))
            Laux[i] = UInt8(truncatingIfNeeded: l)
            let w = weights[i]
            let fl = Float(l)
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
            var curError: Float = 0
            for i in 0..<n {
                var diff = thisScale * Float(Laux[i]) + thisMin - x[i]
                diff = useMad ? abs(diff) : diff * diff
                curError += weights[i] * diff
            }
            if curError < bestError {
                for i in 0..<n { L[i] = Laux[i] }
                bestError = curError
                scale = thisScale
                min = thisMin
            }
        }
    }
    theMin = -min
    return scale
}

/// The j-th (scale, min) pair of the 12-byte packed 6-bit scales of Q4_K/Q5_K (`get_scale_min_k4`).
@inline(__always)
func scaleMinK4(_ j: Int, _ q: UnsafePointer<UInt8>) -> (UInt8, UInt8) {
    if j < 4 {
        return (q[j] & 63, q[j + 4] & 63)
    }
    return ((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4))
}

/// Packs 8 (scale, min) pairs of 6 bits into Q4_K/Q5_K's 12 bytes (inverse of `scaleMinK4`).
@inline(__always)
func packScaleMinK4(_ j: Int, _ ls: UInt8, _ lm: UInt8, _ s: UnsafeMutablePointer<UInt8>) {
    if j < 4 {
        s[j] = ls
        s[j + 4] = lm
    } else {
        s[j + 4] = (ls & 0xF) | ((lm & 0xF) << 4)
        s[j - 4] |= ((ls >> 4) << 6)
        s[j] |= ((lm >> 4) << 6)
    }
}
