#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Picks the next token from a row of logits: a standard `SamplerChain` plus a candidates
/// buffer sized once for the vocabulary, so sampling allocates nothing per token.
///
/// Every sampled token is accepted into the chain (the penalty window); feed prompt tokens
/// with `accept(_:)` first if they should count, as llama.cpp does.
public struct Sampler: Sendable {
    public let parameters: SamplingParameters
    /// The seed in use (drawn at init when `parameters.seed` is nil).
    public let seed: UInt64
    public private(set) var chain: SamplerChain
    /// The working buffer; after `sample`, holds what the last stage saw.
    public private(set) var candidates: TokenCandidates

    /// Validates `parameters` and sizes the buffer for `vocabularySize` tokens.
    public init(parameters: SamplingParameters, vocabularySize: Int) throws(SamplingParameterError) {
        try parameters.validate()
        self.parameters = parameters
        var system = SystemRandomNumberGenerator()
        self.seed = parameters.seed ?? system.next()
        self.chain = .standard(parameters, seed: seed)
        self.candidates = TokenCandidates(capacity: vocabularySize)
    }

    /// Chooses a token from `logits` (one per token id) and accepts it into the chain.
    /// Precondition: `logits` is not empty.
    public mutating func sample(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        precondition(!logits.isEmpty, "Sampler.sample: empty logits")
        candidates.load(logits)
        chain.apply(to: &candidates)
        let token = candidates.selectedCandidate?.id ?? Self.argmax(logits)
        chain.accept(token)
        return token
    }

    /// `sample(_:)`, plus the chosen token's log-probability under the model's own
    /// distribution: log-softmax of the raw logits at temperature 1, before any stage.
    public mutating func sampleWithLogProbability(_ logits: UnsafeBufferPointer<Float>)
        -> (token: Int32, logProbability: Float) {
        let token = sample(logits)
        return (token, Self.logProbability(of: token, in: logits))
    }

    /// Tells the chain a token is part of the sequence (prompt tokens, forced tokens).
    public mutating func accept(_ token: Int32) { chain.accept(token) }

    public mutating func accept<S: Sequence>(contentsOf tokens: S) where S.Element == Int32 {
        for t in tokens { chain.accept(t) }
    }

    /// Forgets accepted tokens and reseeds: the next draws repeat those after `init`.
    public mutating func reset() { chain.reset() }

    // MARK: Helpers

    /// Index of the largest logit (the first on ties).
    public static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        var best = 0
        for i in 1..<max(logits.count, 1) where logits[i] > logits[best] { best = i }
        return Int32(best)
    }

    /// `log softmax(logits)[token]`, computed in double: `l[t] - max - log(sum exp(l - max))`.
    public static func logProbability(of token: Int32, in logits: UnsafeBufferPointer<Float>) -> Float {
        guard Int(token) >= 0, Int(token) < logits.count else { return -.infinity }
        var maxL = -Float.infinity
        for l in logits where l > maxL { maxL = l }
        guard maxL.isFinite else { return -.infinity }
        var sum: Double = 0
        for l in logits { sum += exp(Double(l - maxL)) }
        return Float(Double(logits[Int(token)] - maxL) - log(sum))
    }
}
