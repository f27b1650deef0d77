// Faster K-quant scale searches for the model quantizer, byte-identical to the scalar ports in
// KQuantSearch.swift (`makeQxQuantsScalar`, `makeQkx2QuantsScalar`), which stay as the reference.
//
// ggml's searches try a fixed list of candidate scales one after another, each a float sum over
// the group's weights: a chain of dependent additions, so the scalar loop runs at the adder's
// latency. Here the candidates are the lanes of SIMD vectors: every lane performs exactly the
// scalar operations, in the same order, on its own candidate (no fused multiply-adds, no
// reassociation), so each lane's sums are bit-identical to the scalar ones, and the selection
// then walks the candidates in ggml's order.
//
// In `make_qkx2_quants` a candidate that wins replaces `min`, which the later candidates use;
// the lanes after a winner are therefore recomputed from the new `min` (winners are rare, a
// few per group), which keeps the result identical.

typealias Lanes = SIMD8<Float>

/// ggml's `nearest_int` on every lane (same magic-number rounding).
@inline(__always)
private func nearestInt(_ v: Lanes) -> SIMD8<Int32> {
    let s = v + 12582912.0
    let bits = unsafeBitCast(s, to: SIMD8<Int32>.self)
    return (bits & 0x007F_FFFF) &- 0x0040_0000
}

@inline(__always)
private func lanesFrom(_ i: SIMD8<Int32>) -> Lanes {
    // Values are small integers: exact in Float.
    Lanes(i)
}

// Unoptimized builds leave the SIMD types as unspecialized generics, far slower than scalar
// code, so debug builds use the scalar ports (same bytes); the lane functions are still tested
// directly in debug.
#if DEBUG
let useLaneSearch = false
#else
let useLaneSearch = true
#endif

/// `make_qx_quants`: rmse type 1 (the only one the K-quants use, from Q6_K) goes through the
/// lane search; other types use the scalar port.
@inline(__always)
func makeQxQuants(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>,
                  rmseType: Int) -> Float {
    useLaneSearch && rmseType == 1 ? makeQxQuantsRmse1Lanes(n, nmax, x, L) : makeQxQuantsScalar(n, nmax, x, L, rmseType: rmseType)
}

/// `make_qkx2_quants` through the lane search.
@inline(__always)
func makeQkx2Quants(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ weights: UnsafePointer<Float>,
                    _ L: UnsafeMutablePointer<UInt8>, _ theMin: inout Float, _ Laux: UnsafeMutablePointer<UInt8>,
                    rmin: Float, rdelta: Float, nstep: Int, useMad: Bool) -> Float {
    guard useLaneSearch else {
        return makeQkx2QuantsScalar(n, nmax, x, weights, L, &theMin, Laux, rmin: rmin, rdelta: rdelta, nstep: nstep, useMad: useMad)
    }
    return makeQkx2QuantsLanes(n, nmax, x, weights, L, &theMin, rmin: rmin, rdelta: rdelta, nstep: nstep, useMad: useMad)
}

/// The candidates of `make_qx_quants` in the order ggml tries them: the initial scale (0),
/// then -9...-1, 1...9, padded to 24 lanes.
private let qxCandidates0 = Lanes(0, -9, -8, -7, -6, -5, -4, -3)
private let qxCandidates1 = Lanes(-2, -1, 1, 2, 3, 4, 5, 6)
private let qxCandidates2 = Lanes(7, 8, 9, 0, 0, 0, 0, 0)

/// The sums of one chunk of 8 candidates: iscale = -(nmax + 0.1*is)/max, levels clamped to
/// [-nmax, nmax-1], sums weighted by x^2 (the scalar port's operations, lane by lane).
@inline(__always)
private func qxSums(_ n: Int, _ fnmax: Float, _ max: Float, _ isv: Lanes, _ lo: SIMD8<Int32>, _ hi: SIMD8<Int32>,
                    _ x: UnsafePointer<Float>) -> (iscale: Lanes, sumlx: Lanes, suml2: Lanes) {
    let iscale = -(fnmax + 0.1 * isv) / max
    var slx = Lanes.zero, sl2 = Lanes.zero
    for i in 0..<n {
        let xi = x[i]
        let l = nearestInt(iscale * xi).clamped(lowerBound: lo, upperBound: hi)
        let fl = lanesFrom(l)
        let w = xi * xi
        slx += w * xi * fl
        sl2 += w * fl * fl
    }
    return (iscale, slx, sl2)
}

