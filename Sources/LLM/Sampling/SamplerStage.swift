/// One step of a sampler chain (llama.cpp's `llama_sampler_i`): a small value that filters or
/// reshapes the candidates, or, as the last step, selects one.
///
/// Stages keep their own state (a penalty window); the chain owns the random generator and
/// lends it to every stage.
public protocol SamplerStage: Sendable {
    /// A short name for logs ("top-k", "dist", ...).
    var name: String { get }
    /// Transforms the live candidates in place; a selecting stage sets `candidates.selected`.
    mutating func apply(to candidates: inout TokenCandidates, rng: inout SamplerRNG)
    /// Told of every token that became part of the sequence (prompt or generated).
    mutating func accept(_ token: Int32)
    /// Forgets accepted tokens (new conversation).
    mutating func reset()
}

extension SamplerStage {
    public mutating func accept(_ token: Int32) {}
    public mutating func reset() {}
}
