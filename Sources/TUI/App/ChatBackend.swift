import LLM

/// A request for a reply: the whole conversation (system prompt first, ending with the
/// user's message) as the engine's `ChatMessage`s, and the sampling settings.
public struct ChatRequest: Equatable, Sendable {
    public var turns: [ChatMessage]
    public var settings: ChatSettings
    /// True when the previous reply to the same conversation was thrown away (Ctrl-R); the
    /// backend may reuse its KV cache for the shared prefix.
    public var isRegeneration: Bool

    public init(turns: [ChatMessage], settings: ChatSettings, isRegeneration: Bool = false) {
        self.turns = turns; self.settings = settings; self.isRegeneration = isRegeneration
    }
}

/// A model the backend has loaded.
public struct LoadedModel: Equatable, Sendable {
    public var row: ModelRow
    public var contextSize: Int
    public var threads: Int
    public var fileBytes: UInt64?
    public var weightsBytes: UInt64?

    public init(row: ModelRow, contextSize: Int, threads: Int, fileBytes: UInt64? = nil, weightsBytes: UInt64? = nil) {
        self.row = row; self.contextSize = contextSize; self.threads = threads
        self.fileBytes = fileBytes; self.weightsBytes = weightsBytes
    }
}

/// Numbers the backend reports while it works; nil fields leave the shown value as is.
public struct LiveMetrics: Equatable, Sendable {
    public var generationTPS: Double?
    public var promptTPS: Double?
    public var timeToFirstToken: Double?
    public var contextUsed: Int?
    public var contextSize: Int?
    public var rssBytes: UInt64?
    public var weightsBytes: UInt64?
    public var kvCacheBytes: UInt64?
    public var threads: Int?

    public init(generationTPS: Double? = nil, promptTPS: Double? = nil, timeToFirstToken: Double? = nil,
                contextUsed: Int? = nil, contextSize: Int? = nil, rssBytes: UInt64? = nil,
                weightsBytes: UInt64? = nil, kvCacheBytes: UInt64? = nil, threads: Int? = nil) {
        self.generationTPS = generationTPS; self.promptTPS = promptTPS; self.timeToFirstToken = timeToFirstToken
        self.contextUsed = contextUsed; self.contextSize = contextSize; self.rssBytes = rssBytes
        self.weightsBytes = weightsBytes; self.kvCacheBytes = kvCacheBytes; self.threads = threads
    }
}

/// How a reply ended.
public struct ReplySummary: Equatable, Sendable {
    public var tokens: Int
    public var seconds: Double
    /// Stopped by the user (Esc) rather than by an end-of-text token or a length limit.
    public var stopped: Bool
    /// The level that wrote the reply, when the backend knows.
    public var level: String?

    public init(tokens: Int, seconds: Double, stopped: Bool = false, level: String? = nil) {
        self.tokens = tokens; self.seconds = seconds; self.stopped = stopped; self.level = level
    }
}

/// One column's figures at the end of its reply in compare mode.
public struct CompareColumnStats: Equatable, Sendable {
    public var tokens: Int
    public var tokensPerSecond: Double
    /// The level's mapped weights plus its KV cache.
    public var mappedBytes: UInt64
    /// The process's resident memory after the reply.
    public var residentBytes: UInt64
    public init(tokens: Int, tokensPerSecond: Double, mappedBytes: UInt64, residentBytes: UInt64) {
        self.tokens = tokens; self.tokensPerSecond = tokensPerSecond
        self.mappedBytes = mappedBytes; self.residentBytes = residentBytes
    }
}

/// A column's quality in compare mode: the reference column's reply read by this level.
public struct CompareQuality: Equatable, Sendable {
    public var reference: String
    public var perplexity: Double
    public var meanKLD: Double
    /// Fraction 0...1.
    public var sameTop: Double
    public init(reference: String, perplexity: Double, meanKLD: Double, sameTop: Double) {
        self.reference = reference; self.perplexity = perplexity; self.meanKLD = meanKLD; self.sameTop = sameTop
    }
}

