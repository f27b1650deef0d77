import Foundation

/// A message as stored: the chat pane's view plus what the footer needs.
public struct StoredMessage: Equatable, Sendable {
    public var id: Int64?
    public var role: ChatPaneMessage.Role
    public var content: String
    public var level: String?
    public var tokens: Int?
    public var tokensPerSecond: Double?
    public var perplexity: Double?
    public var stopped = false
    /// False while a reply is still being written (and forever if the app died mid-reply).
    public var complete = true
    public var created: Date

    public init(id: Int64? = nil, role: ChatPaneMessage.Role, content: String, level: String? = nil, tokens: Int? = nil,
                tokensPerSecond: Double? = nil, perplexity: Double? = nil, stopped: Bool = false,
                complete: Bool = true, created: Date = Date()) {
        self.id = id; self.role = role; self.content = content; self.level = level; self.tokens = tokens
        self.tokensPerSecond = tokensPerSecond; self.perplexity = perplexity; self.stopped = stopped
        self.complete = complete; self.created = created
    }

    /// How the chat pane shows it.
    public var chatMessage: ChatPaneMessage {
        var footer: ReplyFooter?
        if role == .assistant, let level, let tokens, let tokensPerSecond {
            footer = ReplyFooter(level: level, tokens: tokens, tokensPerSecond: tokensPerSecond,
                                 perplexity: perplexity, stopped: stopped)
        }
        var text = content
        if !complete {
            while text.last?.isWhitespace == true { text.removeLast() }
            text += (text.isEmpty ? "" : " ") + "[reply interrupted]"
        }
        return ChatPaneMessage(role: role, text: text, footer: footer)
    }
}
