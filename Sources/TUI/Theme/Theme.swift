import Foundation

/// Colour roles to colours, parsed once from `themes/NAME.toml`.
public struct Theme: Equatable, Sendable {
    public var name: String
    /// Every role has a colour: roles a file leaves out take the default theme's.
    public private(set) var colors: [ColorRole: TerminalColor]

    public init(name: String, colors: [ColorRole: TerminalColor]) {
        self.name = name
        var all = colors
        for r in ColorRole.allCases where all[r] == nil { all[r] = Theme.darkColors[r] ?? .terminalDefault }
        self.colors = all
    }

    public subscript(role: ColorRole) -> TerminalColor { colors[role] ?? .terminalDefault }

    /// The colour indices and attributes for a style (see `TerminalColor.index(for:)`).
    /// Without colour, roles that only show as a background (selection, status line) are
    /// drawn in reverse video so they stay visible; bars stay readable as █ and ░.
    public func resolve(_ style: Style, mode: ColorMode) -> (fg: Int, bg: Int, attributes: TextAttributes) {
        var attrs = style.attributes
        if mode == .none, Self.reverseWithoutColor.contains(style.bg) { attrs.insert(.reverse) }
        return (self[style.fg].index(for: mode), self[style.bg].index(for: mode), attrs)
    }

    static let reverseWithoutColor: Set<ColorRole> = [.selection, .statusBackground]

    /// The built-in theme, used when no file is given or a file is bad. `themes/dark.toml`
    /// holds the same values (a test keeps them in step).
    public static let dark = Theme(builtIn: "dark", darkColors)

    private init(builtIn name: String, _ colors: [ColorRole: TerminalColor]) {
        self.name = name; self.colors = colors
    }

    static let darkColors: [ColorRole: TerminalColor] = [
        .text: .indexed(252), .background: .terminalDefault, .muted: .indexed(244), .accent: .indexed(117),
        .border: .indexed(240), .title: .indexed(223), .user: .indexed(114), .assistant: .indexed(141),
        .system: .indexed(180), .error: .indexed(203), .warning: .indexed(214), .success: .indexed(114),
        .code: .indexed(187), .codeBackground: .indexed(236), .inlineCode: .indexed(179),
        .selection: .indexed(24), .selectionText: .indexed(255), .statusBackground: .indexed(236),
        .statusText: .indexed(250), .statusKey: .indexed(117), .barFilled: .indexed(71), .barEmpty: .indexed(238),
        .inputBackground: .indexed(235),
    ]
}

/// A problem in a theme file, located by file, line and key.
public struct ThemeError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var key: String?
    public var message: String

    public init(file: String, line: Int? = nil, key: String? = nil, _ message: String) {
        self.file = file; self.line = line; self.key = key; self.message = message
    }

    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        s += ": "
        if let key { s += "key '\(key)': " }
        return s + message
    }
}
