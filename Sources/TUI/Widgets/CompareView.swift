/// Compare mode's columns: one per level, each with its streaming reply, its speed and
/// memory, and (for every column but the reference) how it scores the reference's reply.
public struct Comparison: Equatable, Sendable {
    public struct Column: Equatable, Sendable {
        public var level: String
        public var text = ""
        public var isStreaming = false
        public var stats: CompareColumnStats?
        public var quality: CompareQuality?
        public init(level: String) { self.level = level }

        /// "12 tok · 85.3 tok/s".
        public var statsLine: String? {
            guard let s = stats else { return nil }
            return "\(s.tokens) tok · \(Format.rate(s.tokensPerSecond)) tok/s"
        }

        /// "mem 150 MiB · rss 420 MiB": the level's weights and KV cache, the process.
        public var memoryLine: String? {
            guard let s = stats else { return nil }
            return "mem \(Format.bytes(s.mappedBytes)) · rss \(Format.bytes(s.residentBytes))"
        }

        /// "vs Q8_0: ppl 3.21 · KLD 0.0123 · same top 91%".
        public var qualityLine: String? {
            guard let q = quality else { return nil }
            let reference = q.reference.split(separator: ":").last.map(String.init) ?? q.reference
            return "vs \(reference): ppl \(Format.fixed(q.perplexity, 2)) · KLD \(Format.fixed(q.meanKLD, 4)) · same top \(Format.fixed(100 * q.sameTop, 0))%"
        }
    }

    public var columns: [Column]
    /// Still streaming or scoring.
    public var isRunning: Bool

    public init(levels: [String]) {
        columns = levels.map(Column.init)
        isRunning = true
    }

    /// Draws the columns side by side in `area`, newest text at the bottom of each.
    public func render(into grid: inout CellGrid, area: Rect) {
        grid.fill(area, style: .plain)
        guard !columns.isEmpty, area.width >= columns.count * 8, area.height >= 4 else { return }
        let gap = 1
        let w = (area.width - gap * (columns.count - 1)) / columns.count
        let footers: [[String]] = columns.enumerated().map { i, c in
            var footer: [String] = []
            for line in [c.statsLine, c.memoryLine].compactMap({ $0 }) { footer += TextWrap.wrap(line, width: w) }
            if let q = c.qualityLine { footer += TextWrap.wrap(q, width: w) }
            else if i > 0, c.stats != nil, isRunning { footer.append("scoring…") }
            return footer
        }
        let footerHeight = min(footers.map(\.count).max() ?? 0, max(0, area.height - 2))
        for (i, c) in columns.enumerated() {
            let x = area.x + i * (w + gap)
            let col = Rect(x: x, y: area.y, width: w, height: area.height)
            if i > 0 {
                for y in area.y ..< area.maxY { grid.put("│", x: x - 1, y: y, style: Style(fg: .border)) }
            }
            let title = c.level + (i == 0 ? " (reference)" : "")
            grid.put(Format.padRight(title, w), x: x, y: area.y, style: Style(fg: .accent, .bold), clip: col)
            let footer = footers[i]
            let bodyHeight = max(0, area.height - 1 - footerHeight)
            var body = c.text
            if c.isStreaming { body += "▍" }
            let lines = Markdown.lines(body, width: w)
            for (row, line) in lines.suffix(bodyHeight).enumerated() {
                grid.put(line, x: x, y: area.y + 1 + row, clip: col)
            }
            for (row, f) in footer.enumerated() where 1 + bodyHeight + row < area.height {
                grid.put(f, x: x, y: area.y + 1 + bodyHeight + row, style: Style(fg: .muted, .dim), clip: col)
            }
        }
    }
}
