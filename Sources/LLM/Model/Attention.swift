#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CKernels
import Quant

/// Which attention and element-wise kernels (attention, RoPE, SwiGLU, GeGLU, the F16 KV store)
/// a session runs: the F16C/FMA/AVX2 C kernels or the portable Swift loops. Chosen when the
/// session is made and passed down, as `QuantISA` is for the quantized dot products, so two
/// sessions can run different paths side by side.
public enum ForwardKernels: Sendable, Equatable, CaseIterable, CustomStringConvertible {
    case portable, simd

    /// Whether this CPU runs the SIMD kernels (checked at run time).
    public static let simdAvailable: Bool = {
        #if arch(x86_64)
        return QuantISA.best >= .avx2
        #else
        return false
        #endif
    }()

    /// The SIMD kernels when this CPU has them and `QUANTTY_PORTABLE_ATTENTION` is unset.
    public static let best: ForwardKernels = simdAvailable && getenv("QUANTTY_PORTABLE_ATTENTION") == nil ? .simd : .portable

    /// Whether this CPU can run the choice.
    public var isAvailable: Bool { self == .portable || Self.simdAvailable }

    public var description: String { self == .simd ? "simd" : "portable" }
}

extension ForwardState: ParallelWork {
    /// Causal (optionally sliding-window) grouped-query attention for the current batch.
    ///
    /// Stores this batch's keys and values in the cache, then attends every (token, query head)
    /// pair on the pool, interleaved across workers (later tokens see more keys). With an F16
    /// cache and F16C, keys and values are read as F16 straight from the cache by the C kernels.
    /// q: (tokens, nHead * headDim), already roped and scaled by nothing;
    /// k: (tokens, nKV * headDim), roped; v: (tokens, nKV * valueDim);
    /// out: (tokens, nHead * valueDim).
    func attention(layer il: Int, q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>,
                   v: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        let c = configuration
        let tokens = self.tokens, start = self.start
        let simd = self.simd
        cache.store(layer: il, start: start, tokens: tokens, k: k, v: v, simd: simd)
        if cache.type == .f16 {
            // ggml converts Q to the cache's type before the K·Q dot products; do the same so
            // scores match llama.cpp's (the keys are already rounded to F16).
            let n = tokens * configuration.headCount * configuration.headDim
            #if arch(x86_64)
            if simd { qt_round_f16_avx2(Int32(n), q) } else { for i in 0..<n { q[i] = Half.round(q[i]) } }
            #else
            for i in 0..<n { q[i] = Half.round(q[i]) }
            #endif
        }
        attnLayer = il; attnQ = q; attnDst = out; attnSIMD = simd
        pool.run(self)
    }

    /// One worker's share of `attention`: (token, head) items interleaved across workers.
    func work(part: Int, of parts: Int) {
        let c = configuration
        let tokens = self.tokens, start = self.start, simd = attnSIMD
        let q = attnQ!, out = attnDst!
        let l = cache.layers[attnLayer]
        let hd = c.headDim, vd = c.valueDim
        let nHead = c.headCount, group = nHead / c.headCountKV
        let scale = c.attentionScale
        let f16 = cache.type == .f16
        do {
            let scores = scores.pointer + part * scoresPerThread   // (window)
            let krow = kvRows.pointer + part * (hd + 17 * vd)      // (headDim)
            let vrow = krow + hd                                   // (valueDim)
            let lanes = vrow + vd                                  // (16, valueDim)
            for item in stride(from: part, to: tokens * nHead, by: parts) {
                let t = item / nHead, h = item % nHead, kvh = h / group
                let pos = start + t
                let lo = l.window.map { max(0, pos - $0 + 1) } ?? 0
                let n = pos - lo + 1
                let qh = UnsafePointer(q + t * nHead * hd + h * hd)
                let oh = out + t * nHead * vd + h * vd
                // The window's slots: one or two contiguous runs of the ring.
                let first = lo % l.capacity
                let n0 = min(n, l.capacity - first)
                #if arch(x86_64)
                if f16 && simd {
                    let keys = l.keys.assumingMemoryBound(to: UInt16.self) + kvh * hd
                    let values = l.values.assumingMemoryBound(to: UInt16.self) + kvh * vd
                    qt_attn_scores_f16_avx2(Int32(n0), Int32(hd), qh, keys + first * l.keyWidth, l.keyWidth, scale, scores)
                    if n0 < n {
                        qt_attn_scores_f16_avx2(Int32(n - n0), Int32(hd), qh, keys, l.keyWidth, scale, scores + n0)
                    }
                    // llama.cpp's non-flash path: softmax in F32 (ggml's exp, sums in double),
                    // probabilities rounded to F16, V product in tinyBLAS's order.
                    Self.softmaxGGML(scores, n, offset: lo % 16)
                    qt_round_f16_avx2(Int32(n), scores)
                    qt_attn_wsum_ggml_avx2(Int32(n), Int32(lo % 16), Int32(vd), scores, values + first * l.valueWidth, Int32(n0),
                                           values, l.valueWidth, lanes, oh)
                    continue
                }
                #endif
                for j in 0..<n {
                    let slot = (lo + j) % l.capacity
                    let kp: UnsafePointer<Float>
                    if f16 {
                        Half.toFloat(l.keys.assumingMemoryBound(to: UInt16.self) + slot * l.keyWidth + kvh * hd, krow, hd)
                        kp = UnsafePointer(krow)
                    } else {
                        kp = UnsafePointer(l.keys.assumingMemoryBound(to: Float.self) + slot * l.keyWidth + kvh * hd)
                    }
                    scores[j] = Vec.dot(qh, kp, hd) * scale
                }
                Self.softmax(scores, n)
                if f16 { for j in 0..<n { scores[j] = Half.round(scores[j]) } }
                oh.update(repeating: 0, count: vd)
                for j in 0..<n {
                    let slot = (lo + j) % l.capacity
                    let vp: UnsafePointer<Float>
                    if f16 {
                        Half.toFloat(l.values.assumingMemoryBound(to: UInt16.self) + slot * l.valueWidth + kvh * vd, vrow, vd)
                        vp = UnsafePointer(vrow)
                    } else {
                        vp = UnsafePointer(l.values.assumingMemoryBound(to: Float.self) + slot * l.valueWidth + kvh * vd)
                    }
                    Vec.axpy(scores[j], vp, oh, vd)
                }
            }
        }
    }

    /// ggml-cpu's softmax of `n` scores in place (see `qt_softmax_ggml_avx2`).
    @inline(__always)
    static func softmaxGGML(_ s: UnsafeMutablePointer<Float>, _ n: Int, offset: Int) {
        #if arch(x86_64)
        qt_softmax_ggml_avx2(Int32(n), Int32(offset), s)
        #else
        softmax(s, n)
        #endif
    }

    /// Softmax of `n` scores in place.
    @inline(__always)
    static func softmax(_ s: UnsafeMutablePointer<Float>, _ n: Int) {
        var m = -Float.infinity
        for j in 0..<n { m = max(m, s[j]) }
        var sum: Float = 0
        for j in 0..<n { let e = expf(s[j] - m); s[j] = e; sum += e }
        let inv = 1 / sum
        for j in 0..<n { s[j] *= inv }
    }
}
