/// Where each part of the screen goes for a terminal size. Resizing is a new layout.
///
/// Wide (at least `columnThreshold` columns): chat pane and input on the left, the stats
/// column on the right. Narrow: the stats become a one-line bar above the input. Below
/// `minWidth` x `minHeight`: only a "terminal too small" message.
public struct Layout: Equatable, Sendable {
    public enum Kind: Equatable, Sendable { case wide, compact, tooSmall }

    public static let minWidth = 60
    public static let minHeight = 16
    public static let columnThreshold = 100

    public var kind: Kind
    public var screen: Rect
    public var chat = Rect(x: 0, y: 0, width: 0, height: 0)
    /// A separator line between chat and input.
    public var separator = Rect(x: 0, y: 0, width: 0, height: 0)
    public var input = Rect(x: 0, y: 0, width: 0, height: 0)
    /// The stats column (wide) or bar (compact).
    public var stats = Rect(x: 0, y: 0, width: 0, height: 0)
    public var status = Rect(x: 0, y: 0, width: 0, height: 0)

    /// - Parameter inputRows: rows the input box wants (1 ... InputBox.maxVisibleRows).
    public init(width: Int, height: Int, inputRows: Int = 1) {
        screen = Rect(x: 0, y: 0, width: width, height: height)
        guard width >= Self.minWidth, height >= Self.minHeight else { kind = .tooSmall; return }
        kind = width >= Self.columnThreshold ? .wide : .compact
        let rows = min(max(1, inputRows), InputBox.maxVisibleRows)
        status = Rect(x: 0, y: height - 1, width: width, height: 1)
        let leftWidth = kind == .wide ? width - StatsPanel.columnWidth : width
        if kind == .wide { stats = Rect(x: leftWidth, y: 0, width: StatsPanel.columnWidth, height: height - 1) }
        input = Rect(x: 0, y: height - 1 - rows, width: leftWidth, height: rows)
        var above = input.y
        if kind == .compact { stats = Rect(x: 0, y: above - 1, width: width, height: 1); above -= 1 }
        separator = Rect(x: 0, y: above - 1, width: leftWidth, height: 1)
        chat = Rect(x: 1, y: 0, width: leftWidth - 2, height: separator.y)
    }

    /// The message shown when the terminal is too small, centred in `area` (default: the
    /// whole grid).
    public static func renderTooSmall(into grid: inout CellGrid, area: Rect? = nil) {
        let a = area ?? grid.bounds
        grid.fill(a, style: .plain)
        let lines = ["terminal too small", "(need \(minWidth)x\(minHeight), have \(a.width)x\(a.height))"]
        var y = a.y + max(0, a.height / 2 - 1)
        for l in lines {
            for piece in TextWrap.wrap(l, width: max(1, a.width)) where y < a.maxY {
                let x = a.x + max(0, (a.width - DisplayWidth.of(piece)) / 2)
                grid.put(piece, x: x, y: y, style: Style(fg: .warning, .bold), clip: a); y += 1
            }
        }
    }
}
