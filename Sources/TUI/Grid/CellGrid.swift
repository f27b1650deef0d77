/// One cell of the grid: a grapheme cluster, the columns it takes, and its style.
///
/// A wide cluster lives in its first cell with `width == 2`; the next cell is a
/// continuation (`width == 0`, empty text) that belongs to it.
public struct Cell: Hashable, Sendable {
    public var text: String
    public var width: Int
    public var style: Style

    public init(_ text: String = " ", width: Int = 1, style: Style = .plain) {
        self.text = text; self.width = width; self.style = style
    }

    public var isContinuation: Bool { width == 0 }
    static let blank = Cell()
}

/// A screen-sized buffer of cells that widgets draw into; tests read it as text, and the
/// terminal edge copies it to the screen. Nothing here touches a terminal.
public struct CellGrid: Sendable, Equatable {
    public private(set) var width: Int
    public private(set) var height: Int
    /// Row-major cells, `width * height` of them: shape (height, width).
    public private(set) var cells: [Cell]
    /// Where the terminal cursor should be shown, if anywhere (set by the focused input).
    public var cursor: (x: Int, y: Int)? {
        get { cursorX.map { ($0, cursorY) } }
        set { cursorX = newValue?.x; cursorY = newValue?.y ?? 0 }
    }
    private var cursorX: Int?
    private var cursorY = 0

    public init(width: Int, height: Int, style: Style = .plain) {
        self.width = max(0, width); self.height = max(0, height)
        cells = Array(repeating: Cell(style: style), count: self.width * self.height)
    }

    public var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
    }

    // MARK: - Writing

    /// Fills `rect` (clipped to the grid) with blanks in `style`.
    public mutating func fill(_ rect: Rect, style: Style, with text: Character = " ") {
        let r = rect.intersection(bounds)
        guard !r.isEmpty else { return }
        for y in r.y ..< r.maxY {
            for x in r.x ..< r.maxX { set(x, y, Cell(String(text), width: 1, style: style)) }
        }
    }

    /// Writes `text` at (`x`, `y`) in `style`, clipped to `clip` (default: the whole grid)
    /// and to one line; returns the column after the last cell written. A wide cluster that
    /// would straddle the right edge is replaced by a blank. A zero-width cluster joins
    /// the cluster before it. Newlines and tabs are drawn as blanks.
    @discardableResult
    public mutating func put<S: StringProtocol>(_ text: S, x: Int, y: Int, style: Style, clip: Rect? = nil) -> Int {
        let c = (clip ?? bounds).intersection(bounds)
        guard y >= c.y, y < c.maxY else { return x }
        var col = x
        var last: Int?
        for ch in text {
            let w = ch == "\t" || ch == "\n" ? 1 : DisplayWidth.of(ch)
            if w == 0 {
                if let l = last { cells[y * width + l].text.append(ch) }
                continue
            }
            if col + w > c.maxX { if col < c.maxX, col >= c.x { set(col, y, Cell(style: style)) }; col = c.maxX; break }
            if col >= c.x {
                let shown = ch == "\t" || ch == "\n" ? " " : String(ch)
                set(col, y, Cell(shown, width: w, style: style))
                if w == 2 { set(col + 1, y, Cell("", width: 0, style: style)) }
                last = col
            }
            col += w
        }
        return min(col, c.maxX)
    }

    /// Writes styled characters (a wrapped line) at (`x`, `y`), clipped like `put`.
    @discardableResult
    public mutating func put(_ line: [StyledChar], x: Int, y: Int, clip: Rect? = nil) -> Int {
        var col = x
        for sc in line { col = put(String(sc.char), x: col, y: y, style: sc.style, clip: clip) }
        return col
    }

    /// Sets one cell, repairing any wide cluster it cuts in half.
    private mutating func set(_ x: Int, _ y: Int, _ cell: Cell) {
        guard x >= 0, x < width, y >= 0, y < height else { return }
        let i = y * width + x
        let old = cells[i]
        if old.isContinuation, cell.width != 0, x > 0, cells[i - 1].width == 2 {
            cells[i - 1] = Cell(style: cells[i - 1].style)
        }
        if old.width == 2, cell.width != 2, x + 1 < width, cells[i + 1].isContinuation {
            cells[i + 1] = Cell(style: cells[i + 1].style)
        }
        cells[i] = cell
    }

    // MARK: - Reading (tests and the terminal edge)

    /// Row `y` as text: each cluster once, continuation cells skipped.
    public func line(_ y: Int, trimmingTrailing: Bool = true) -> String {
        var s = ""
        for x in 0 ..< width where !self[x, y].isContinuation { s += self[x, y].text }
        if trimmingTrailing { while s.last == " " { s.removeLast() } }
        return s
    }

    /// All rows as text, for snapshot tests.
    public func lines(trimmingTrailing: Bool = true) -> [String] {
        (0 ..< height).map { line($0, trimmingTrailing: trimmingTrailing) }
    }

    /// The whole grid as text, rows joined by newlines, trailing blanks trimmed per row.
    public func text() -> String { lines().joined(separator: "\n") }

    /// Row `y` with one character per column chosen by `mark` from each cell's style (a
    /// wide cluster's continuation repeats its mark), for testing styles as text.
    public func styleLine(_ y: Int, _ mark: (Style) -> Character) -> String {
        String((0 ..< width).map { mark(self[$0, y].style) })
    }

    public static func == (a: CellGrid, b: CellGrid) -> Bool {
        a.width == b.width && a.height == b.height && a.cells == b.cells
            && a.cursorX == b.cursorX && a.cursorY == b.cursorY
    }
}