/// `make_qx_quants` with rmse type 1 (weights x^2), all 19 candidate scales as lanes.
func makeQxQuantsRmse1Lanes(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>) -> Float {
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
    let lo = SIMD8<Int32>(repeating: -nmax), hi = SIMD8<Int32>(repeating: nmax - 1)
    let c0 = qxSums(n, fnmax, max, qxCandidates0, lo, hi, x)
    let c1 = qxSums(n, fnmax, max, qxCandidates1, lo, hi, x)
    let c2 = qxSums(n, fnmax, max, qxCandidates2, lo, hi, x)
    @inline(__always) func lane(_ j: Int) -> (iscale: Float, lx: Float, l2: Float) {
        let c = j < 8 ? c0 : j < 16 ? c1 : c2
        return (c.iscale[j & 7], c.sumlx[j & 7], c.suml2[j & 7])
    }
    // Lane 0 is the initial scale; then the candidates in order, each kept when it is better.
    let first = lane(0)
    var scale: Float = first.l2 != 0 ? first.lx / first.l2 : 0
    var best = scale * first.lx
    var iscale = first.iscale
    for j in 1..<19 {
        let (isc, lx, l2) = lane(j)
        if l2 > 0 && lx * lx > best * l2 {
            scale = lx / l2; best = scale * lx; iscale = isc
        }
    }
    for i in 0..<n {
        let l = nearestInt(iscale * x[i])
        L[i] = Int8(truncatingIfNeeded: nmax + Swift.max(-nmax, Swift.min(nmax - 1, l)))
    }
    return scale
}

/// `make_qkx2_quants` with the candidate scales `rmin + rdelta*is` (is in 0...nstep) as lanes.
func makeQkx2QuantsLanes(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ weights: UnsafePointer<Float>,
                         _ L: UnsafeMutablePointer<UInt8>, _ theMin: inout Float,
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
    let iscale0 = fnmax / (max - min)
    var scale = 1 / iscale0
    var bestError: Float = 0
    for i in 0..<n {
        let l = nearestInt(iscale0 * (x[i] - min))
        L[i] = UInt8(truncatingIfNeeded: Swift.max(0, Swift.min(nmax, l)))
        var diff = scale * Float(L[i]) + min - x[i]
        diff = useMad ? abs(diff) : diff * diff
        bestError += weights[i] * diff
    }
    if nstep < 1 {
        theMin = -min
        return scale
    }
    let hi = SIMD8<Int32>(repeating: nmax)
    let steps = nstep + 1
    withUnsafeTemporaryAllocation(of: Lanes.self, capacity: n) { levels in
        let lv = levels.baseAddress!
        var start = 0
        while start < steps {
            var isv = Lanes()
            for k in 0..<8 { isv[k] = Float(start + k) }
            let iscale = (rmin + rdelta * isv + fnmax) / (max - min)
            var sumL = Lanes.zero, sumL2 = Lanes.zero, sumXL = Lanes.zero
            for i in 0..<n {
                let xi = x[i]
                let l = nearestInt(iscale * (xi - min)).clamped(lowerBound: .zero, upperBound: hi)
                let fl = lanesFrom(l)
                lv[i] = fl
                let w = weights[i]
                sumL += w * fl
                sumL2 += w * fl * fl
                sumXL += w * fl * xi
            }
            let D = sumW * sumL2 - sumL * sumL
            var thisScale = (sumW * sumXL - sumX * sumL) / D
            var thisMin = (sumL2 * sumX - sumL * sumXL) / D
            let positive = thisMin .> 0
            thisMin.replace(with: 0, where: positive)
            thisScale.replace(with: sumXL / sumL2, where: positive)
            var curError = Lanes.zero
            if useMad {
                for i in 0..<n {
                    var diff = thisScale * lv[i] + thisMin - x[i]
                    diff.replace(with: -diff, where: diff .< 0)
                    curError += weights[i] * diff
                }
            } else {
                for i in 0..<n {
                    let diff = thisScale * lv[i] + thisMin - x[i]
                    curError += weights[i] * (diff * diff)
                }
            }
            var accepted = -1
            for k in 0..<Swift.min(8, steps - start) where D[k] > 0 && curError[k] < bestError {
                accepted = k
                break
            }
            guard accepted >= 0 else {
                start += 8
                continue
            }
            for i in 0..<n { L[i] = UInt8(lv[i][accepted]) }
            bestError = curError[accepted]
            scale = thisScale[accepted]
            min = thisMin[accepted]
            // Later candidates depend on the new min: start again after the winner.
            start += accepted + 1
        }
    }
    theMin = -min
    return scale
}

/// C's `roundf` (halves away from zero) without a libm call, so that loops using it vectorize:
/// round to nearest even with the 2^23 trick, then move ties that went down up. Exact for every
/// float (values of 2^23 and above, infinities and NaN are returned as they are, as by roundf).
@inline(__always)
func roundHalfAwayFromZero(_ v: Float) -> Float {
    let a = abs(v)
    let even = (a + 8388608) - 8388608
    let r = a - even == 0.5 ? even + 1 : even
    return Float(signOf: v, magnitudeOf: a < 8388608 ? r : a)
}
