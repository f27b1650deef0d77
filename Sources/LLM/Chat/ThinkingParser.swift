/// A reply of a thinking model split into its reasoning and its answer.
public struct ReasonedReply: Sendable, Equatable {
    /// The text between `<think>` and `</think>` (nil when the reply has no reasoning).
    public var reasoning: String?
    /// The rest: what the model answers.
    public var answer: String

    public init(reasoning: String?, answer: String) {
        self.reasoning = reasoning
        self.answer = answer
    }

    /// Splits a whole reply (see `ThinkingParser`).
    public init(_ reply: String, startsInsideThinking: Bool = false) {
        var p = ThinkingParser(startsInsideThinking: startsInsideThinking)
        var reasoning: String?, answer = ""
        for piece in p.feed(reply) + p.flush() {
            switch piece {
            case .reasoning(let r): reasoning = (reasoning ?? "") + r
            case .answer(let a): answer += a
            }
        }
        if reasoning == nil, p.sawReasoning { reasoning = "" }
        self.init(reasoning: reasoning, answer: answer)
    }

    /// The message to keep in the conversation: the answer as content, the reasoning apart
    /// (the template decides whether later prompts show it, as `reasoning_content`).
    public var message: ChatMessage { ChatMessage(role: .assistant, content: answer, reasoning: reasoning) }
}

/// Splits streamed text of a thinking model (Qwen3, QwQ, DeepSeek-R1 distills) into
/// reasoning and answer as it arrives. Reasoning is the text between a `<think>` that opens
/// the reply (after optional whitespace) and the next `</think>`; a `<think>` later in the
/// answer is answer text. When the prompt already ended with `<think>` (R1's and QwQ's
/// generation prompts), the reply starts inside the reasoning. Whitespace right after either
/// tag is dropped; a reply without reasoning is passed through unchanged. A tag split across
/// chunks (and leading whitespace, until it is known whether a tag follows) is held back.
public struct ThinkingParser: Sendable {
    /// One classified piece of text.
    public enum Piece: Sendable, Equatable {
        case reasoning(String)
        case answer(String)
    }

    private enum State { case start, thinking, answering }

    public let openTag: String
    public let closeTag: String
    private var state: State
    private var pending = ""
    /// Drop whitespace before the next text (right after a tag).
    private var trimLeading: Bool
    /// True once reasoning began (even if it turned out empty).
    public private(set) var sawReasoning = false

    public init(openTag: String = "<think>", closeTag: String = "</think>", startsInsideThinking: Bool = false) {
        self.openTag = openTag
        self.closeTag = closeTag
        state = startsInsideThinking ? .thinking : .start
        sawReasoning = startsInsideThinking
        trimLeading = startsInsideThinking
    }

    /// Whether a prompt leaves the model inside its reasoning: it ends with `<think>` and
    /// optional whitespace.
    public static func startsInsideThinking(prompt: String, openTag: String = "<think>") -> Bool {
        PyText.strip(prompt, nil, leading: false, trailing: true).hasSuffix(openTag)
    }

    /// Classifies `text`; may hold back the end of it while it could be the start of a tag.
    public mutating func feed(_ text: String) -> [Piece] {
        pending += text
        var out: [Piece] = []
        func emit(_ s: Substring) {
            var s = s
            if trimLeading {
                s = s.drop { $0.isWhitespace }
                if s.isEmpty { return }
                trimLeading = false
            }
            let piece: Piece = state == .thinking ? .reasoning(String(s)) : .answer(String(s))
            if case .reasoning(let a) = out.last, case .reasoning(let b) = piece { out[out.count - 1] = .reasoning(a + b) }
            else if case .answer(let a) = out.last, case .answer(let b) = piece { out[out.count - 1] = .answer(a + b) }
            else { out.append(piece) }
        }
        while !pending.isEmpty {
            switch state {
            case .start:
                let body = pending.drop { $0.isWhitespace }
                if body.isEmpty { return out }   // only whitespace so far: wait
                if body.hasPrefix(openTag) {
                    pending = String(body.dropFirst(openTag.count))
                    state = .thinking
                    sawReasoning = true
                    trimLeading = true
                } else if openTag.hasPrefix(body) {
                    return out   // could still become the tag
                } else {
                    state = .answering
                }
            case .thinking:
                if let r = pending.range(of: closeTag) {
                    emit(pending[..<r.lowerBound])
                    pending = String(pending[r.upperBound...])
                    state = .answering
                    trimLeading = true
                } else {
                    let keep = Self.partialSuffix(of: pending, matching: closeTag)
                    emit(pending.dropLast(keep))
                    pending = String(pending.suffix(keep))
                    return out
                }
            case .answering:
                emit(pending[...])
                pending = ""
            }
        }
        return out
    }

    /// The text held back (an unfinished tag, or leading whitespace), as what it would be.
    public mutating func flush() -> [Piece] {
        defer { pending = "" }
        guard !pending.isEmpty else { return [] }
        switch state {
        case .thinking: return [.reasoning(pending)]
        case .start:
            return [.answer(pending)]
        case .answering:
            let s = trimLeading ? String(pending.drop { $0.isWhitespace }) : pending
            return s.isEmpty ? [] : [.answer(s)]
        }
    }

    /// How many characters at the end of `s` are the start of `tag`.
    private static func partialSuffix(of s: String, matching tag: String) -> Int {
        var n = min(tag.count - 1, s.count)
        while n > 0 {
            if tag.hasPrefix(s.suffix(n)) { return n }
            n -= 1
        }
        return 0
    }
}
