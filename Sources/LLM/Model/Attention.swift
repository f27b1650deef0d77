#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ForwardState {
    /// Causal (optionally sliding-window) grouped-query attention for the current batch.
    ///
    /// Stores this batch's keys and values in the cache, then for every token and KV head
    /// attends the `headCount / headCountKV` query heads that share it, so each cached key and
    /// value row is converted from F16 once per group.
    /// q: (tokens, nHead * headDim), already roped and scaled by nothing;
    /// k: (tokens, nKV * headDim), roped; v: (tokens, nKV * valueDim);
    /// out: (tokens, nHead * valueDim).
    func attention(layer il: Int, q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>,
                   v: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        let c = configuration
        let tokens = self.tokens, start = self.start
        cache.store(layer: il, start: start, tokens: tokens, k: k, v: v)
        if cache.type == .f16 {
            // ggml converts Q to the cache's type before the K·Q dot products; do the same so
            // scores match llama.cpp's (the keys are already rounded to F16).
            let n = tokens * configuration.headCount * configuration.headDim
            for i in 0..<n { q[i] = Half.round(q[i]) }
        }
        let l = cache.layers[il]
        let hd = c.headDim, vd = c.valueDim
        let nHead = c.headCount, nKV = c.headCountKV, group = nHead / nKV
        let scale = c.attentionScale
        let f16 = cache.type == .f16
        let scoresBase = scores.pointer, scoresStride = scoresPerThread
        let rowBase = kvRows.pointer, rowStride = hd + vd
        pool.run { part, parts in
            let scores = scoresBase + part * scoresStride          // (group, window)
            let krow = rowBase + part * rowStride                  // (headDim)
            let vrow = krow + hd                                   // (valueDim)
            for item in stride(from: part, to: tokens * nKV, by: parts) {   // interleaved: later tokens see more keys
                let t = item / nKV, kvh = item % nKV
                let pos = start + t
                let lo = l.window.map { max(0, pos - $0 + 1) } ?? 0
                let n = pos - lo + 1
                // Scores: (group, n).
                for j in 0..<n {
                    let slot = (lo + j) % l.capacity
                    let kp: UnsafePointer<Float>
                    if f16 {
                        Half.toFloat(l.keys.assumingMemoryBound(to: UInt16.self) + slot * l.keyWidth + kvh * hd, krow, hd)
                        kp = UnsafePointer(krow)
                    } else {
                        kp = UnsafePointer(l.keys.assumingMemoryBound(to: Float.self) + slot * l.keyWidth + kvh * hd)
                    }
                    for g in 0..<group {
                        let h = kvh * group + g
                        scores[g * n + j] = Vec.dot(q + t * nHead * hd + h * hd, kp, hd) * scale
                    }
                }
                // Softmax per head, in place.
                for g in 0..<group {
                    let s = scores + g * n
                    var m = -Float.infinity
                    for j in 0..<n { m = max(m, s[j]) }
                    var sum: Float = 0
                    for j in 0..<n { let e = expf(s[j] - m); s[j] = e; sum += e }
                    let inv = 1 / sum
                    for j in 0..<n { s[j] *= inv }
                    (out + t * nHead * vd + (kvh * group + g) * vd).update(repeating: 0, count: vd)
                }
                // Weighted sum of values.
                for j in 0..<n {
                    let slot = (lo + j) % l.capacity
                    let vp: UnsafePointer<Float>
                    if f16 {
                        Half.toFloat(l.values.assumingMemoryBound(to: UInt16.self) + slot * l.valueWidth + kvh * vd, vrow, vd)
                        vp = UnsafePointer(vrow)
                    } else {
                        vp = UnsafePointer(l.values.assumingMemoryBound(to: Float.self) + slot * l.valueWidth + kvh * vd)
                    }
                    for g in 0..<group {
                        let h = kvh * group + g
                        Vec.axpy(scores[g * n + j], vp, out + t * nHead * vd + h * vd, vd)
                    }
                }
            }
        }
    }
}

