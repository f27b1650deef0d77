/// The multi-line message editor: a buffer of lines of grapheme clusters, a cursor, and
/// the history of sent messages.
///
/// The cursor moves by grapheme cluster left and right, and by display column up and down
/// (so it stays over the same column across CJK text). Up on the first line and Down on
/// the last recall history; the draft being typed is kept while browsing.
public struct InputBox: Equatable, Sendable {
    /// Logical lines (split at newlines), as grapheme clusters.
    public private(set) var lines: [[Character]] = [[]]
    /// Cursor: line index and grapheme index within the line (0 ... line count).
    public private(set) var row = 0
    public private(set) var col = 0
    /// Display column kept while moving up and down through shorter lines.
    private var goalColumn: Int?

    /// Sent messages, oldest first.
    public private(set) var history: [String] = []
    /// Index into `history` while browsing it; nil when editing the draft.
    public private(set) var historyIndex: Int?
    private var draft = ""

    /// Most rows the box grows to before it scrolls.
    public static let maxVisibleRows = 5

    public init(text: String = "", history: [String] = []) {
        self.history = history
        setText(text)
    }

    /// The whole buffer, lines joined by newlines.
    public var text: String { lines.map { String($0) }.joined(separator: "\n") }
    public var isEmpty: Bool { lines.count == 1 && lines[0].isEmpty }

    // MARK: - Editing

    /// Inserts text at the cursor; newlines in it (a paste) start new lines, kept as is.
    public mutating func insert<S: StringProtocol>(_ s: S) {
        goalColumn = nil
        for c in s {
            if c == "\n" || c == "\r\n" || c == "\r" { newline(); continue }
            // A combining mark, ZWJ piece or flag half typed on its own joins the cluster
            // before it, as it would in a string.
            if col > 0 {
                let joined = String(lines[row][col - 1]) + String(c)
                if joined.count == 1 { lines[row][col - 1] = Character(joined); continue }
            }
            lines[row].insert(c, at: col)
            col += 1
        }
    }

    /// Splits the line at the cursor.
    public mutating func newline() {
        goalColumn = nil
        let tail = Array(lines[row][col...])
        lines[row].removeSubrange(col...)
        lines.insert(tail, at: row + 1)
        row += 1; col = 0
    }

    /// Deletes the cluster before the cursor, joining lines at the start of one.
    public mutating func backspace() {
        goalColumn = nil
        if col > 0 {
            lines[row].remove(at: col - 1); col -= 1
        } else if row > 0 {
            let line = lines.remove(at: row)
            row -= 1; col = lines[row].count
            lines[row] += line
        }
    }

    /// Deletes the cluster under the cursor, joining the next line at the end of one.
    public mutating func delete() {
        goalColumn = nil
        if col < lines[row].count {
            lines[row].remove(at: col)
        } else if row + 1 < lines.count {
            lines[row] += lines.remove(at: row + 1)
        }
    }

    /// Replaces the buffer and puts the cursor at the end.
    public mutating func setText(_ s: String) {
        lines = s.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0) }
        if lines.isEmpty { lines = [[]] }
        row = lines.count - 1; col = lines[row].count; goalColumn = nil
    }

    /// Empties the buffer, returning what it held and adding it to the history.
    public mutating func submit() -> String {
        let t = text
        if !t.isEmpty, history.last != t { history.append(t) }
        historyIndex = nil; draft = ""
        setText("")
        return t
    }

    // MARK: - Cursor

    public mutating func left() {
        goalColumn = nil
        if col > 0 { col -= 1 } else if row > 0 { row -= 1; col = lines[row].count }
    }

    public mutating func right() {
        goalColumn = nil
        if col < lines[row].count { col += 1 } else if row + 1 < lines.count { row += 1; col = 0 }
    }

    public mutating func home() { goalColumn = nil; col = 0 }
    public mutating func end() { goalColumn = nil; col = lines[row].count }

    /// Moves up a line keeping the display column; on the first line recalls the previous
    /// history entry.
    public mutating func up() {
        if row > 0 { moveVertically(to: row - 1); return }
        guard !history.isEmpty else { return }
        if historyIndex == nil { draft = text; historyIndex = history.count }
        guard let i = historyIndex, i > 0 else { return }
        historyIndex = i - 1
        setText(history[i - 1])
    }

    /// Moves down a line keeping the display column; on the last line recalls the next
    /// history entry, and after the newest one the draft.
    public mutating func down() {
        if row + 1 < lines.count { moveVertically(to: row + 1); return }
        guard let i = historyIndex else { return }
        if i + 1 < history.count {
            historyIndex = i + 1
            setText(history[i + 1])
        } else {
            historyIndex = nil
            setText(draft)
        }
    }

    private mutating func moveVertically(to newRow: Int) {
        let goal = goalColumn ?? DisplayWidth.of(String(lines[row][..<col]))
        row = newRow
        var w = 0, i = 0
        while i < lines[row].count {
            let cw = DisplayWidth.of(lines[row][i])
            if w + cw > goal { break }
            w += cw; i += 1
        }
        col = i
        goalColumn = goal
    }

    // MARK: - Layout

    /// Visual rows at `width` columns (lines broken by width, wide clusters whole), and the
    /// cursor's visual row and column.
    func visualRows(width: Int) -> (rows: [[Character]], cursorRow: Int, cursorCol: Int) {
        let width = max(2, width)
        var rows: [[Character]] = []
        var cr = 0, cc = 0
        for (li, line) in lines.enumerated() {
            var cur: [Character] = []
            var w = 0
            for (ci, c) in line.enumerated() {
                let cw = DisplayWidth.of(c)
                if w + cw > width { rows.append(cur); cur = []; w = 0 }
                if li == row, ci == col { cr = rows.count; cc = w }
                cur.append(c); w += cw
            }
            if li == row, col == line.count {
                // The cursor after the last cluster: wrap if the line is full.
                if w >= width { rows.append(cur); cur = []; w = 0 }
                cr = rows.count; cc = w
            }
            rows.append(cur)
        }
        return (rows, cr, cc)
    }

    /// Rows of text the box wants at `width`: its visual rows, at most `maxVisibleRows`.
    public func preferredRows(width: Int) -> Int {
        min(Self.maxVisibleRows, max(1, visualRows(width: width - Self.prompt.count).rows.count))
    }

    static let prompt = "› "

    /// Draws the box in `area`: a prompt, the text scrolled so the cursor shows, and the
    /// cursor position (when `focused`) in `grid.cursor`.
    public func render(into grid: inout CellGrid, area: Rect, focused: Bool = true, placeholder: String) {
        let style = Style(bg: .inputBackground)
        grid.fill(area, style: style)
        guard !area.isEmpty else { return }
        let textX = area.x + Self.prompt.count
        let textWidth = area.width - Self.prompt.count
        let (rows, cr, cc) = visualRows(width: textWidth)
        let top = max(0, cr - area.height + 1)
        grid.put(Self.prompt, x: area.x, y: area.y, style: style.fg(.accent).with(.bold), clip: area)
        if isEmpty, !placeholder.isEmpty {
            grid.put(placeholder, x: textX, y: area.y, style: style.fg(.muted), clip: area)
        }
        for (i, r) in rows.dropFirst(top).prefix(area.height).enumerated() {
            grid.put(String(r), x: textX, y: area.y + i, style: style, clip: area)
        }
        if top > 0 { grid.put("↑", x: area.x, y: area.y, style: style.fg(.muted), clip: area) }
        if focused { grid.cursor = (textX + cc, area.y + cr - top) }
    }
}
