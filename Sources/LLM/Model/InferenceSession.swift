import GGUF

/// Which positions of a batch produce logits.
public enum LogitOutputs: Sendable, Equatable {
    /// Only the last token of the call (generation).
    case last
    /// Every token (perplexity, teacher forcing).
    case all
    /// Tokens at index `>= n` of the call (perplexity scores the second half of a chunk).
    case from(Int)
}

/// The mutable side of inference for one model: KV cache, scratch buffers, worker threads.
///
/// Memory is allocated here, once; `evaluate` allocates nothing. One session serves one
/// conversation at a time and must be used from one thread at a time.
public final class InferenceSession: @unchecked Sendable {
    public let model: Model
    public let cache: KVCache
    /// Most tokens per internal micro-batch; longer inputs are processed in several.
    public let maxBatch: Int
    /// The attention and element-wise kernels this session runs.
    public let kernels: ForwardKernels
    /// Worker threads (including the caller).
    public var threadCount: Int { pool.threadCount }
    /// Debug hook receiving named activations (`attn_norm`, `Qcur`, `l_out`, `result_norm`, ...).
    public var trace: ActivationTrace? {
        get { state.trace }
        set { state.trace = newValue }
    }

    /// Sees the input activations of every weight matrix (`quantty imatrix`); nil when off.
    public var matmulInputs: MatmulInputObserver? {
        get { state.engine.inputObserver }
        set { state.engine.inputObserver = newValue }
    }

    let pool: ThreadPool
    let state: ForwardState
    /// Logit rows computed per output matmul.
    let logitChunk: Int
    private let logits: ScratchBuffer<Float>   // (logitChunk, vocab)

    /// - Parameters:
    ///   - contextLength: positions the KV cache holds (default: `ContextPolicy`'s); an
    ///     explicit length is taken as is, also beyond the trained one (the engine clamps).
    ///   - threads: compute threads, the caller included.
    ///   - maxBatch: tokens per micro-batch; scratch memory grows with it.
    ///   - kvCacheType: F16 like llama.cpp (default) or F32.
    ///   - kernels: attention and element-wise kernels (default: the best this CPU runs; a
    ///     choice it cannot run falls back to `.portable`).
    public init(model: Model, contextLength: Int? = nil, threads: Int = 2, maxBatch: Int = 256,
                kvCacheType: KVCacheType = .f16, kernels: ForwardKernels = .best) {
        self.model = model
        let c = model.configuration
        let ctx = max(1, contextLength ?? ContextPolicy.contextLength(asked: nil, trained: c.contextLength))
        self.maxBatch = max(1, min(maxBatch, ctx))
        pool = ThreadPool(threads: threads)
        cache = KVCache(configuration: c, contextLength: ctx, maxBatch: self.maxBatch, type: kvCacheType)
        self.kernels = kernels.isAvailable ? kernels : .portable
        state = ForwardState(configuration: c, cache: cache, pool: pool, maxBatch: self.maxBatch, kernels: self.kernels)
        // At most 64 rows and 32 MiB of logits (Gemma's 262,144-token vocabulary: 32 rows).
        logitChunk = max(1, min(self.maxBatch, 64, (8 << 20) / max(1, c.vocabularySize)))
        logits = ScratchBuffer(count: logitChunk * c.vocabularySize)
    }

    /// Positions currently in the KV cache.
    public var position: Int { cache.count }

    /// Forgets the conversation.
    public func reset() { cache.reset() }