/// What the backend streams back while loading or generating.
public enum BackendEvent: Equatable, Sendable {
    /// Loading progress, 0 ... 1.
    case loadProgress(Double)
    case modelLoaded(LoadedModel)
    /// A piece of reply text and the log-probability the model gave its token (for
    /// perplexity), when known.
    case token(String, logProb: Double?)
    case metrics(LiveMetrics)
    /// The reply (or load) ended; `ReplySummary` for replies.
    case finished(ReplySummary)
    /// Something went wrong; shown to the user, the app keeps running.
    case failed(String)
    /// The loaded model switched to another level (`swapLevel`) in `seconds`; `reused` when the
    /// level was still open (nothing read from disk).
    case levelSwapped(LoadedModel, seconds: Double, reused: Bool)
    /// The new level re-reading the conversation after a swap.
    case prefillProgress(done: Int, total: Int)
    case prefilled(tokens: Int, seconds: Double)
    /// Compare mode: column `column` (a level) starts its reply.
    case compareStarted(column: Int, level: String)
    case compareToken(column: Int, String)
    case compareColumnFinished(column: Int, CompareColumnStats)
    case compareQuality(column: Int, CompareQuality)
    /// The model was reloaded with another context length (F5); the conversation stays.
    case contextChanged(LoadedModel)
}

/// What the TUI needs from the engine. The lead implements it over `Engine`; tests use a
/// fake that streams canned tokens.
///
/// Streams end after `.finished` or `.failed`. Stopping: `stop()` makes the current
/// `generate` stream finish early with `ReplySummary.stopped`; cancelling the task that
/// iterates a stream must also stop the work. Regenerating is `generate` again with the
/// conversation up to the last user message and `isRegeneration` set.
public protocol ChatBackend: Sendable {
    /// Catalog models and GGUF files found on disk, for the picker.
    func models() async -> [ModelRow]
    /// Loads a model (fetching it first if missing): `.loadProgress`..., then
    /// `.modelLoaded` or `.failed`.
    func load(_ model: ModelRow) -> AsyncStream<BackendEvent>
    /// Streams a reply: `.metrics` (prompt speed, time to first token), `.token`s with
    /// `.metrics` in between at least 4 times a second, then `.finished` or `.failed`.
    func generate(_ request: ChatRequest) -> AsyncStream<BackendEvent>
    /// Stops the reply in progress, if any.
    func stop() async
    /// Switches the loaded model to another of its levels, keeping the conversation:
    /// `.levelSwapped`, then `.prefillProgress`... and `.prefilled` while the new level reads
    /// the conversation, then `.finished` (or `.failed`).
    func swapLevel(_ level: ModelRow, conversation: ChatRequest) -> AsyncStream<BackendEvent>
    /// Sends the conversation to several levels in turn (the first is the reference):
    /// `.compareStarted`, `.compareToken`s, `.compareColumnFinished` per column, then a
    /// `.compareQuality` per other column, then `.finished` with the reference's reply.
    func compare(_ request: ChatRequest, levels: [ModelRow]) -> AsyncStream<BackendEvent>
    /// New settings (F5). Sampling settings and the system prompt travel with each request;
    /// this is for what does not: the context length, which later loads use and which reloads
    /// `model` (the loaded one) when it differs: `.contextChanged`, then `.prefillProgress`...
    /// and `.prefilled` while it re-reads `conversation`, then `.finished` (or `.failed`).
    /// Finishes at once when there is nothing to do.
    func applySettings(_ settings: ChatSettings, model: ModelRow?, conversation: ChatRequest) -> AsyncStream<BackendEvent>
}

extension ChatBackend {
    /// Without a context to resize: nothing to do.
    public func applySettings(_ settings: ChatSettings, model: ModelRow?, conversation: ChatRequest) -> AsyncStream<BackendEvent> {
        AsyncStream { $0.finish() }
    }

    /// Without hot-swap: a plain load (the conversation is re-read by the next reply).
    public func swapLevel(_ level: ModelRow, conversation: ChatRequest) -> AsyncStream<BackendEvent> { load(level) }

    public func compare(_ request: ChatRequest, levels: [ModelRow]) -> AsyncStream<BackendEvent> {
        AsyncStream { c in
            c.yield(.failed("this backend cannot compare levels"))
            c.finish()
        }
    }
}
