/// What a piece of text on screen means, so a theme can colour it. Widgets speak only in
/// roles; the theme turns roles into terminal colours at the edge.
///
/// The raw value is the key in `themes/*.toml`.
public enum ColorRole: String, CaseIterable, Hashable, Sendable {
    case text
    case background
    case muted
    case accent
    case border
    case title
    case user
    case assistant
    case system
    case error
    case warning
    case success
    case code
    case codeBackground = "code_background"
    case inlineCode = "inline_code"
    case selection
    case selectionText = "selection_text"
    case statusBackground = "status_background"
    case statusText = "status_text"
    case statusKey = "status_key"
    case barFilled = "bar_filled"
    case barEmpty = "bar_empty"
    case inputBackground = "input_background"

    /// One line saying where the role shows; used for the comment above each theme key.
    public var meaning: String {
        switch self {
        case .text: return "ordinary text in the chat pane and panels"
        case .background: return "screen background"
        case .muted: return "secondary text: reply footers, hints, empty placeholders"
        case .accent: return "highlights: numbers in the stats panel, the prompt"
        case .border: return "panel borders and separators"
        case .title: return "panel titles"
        case .user: return "the 'you' label before a user message"
        case .assistant: return "the assistant label before a reply"
        case .system: return "notices from the app (model loaded, errors shown in the chat)"
        case .error: return "error messages and invalid form fields"
        case .warning: return "warnings: context nearly full, missing model files"
        case .success: return "good news: a model file is present, a setting was applied"
        case .code: return "text inside fenced code blocks"
        case .codeBackground: return "background of fenced code blocks"
        case .inlineCode: return "`inline code` in messages"
        case .selection: return "background of the selected row in lists and forms"
        case .selectionText: return "text of the selected row"
        case .statusBackground: return "background of the status line at the bottom"
        case .statusText: return "text of the status line"
        case .statusKey: return "key names in the status line and help"
        case .barFilled: return "filled part of bars (context used)"
        case .barEmpty: return "empty part of bars"
        case .inputBackground: return "background of the input box"
        }
    }
}

/// Text attributes a terminal can show.
public struct TextAttributes: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let bold = TextAttributes(rawValue: 1 << 0)
    public static let italic = TextAttributes(rawValue: 1 << 1)
    public static let underline = TextAttributes(rawValue: 1 << 2)
    public static let reverse = TextAttributes(rawValue: 1 << 3)
    public static let dim = TextAttributes(rawValue: 1 << 4)
}

/// The look of one cell: foreground and background roles plus attributes.
public struct Style: Hashable, Sendable {
    public var fg: ColorRole
    public var bg: ColorRole
    public var attributes: TextAttributes

    public init(fg: ColorRole = .text, bg: ColorRole = .background, _ attributes: TextAttributes = []) {
        self.fg = fg; self.bg = bg; self.attributes = attributes
    }

    /// Plain text on the screen background.
    public static let plain = Style()

    /// This style with `attrs` added.
    public func with(_ attrs: TextAttributes) -> Style {
        var s = self; s.attributes.formUnion(attrs); return s
    }

    /// This style with another foreground role.
    public func fg(_ role: ColorRole) -> Style { var s = self; s.fg = role; return s }

    /// This style with another background role.
    public func bg(_ role: ColorRole) -> Style { var s = self; s.bg = role; return s }
}
