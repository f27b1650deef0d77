/// What the chat pane shows of one message. A view model: the app fills it from the
/// engine's events; nothing here knows about the engine.
public struct ChatPaneMessage: Equatable, Sendable {
    public enum Role: String, Sendable, Codable {
        case user, assistant, system
        /// A notice from the app itself (model loaded, an error), not sent to the model.
        case notice
    }

    public var role: Role
    public var text: String
    /// Shown under a finished assistant reply.
    public var footer: ReplyFooter?
    /// True while tokens are still arriving.
    public var isStreaming: Bool

    public init(role: Role, text: String, footer: ReplyFooter? = nil, isStreaming: Bool = false) {
        self.role = role; self.text = text; self.footer = footer; self.isStreaming = isStreaming
    }
}

/// The line under an assistant reply: level, tokens, tok/s, perplexity.
public struct ReplyFooter: Equatable, Sendable {
    public var level: String
    public var tokens: Int
    public var tokensPerSecond: Double
    public var perplexity: Double?
    /// The user stopped the reply early.
    public var stopped: Bool

    public init(level: String, tokens: Int, tokensPerSecond: Double, perplexity: Double? = nil, stopped: Bool = false) {
        self.level = level; self.tokens = tokens; self.tokensPerSecond = tokensPerSecond
        self.perplexity = perplexity; self.stopped = stopped
    }

    public var text: String {
        var parts = [level, tokens == 1 ? "1 token" : "\(tokens) tokens", Format.rate(tokensPerSecond) + " tok/s"]
        if let perplexity { parts.append("ppl " + Format.fixed(perplexity, 2)) }
        if stopped { parts.append("stopped") }
        return parts.joined(separator: " · ")
    }
}

/// How the user scrolls the chat pane.
public enum ScrollCommand: Equatable, Sendable {
    case pageUp, pageDown, top, bottom, wheelUp, wheelDown

    /// Lines per wheel notch.
    public static let wheelLines = 3
}

/// The conversation: messages laid out by display width, scrolled back from the end.
public struct ChatPane: Equatable, Sendable {
    public var messages: [ChatPaneMessage] = []
    /// Lines scrolled back from the end; 0 follows new text as it streams.
    public private(set) var scrollOffset = 0

    public init(messages: [ChatPaneMessage] = []) { self.messages = messages }

    /// Columns of message text are indented by this much under the role label.
    static let indent = 2

    // MARK: - Content

    /// Adds a message at the end; under a streaming reply, just before it, so the reply stays
    /// last (a notice from a level swap finishing while a regenerated reply streams). When
    /// scrolled back, the view stays on the same text.
    public mutating func append(_ m: ChatPaneMessage, width: Int) {
        keepingView(width: width) { pane in
            if !m.isStreaming, let last = pane.messages.indices.last, pane.messages[last].isStreaming {
                pane.messages.insert(m, at: last)
            } else {
                pane.messages.append(m)
            }
        }
    }

    /// Appends streamed text to the last message if it is a streaming reply, else starts
    /// one. When scrolled back, the view stays on the same text.
    public mutating func appendToken(_ text: String, width: Int) {
        keepingView(width: width) { pane in
            if let last = pane.messages.indices.last, pane.messages[last].isStreaming {
                pane.messages[last].text += text
            } else {
                pane.messages.append(ChatPaneMessage(role: .assistant, text: text, isStreaming: true))
            }
        }
    }

    /// Marks the streaming reply finished with its footer.
    public mutating func finishReply(_ footer: ReplyFooter?, width: Int) {
        keepingView(width: width) { pane in
            guard let last = pane.messages.indices.last, pane.messages[last].isStreaming else { return }
            pane.messages[last].isStreaming = false
            pane.messages[last].footer = footer
        }
    }

    /// Removes every message; scrolls to the end.
    public mutating func clear() { messages = []; scrollOffset = 0 }

    private mutating func keepingView(width: Int, _ change: (inout ChatPane) -> Void) {
        guard scrollOffset > 0 else { change(&self); return }
        let before = lineCount(width: width)
        change(&self)
        scrollOffset += lineCount(width: width) - before
    }

    // MARK: - Scrolling

    /// Scrolls by a page (the view height less one line of overlap), a wheel notch, or to
    /// the top or bottom; clamped to the content.
    public mutating func scroll(_ cmd: ScrollCommand, width: Int, height: Int) {
        let maxOffset = max(0, lineCount(width: width) - height)
        let page = max(1, height - 1)
        switch cmd {
        case .pageUp: scrollOffset += page
        case .pageDown: scrollOffset -= page
        case .top: scrollOffset = maxOffset
        case .bottom: scrollOffset = 0
        case .wheelUp: scrollOffset += ScrollCommand.wheelLines
        case .wheelDown: scrollOffset -= ScrollCommand.wheelLines
        }
        scrollOffset = min(max(0, scrollOffset), maxOffset)
    }

    // MARK: - Layout

    /// Every line of the conversation at `width` columns.
    public func layout(width: Int) -> [[StyledChar]] {
        var out: [[StyledChar]] = []
        let bodyWidth = max(1, width - Self.indent)
        let pad = [StyledChar](String(repeating: " ", count: Self.indent), style: .plain)
        for (i, m) in messages.enumerated() {
            if i > 0 { out.append([]) }
            switch m.role {
            case .notice:
                out += TextWrap.wrap([StyledChar]("· " + m.text, style: Style(fg: .system)), width: width)
                continue
            case .user: out.append([StyledChar]("you", style: Style(fg: .user, .bold)))
            case .assistant: out.append([StyledChar]("assistant", style: Style(fg: .assistant, .bold)))
            case .system: out.append([StyledChar]("system", style: Style(fg: .system, .bold)))
            }
            var body = m.text
            if m.isStreaming { body += "▍" }
            for line in Markdown.lines(body, width: bodyWidth) { out.append(pad + line) }
            if let f = m.footer {
                for line in TextWrap.wrap([StyledChar](f.text, style: Style(fg: .muted, .dim)), width: bodyWidth) {
                    out.append(pad + line)
                }
            }
        }
        return out
    }

    public func lineCount(width: Int) -> Int { layout(width: width).count }

    /// Draws the visible part: the last `area.height` lines before the scroll offset.
    public func render(into grid: inout CellGrid, area: Rect) {
        grid.fill(area, style: .plain)
        let lines = layout(width: area.width)
        let offset = min(scrollOffset, max(0, lines.count - area.height))
        let end = lines.count - offset
        let start = max(0, end - area.height)
        for (row, line) in lines[start ..< end].enumerated() {
            grid.put(line, x: area.x, y: area.y + row, clip: area)
        }
        if messages.isEmpty, area.height > 2 {
            let hint = "Type a message and press Enter. F1 for help, F2 to pick a model."
            for (i, l) in TextWrap.wrap(hint, width: area.width).enumerated() where i < area.height {
                grid.put(l, x: area.x, y: area.y + i, style: Style(fg: .muted), clip: area)
            }
        }
        if offset > 0, area.width > 12 {
            let tag = " ↓ \(offset) more "
            grid.put(tag, x: area.maxX - DisplayWidth.of(tag), y: area.maxY - 1, style: Style(fg: .accent, .reverse), clip: area)
        }
    }
}
