/// Mutable state of one forward pass: scratch buffers sized once, the KV cache, the pool.
///
/// Blocks read and write these buffers through the helpers below; nothing allocates per token.
/// Shapes use `T` = `maxBatch`, the most tokens one micro-batch holds.
final class ForwardState: @unchecked Sendable {
    let configuration: ModelConfiguration
    let cache: KVCache
    let pool: ThreadPool
    let engine: MatmulEngine
    var trace: ActivationTrace?

    /// Tokens in the current micro-batch and the position of its first token.
    var tokens = 0
    var start = 0

    let hidden: ScratchBuffer<Float>    // (T, nEmbd) residual stream
    let normed: ScratchBuffer<Float>    // (T, nEmbd)
    // q, k, v, attnOut and gate, up are views of one region (see init).
    let q: ScratchBuffer<Float>         // (T, nHead * headDim)
    let k: ScratchBuffer<Float>         // (T, nKV * headDim)
    let v: ScratchBuffer<Float>         // (T, nKV * valueDim)
    let attnOut: ScratchBuffer<Float>   // (T, nHead * valueDim)
    let proj: ScratchBuffer<Float>      // (T, nEmbd)
    let gate: ScratchBuffer<Float>      // (T, nFF)
    let up: ScratchBuffer<Float>        // (T, nFF)
    let ropeGlobal: ScratchBuffer<Float>  // (T, ropeDims): cos, sin pairs at the file's base
    let ropeLocal: ScratchBuffer<Float>   // (T, ropeDims): at the sliding-window base
    let scores: ScratchBuffer<Float>    // (threads, group * contextLength)
    let scoresPerThread: Int
    let kvRows: ScratchBuffer<Float>    // (threads, headDim + valueDim + 16 * valueDim) converted cache rows, V-product lanes
    // The attention region's parameters (`attention` sets them, `work` reads them).
    var attnLayer = 0
    var attnQ: UnsafeMutablePointer<Float>?
    var attnDst: UnsafeMutablePointer<Float>?
    var attnSIMD = false
    /// The session's kernel choice: true runs the C kernels (`ForwardKernels.simd`).
    let simd: Bool

    init(configuration c: ModelConfiguration, cache: KVCache, pool: ThreadPool, maxBatch: Int, kernels: ForwardKernels) {
        configuration = c
        self.cache = cache
        self.pool = pool
        simd = kernels == .simd
        let t = maxBatch
        let widest = max(c.embeddingLength, c.feedForwardLength, c.headCount * c.valueDim)
        engine = MatmulEngine(pool: pool, maxTokens: t, maxCols: widest, kernels: kernels)
        hidden = ScratchBuffer(count: t * c.embeddingLength)
        normed = ScratchBuffer(count: t * c.embeddingLength)
        // Attention's q, k, v and output are dead once its output projection has run, and the
        // feed-forward's gate and up are written after that and dead before the next layer's
        // attention: both sets live in one region (5 MiB less for Gemma 3 at 512 tokens).
        let widths = [c.headCount * c.headDim, c.headCountKV * c.headDim, c.headCountKV * c.valueDim,
                      c.headCount * c.valueDim].map { t * $0 }
        let ffn = t * c.feedForwardLength
        let shared = ScratchBuffer<Float>(count: max(widths.reduce(0, +), 2 * ffn))
        func part(_ i: Int) -> ScratchBuffer<Float> {
            ScratchBuffer(viewing: shared, offset: widths[..<i].reduce(0, +), count: widths[i])
        }
        q = part(0)
        k = part(1)
        v = part(2)
        attnOut = part(3)
        gate = ScratchBuffer(viewing: shared, offset: 0, count: ffn)
        up = ScratchBuffer(viewing: shared, offset: ffn, count: ffn)
        proj = ScratchBuffer(count: t * c.embeddingLength)
        ropeGlobal = ScratchBuffer(count: t * c.ropeDimensions)
        ropeLocal = ScratchBuffer(count: t * c.ropeDimensions)
        let group = c.headCount / c.headCountKV
        scoresPerThread = group * cache.contextLength
        scores = ScratchBuffer(count: pool.threadCount * scoresPerThread)
        kvRows = ScratchBuffer(count: pool.threadCount * (c.headDim + 17 * c.valueDim))
    }

    // MARK: - Helpers for blocks

    /// y = W x for the batch. x: (tokens, W.cols); y: (tokens, W.rows).
    @inline(__always)
    func matmul(_ w: WeightMatrix, _ x: ScratchBuffer<Float>, _ y: ScratchBuffer<Float>) {
        engine.multiply(w, x.pointer, y.pointer, tokens: tokens)
    }

    /// Adds a bias to every row. x: (tokens, b.count).
    func addBias(_ x: ScratchBuffer<Float>, _ b: WeightVector) {
        for t in 0..<tokens { Ops.add(x.pointer + t * b.count, b.pointer, b.count) }
    }

    /// RMSNorm of every token row of width `n`, into `y` (may be `x`).
    func rmsNorm(_ x: ScratchBuffer<Float>, _ w: WeightVector, into y: ScratchBuffer<Float>, width n: Int) {
        Ops.rmsNormRows(x.pointer, w.pointer, rows: tokens, n, eps: configuration.rmsEpsilon, out: y.pointer)
    }

    /// RMSNorm of every head of every token in place (q/k norms). x: (tokens, heads, headDim).
    func headNorm(_ x: ScratchBuffer<Float>, _ w: WeightVector, heads: Int) {
        Ops.rmsNormRows(x.pointer, w.pointer, rows: tokens * heads, configuration.headDim, eps: configuration.rmsEpsilon)
    }

    /// Applies RoPE for layer `il` to every token. x: (tokens, heads, headDim).
    func rope(_ x: ScratchBuffer<Float>, heads: Int, layer il: Int) {
        let c = configuration
        let table = c.isSlidingWindowLayer(il) ? ropeLocal : ropeGlobal
        for t in 0..<tokens {
            Ops.rope(x.pointer + t * heads * c.headDim, heads: heads, headDim: c.headDim, dims: c.ropeDimensions,
                     neox: c.ropeStyle == .neox, cosSin: table.pointer + t * c.ropeDimensions, simd: simd)
        }
    }

    /// x += y over (tokens, width).
    func residual(_ x: ScratchBuffer<Float>, _ y: ScratchBuffer<Float>, width: Int) {
        Ops.add(x.pointer, y.pointer, tokens * width)
    }

    /// Reports a named activation to the trace hook, when one is set. x: (tokens, width).
    @inline(__always)
    func record(_ name: StaticString, _ layer: Int, _ x: ScratchBuffer<Float>, width: Int) {
        if let trace { trace(name, layer, tokens, width, UnsafeBufferPointer(start: x.pointer, count: tokens * width)) }
    }

    /// Fills the RoPE tables for positions `start ..< start + tokens`.
    func prepareRope() {
        let c = configuration
        for t in 0..<tokens {
            Ops.ropeCache(position: start + t, dims: c.ropeDimensions, base: c.ropeBase, freqScale: c.ropeFreqScale,
                          into: ropeGlobal.pointer + t * c.ropeDimensions)
            if let w = c.slidingWindow {
                Ops.ropeCache(position: start + t, dims: c.ropeDimensions, base: w.ropeBase, freqScale: 1,
                              into: ropeLocal.pointer + t * c.ropeDimensions)
            }
        }
    }
}