    /// Runs `tokens` at positions `startPosition ..<` (default: after the cached ones) and calls
    /// `body(index, logits)` for each requested output, in order; `index` counts from the first
    /// token of this call and `logits` (vocab) is valid only during the call.
    /// Starting before the cache's end drops the later positions first.
    public func evaluate(_ tokens: [Int32], startPosition: Int? = nil, outputs: LogitOutputs = .last,
                         _ body: (Int, UnsafeBufferPointer<Float>) throws -> Void) throws {
        let c = model.configuration
        let start = startPosition ?? cache.count
        guard start <= cache.count, start >= 0 else { throw ModelError.invalidPosition(requested: start, cached: cache.count) }
        guard start + tokens.count <= cache.contextLength else {
            throw ModelError.contextOverflow(requested: start + tokens.count, capacity: cache.contextLength)
        }
        for id in tokens where id < 0 || Int(id) >= c.vocabularySize {
            throw ModelError.invalidToken(id, vocabularySize: c.vocabularySize)
        }
        if start < cache.count, !cache.truncate(to: start) {
            // A sliding window lost keys this start needs: start the conversation over.
            throw ModelError.invalidPosition(requested: start, cached: 0)
        }
        if tokens.isEmpty { return }
        let firstOutput: Int
        switch outputs {
        case .last: firstOutput = tokens.count - 1
        case .all: firstOutput = 0
        case .from(let n): firstOutput = max(0, min(n, tokens.count))
        }
        var done = 0
        while done < tokens.count {
            let n = min(maxBatch, tokens.count - done)
            try tokens.withUnsafeBufferPointer { all in
                try runBatch(UnsafeBufferPointer(rebasing: all[done..<(done + n)]), start: start + done,
                             firstOutput: max(0, firstOutput - done), indexBase: done, body)
            }
            done += n
        }
    }

    /// Logits (vocab) of the last of `tokens`.
    public func forward(tokens: [Int32], startPosition: Int? = nil) throws -> [Float] {
        var out: [Float] = []
        try evaluate(tokens, startPosition: startPosition, outputs: .last) { _, l in out = Array(l) }
        return out
    }

    /// Logits (tokens, vocab) of every one of `tokens`.
    public func forwardAll(tokens: [Int32], startPosition: Int? = nil) throws -> [[Float]] {
        var out: [[Float]] = []
        out.reserveCapacity(tokens.count)
        try evaluate(tokens, startPosition: startPosition, outputs: .all) { _, l in out.append(Array(l)) }
        return out
    }

    // MARK: - One micro-batch

    private func runBatch(_ ids: UnsafeBufferPointer<Int32>, start: Int, firstOutput: Int, indexBase: Int,
                          _ body: (Int, UnsafeBufferPointer<Float>) throws -> Void) throws {
        let c = model.configuration, d = c.embeddingLength
        let s = state
        s.tokens = ids.count
        s.start = start

        // Embeddings: one dequantized row per token. hidden: (tokens, nEmbd).
        for (t, id) in ids.enumerated() {
            model.tokenEmbedding.dequantizeRow(Int(id), into: s.hidden.pointer + t * d)
        }
        if c.embeddingScale != 1 { Ops.scale(s.hidden.pointer, c.embeddingScale, ids.count * d) }
        s.record("inp_embd", -1, s.hidden, width: d)
        s.prepareRope()

        for (il, block) in model.blocks.enumerated() { block.forward(s, layer: il) }
        cache.count = start + ids.count

        guard firstOutput < ids.count else { return }
        // Final norm of the rows that produce logits. normed: (tokens, nEmbd).
        for t in firstOutput..<ids.count {
            Ops.rmsNorm(s.hidden.pointer + t * d, model.outputNorm.pointer, s.normed.pointer + t * d, d, eps: c.rmsEpsilon)
        }
        var t0 = firstOutput
        while t0 < ids.count {
            let n = min(logitChunk, ids.count - t0)
            s.engine.multiply(model.output, s.normed.pointer + t0 * d, logits.pointer, tokens: n)
            if let cap = c.finalLogitSoftcap {
                let p = logits.pointer
                for i in 0..<(n * c.vocabularySize) { p[i] = cap * tanhf(p[i] / cap) }
            }
            for i in 0..<n {
                try body(indexBase + t0 + i, UnsafeBufferPointer(start: logits.pointer + i * c.vocabularySize, count: c.vocabularySize))
            }
            t0 += n
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
