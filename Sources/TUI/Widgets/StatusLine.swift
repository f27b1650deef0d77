/// The bottom line: the main keys on the left, a state or message on the right.
public struct StatusLine: Sendable {
    public enum Tone: Sendable { case normal, success, warning, error }

    /// (key, label) pairs, most important first; as many as fit are shown.
    public var keys: [(key: String, label: String)]
    /// Right-hand text: "generating…", "model loaded", an error.
    public var message: String?
    public var tone: Tone

    public init(keys: [(key: String, label: String)], message: String? = nil, tone: Tone = .normal) {
        self.keys = keys; self.message = message; self.tone = tone
    }

    public func render(into grid: inout CellGrid, area: Rect) {
        let base = Style(fg: .statusText, bg: .statusBackground)
        grid.fill(area, style: base)
        var right = area.maxX
        if let message {
            let role: ColorRole = switch tone {
            case .normal: .statusText
            case .success: .success
            case .warning: .warning
            case .error: .error
            }
            let m = Format.truncate(message, max(0, area.width / 2))
            right = area.maxX - DisplayWidth.of(m) - 1
            grid.put(m, x: right, y: area.y, style: base.fg(role).with(.bold), clip: area)
        }
        var x = area.x + 1
        for (k, l) in keys {
            let w = DisplayWidth.of(k) + 1 + DisplayWidth.of(l) + 2
            if x + w > right { break }
            x = grid.put(k, x: x, y: area.y, style: base.fg(.statusKey).with(.bold), clip: area)
            x = grid.put(" " + l + "  ", x: x, y: area.y, style: base, clip: area)
        }
    }
}
