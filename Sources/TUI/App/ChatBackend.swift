/// One turn of the conversation as the backend sees it.
public struct ChatTurn: Equatable, Sendable {
    public enum Role: String, Sendable { case system, user, assistant }
    public var role: Role
    public var text: String
    public init(_ role: Role, _ text: String) { self.role = role; self.text = text }
}

/// A request for a reply: the whole conversation (system prompt first, ending with the
/// user's message) and the sampling settings.
public struct ChatRequest: Equatable, Sendable {
    public var turns: [ChatTurn]
    public var settings: ChatSettings
    /// True when the previous reply to the same conversation was thrown away (Ctrl-R); the
    /// backend may reuse its KV cache for the shared prefix.
    public var isRegeneration: Bool

    public init(turns: [ChatTurn], settings: ChatSettings, isRegeneration: Bool = false) {
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

    public init(tokens: Int, seconds: Double, stopped: Bool = false) {
        self.tokens = tokens; self.seconds = seconds; self.stopped = stopped
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
}
