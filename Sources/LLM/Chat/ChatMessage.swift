/// Who wrote a message.
public enum ChatRole: String, Codable, Sendable, CaseIterable {
    case system, user, assistant
}

/// One turn of a conversation.
public struct ChatMessage: Codable, Sendable, Equatable, Hashable {
    public var role: ChatRole
    public var content: String
    /// The reasoning a thinking model wrote before `content` (`<think>...</think>`), passed to
    /// the template as `reasoning_content`; nil for other messages.
    public var reasoning: String?

    public init(role: ChatRole, content: String, reasoning: String? = nil) {
        self.role = role
        self.content = content
        self.reasoning = reasoning
    }

    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: .system, content: content) }
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: .user, content: content) }
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: .assistant, content: content) }
}
