/// A framed table of every key and what it does, over the middle of the screen.
public struct HelpOverlay: Sendable {
    /// (keys, what they do), in the order shown.
    public var entries: [(keys: String, meaning: String)]

    /// Entries scrolled past (when the screen is too short for all of them).
    public var offset: Int

    public init(entries: [(keys: String, meaning: String)], offset: Int = 0) {
        self.entries = entries; self.offset = offset
    }

    /// Rows of entries that fit in `area`.
    public static func visibleRows(in area: Rect) -> Int { max(1, area.height - 4) }

    public func render(into grid: inout CellGrid, area: Rect) {
        let keyWidth = entries.map { DisplayWidth.of($0.keys) }.max() ?? 0
        let textWidth = entries.map { DisplayWidth.of($0.meaning) }.max() ?? 0
        let rows = Self.visibleRows(in: area)
        let fits = entries.count <= rows
        let offset = fits ? 0 : min(max(0, self.offset), entries.count - rows)
        let footer = fits ? "Esc or F1 closes" : "↑↓ scroll · Esc closes"
        let contentWidth = max(keyWidth + 2 + textWidth, DisplayWidth.of(footer))
        let box = Frame.centered(in: area, width: contentWidth + 4, height: entries.count + 4)
        Frame.draw(into: &grid, area: box, title: "Keys")
        let inner = box.inset(1)
        for (i, e) in entries.dropFirst(offset).prefix(rows).enumerated() where i < inner.height - 1 {
            let y = inner.y + i
            grid.put(Format.padRight(e.keys, keyWidth), x: inner.x + 1, y: y, style: Style(fg: .statusKey, .bold), clip: inner)
            grid.put(Format.truncate(e.meaning, max(0, inner.width - keyWidth - 4)), x: inner.x + 1 + keyWidth + 2, y: y, style: .plain, clip: inner)
        }
        grid.put(footer, x: inner.x + 1, y: inner.maxY - 1, style: Style(fg: .muted), clip: inner)
    }
}
