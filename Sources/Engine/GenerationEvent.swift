import LLM

/// What a generation stream carries, in order: prompt progress, then one `.token` per
/// generated token (with its text, possibly empty while a UTF-8 character is incomplete),
/// `.stats` now and then, and a final `.finished`. Stats travel in the same stream as tokens.
public enum GenerationEvent: Sendable {
    /// Prompt tokens evaluated so far out of `total` (only the ones not already cached).
    case promptProgress(done: Int, total: Int)
    /// The context was full: `droppedMessages` of the oldest turns were left out and the rest re-read.
    case contextTrimmed(droppedMessages: Int)
    /// One generated token.
    case token(TokenEvent)
    case stats(GenerationStats)
    case finished(FinishReason, GenerationStats)
}

public struct TokenEvent: Sendable, Equatable {
    public var id: Int32
    /// Text this token completes (never half a UTF-8 character).
    public var text: String
    /// Log-probability of the token under the model (log-softmax of the raw logits).
    public var logProbability: Float
}

public enum FinishReason: String, Sendable, Codable {
    /// The model ended its turn (EOS or an end-of-turn token).
    case endOfTurn = "eot"
    /// The token limit was reached.
    case length
    /// The caller stopped it (or the stream was dropped).
    case stopped
    /// A `prefill` finished reading the conversation (nothing was generated).
    case prefilled
}

/// Timing and counts of one generation.
public struct GenerationStats: Sendable, Codable, Equatable {
    /// Prompt tokens evaluated for this reply (cached ones are not counted).
    public var promptTokens = 0
    public var promptSeconds = 0.0
    public var generatedTokens = 0
    /// From the first generated token to the last.
    public var generationSeconds = 0.0
    /// From the request to the first generated token.
    public var timeToFirstToken = 0.0
    /// Positions in the KV cache after this reply, and its size.
    public var contextUsed = 0
    public var contextSize = 0
    /// Sum of the generated tokens' log-probabilities (for perplexity).
    public var sumLogProbability = 0.0
    /// The label (`id:LEVEL` or file name) of the model level that wrote this reply.
    public var level: String?

    public init() {}

    public var promptTokensPerSecond: Double { promptSeconds > 0 ? Double(promptTokens) / promptSeconds : 0 }
    public var generationTokensPerSecond: Double {
        generatedTokens > 1 && generationSeconds > 0 ? Double(generatedTokens - 1) / generationSeconds : 0
    }
    /// Perplexity of the reply under the model that wrote it: exp(-mean log p).
    public var perplexity: Double {
        generatedTokens > 0 ? Foundation.exp(-sumLogProbability / Double(generatedTokens)) : 0
    }
}

import Foundation
