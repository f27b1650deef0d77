import Foundation

/// Writes a streaming reply to the store: the message is created at once (incomplete) and
/// rewritten every `everyTokens` tokens or `everySeconds` seconds, whichever comes first,
/// so a killed process loses at most the tail of that reply.
public struct ReplyWriter {
    public let store: ChatStore
    public private(set) var message: StoredMessage
    public let everyTokens: Int
    public let everySeconds: Double
    private let clock: @Sendable () -> Double
    private var pendingTokens = 0
    private var lastFlush: Double

    public init(store: ChatStore, chat: Int64, level: String?, everyTokens: Int = 16, everySeconds: Double = 1,
                clock: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime }) throws {
        self.store = store; self.everyTokens = everyTokens; self.everySeconds = everySeconds; self.clock = clock
        message = StoredMessage(role: .assistant, content: "", level: level, complete: false)
        message.id = try store.append(message, to: chat)
        lastFlush = clock()
    }

    /// Adds a piece of the reply; writes when a flush is due.
    public mutating func append(_ text: String) throws {
        message.content += text
        pendingTokens += 1
        if pendingTokens >= everyTokens || clock() - lastFlush >= everySeconds { try flush() }
    }

    /// Writes what has arrived so far.
    public mutating func flush() throws {
        try store.update(message)
        pendingTokens = 0
        lastFlush = clock()
    }

    /// Writes the whole reply with its footer and marks it complete.
    public mutating func finish(footer: ReplyFooter?, text: String? = nil) throws {
        if let text { message.content = text }
        if let f = footer {
            message.level = f.level; message.tokens = f.tokens; message.tokensPerSecond = f.tokensPerSecond
            message.perplexity = f.perplexity; message.stopped = f.stopped
        }
        message.complete = true
        try flush()
    }
}
