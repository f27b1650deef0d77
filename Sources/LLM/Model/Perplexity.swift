import Foundation

/// Result of `InferenceSession.perplexity`, with the figures `llama-perplexity` prints.
public struct PerplexityResult: Sendable, Equatable {
    /// Perplexity of each chunk alone (its scored second half).
    public var chunkPerplexities: [Double]
    /// Running perplexity after each chunk, as llama-perplexity prints `[1]x,[2]y,...`.
    public var runningPerplexities: [Double]
    /// Final estimate: exp(mean negative log-likelihood).
    public var perplexity: Double
    /// Its +/- (standard error propagated through exp), as llama-perplexity prints.
    public var perplexityError: Double
    /// Tokens scored over all chunks.
    public var tokensScored: Int
    /// Mean negative log-likelihood (nats per token).
    public var meanNLL: Double
}

/// One scored prediction, for KL divergence and per-token statistics.
public struct ScoredToken: Sendable {
    /// Chunk index and position inside the chunk of the logits that predicted `target`.
    public var chunk: Int, position: Int
    /// The actual next token and its log-probability.
    public var target: Int32
    public var logProb: Double
}

extension InferenceSession {
    /// Perplexity over `tokens` with llama.cpp's method (`llama-perplexity -c nCtx`): the text is
    /// cut into `tokens.count / nCtx` chunks of `nCtx` tokens, the first token of every chunk is
    /// replaced by `bos` (when given), each chunk is evaluated alone from an empty cache, and
    /// only predictions from the second half of a chunk are scored (positions `nCtx/2 ..< nCtx-1`).
    ///
    /// - Parameters:
    ///   - progress: after each chunk: (chunks done, chunk count, running perplexity).
    ///   - scored: every scored prediction, with its full logit row (valid during the call);
    ///     KL divergence against another model hooks in here.
    public func perplexity(tokens: [Int32], nCtx: Int, bos: Int32?,
                           progress: ((Int, Int, Double) -> Void)? = nil,
                           scored: ((ScoredToken, UnsafeBufferPointer<Float>) -> Void)? = nil) throws -> PerplexityResult {
        guard nCtx >= 2, nCtx <= cache.contextLength else {
            throw ModelError.contextOverflow(requested: nCtx, capacity: cache.contextLength)
        }
        let chunks = tokens.count / nCtx
        guard chunks > 0 else {
            throw ModelError.file("perplexity needs at least \(nCtx) tokens (2 * n_ctx recommended); got \(tokens.count)")
        }
        let first = nCtx / 2
        var nll = 0.0, nll2 = 0.0, count = 0
        var perChunk: [Double] = [], running: [Double] = []
        var chunk = [Int32](repeating: 0, count: nCtx)
        for ci in 0..<chunks {
            for j in 0..<nCtx { chunk[j] = tokens[ci * nCtx + j] }
            if let bos { chunk[0] = bos }
            reset()
            var chunkNLL = 0.0, chunkCount = 0
            try evaluate(chunk, startPosition: 0, outputs: .from(first)) { i, logits in
                guard i < nCtx - 1 else { return }
                let target = tokens[ci * nCtx + i + 1]
                let lp = Self.logProb(logits, Int(target))
                chunkNLL -= lp; chunkCount += 1
                nll -= lp; nll2 += lp * lp; count += 1
                scored?(ScoredToken(chunk: ci, position: i, target: target, logProb: lp), logits)
            }
            perChunk.append(exp(chunkNLL / Double(chunkCount)))
            running.append(exp(nll / Double(count)))
            progress?(ci + 1, chunks, running.last!)
        }
        let mean = nll / Double(count)
        let ppl = exp(mean)
        var variance = nll2 / Double(count) - mean * mean
        var err = 0.0
        if variance > 0, count > 1 {
            variance = (variance / Double(count - 1)).squareRoot()
            err = variance * ppl
        }
        return PerplexityResult(chunkPerplexities: perChunk, runningPerplexities: running, perplexity: ppl,
                                perplexityError: err, tokensScored: count, meanNLL: mean)
    }

    /// log p(target) under softmax(logits), as llama.cpp's `log_softmax` (float max, double sum).
    public static func logProb(_ logits: UnsafeBufferPointer<Float>, _ target: Int) -> Double {
        let (m, lse) = Ops.logSumExp(logits.baseAddress!, logits.count)
        _ = m
        return Double(logits[target]) - lse
    }

    /// Log-softmax of a whole logit row into `out` (vocab), for KL divergence.
    public static func logSoftmax(_ logits: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Double>) {
        let (_, lse) = Ops.logSumExp(logits.baseAddress!, logits.count)
        for i in 0..<logits.count { out[i] = Double(logits[i]) - lse }
    }
}
