/// What the stats panel shows; every field is optional until the engine reports it.
public struct StatsSnapshot: Equatable, Sendable {
    public var modelName: String?
    public var level: String?
    /// Generation speed of the current (or last) reply, tokens per second.
    public var generationTPS: Double?
    /// Generation speed over recent replies.
    public var rollingTPS: Double?
    /// Prompt processing speed of the last request.
    public var promptTPS: Double?
    /// Seconds from sending to the first token of the last reply.
    public var timeToFirstToken: Double?
    public var contextUsed: Int = 0
    public var contextSize: Int = 0
    /// Resident set size of the process and its main parts.
    public var rssBytes: UInt64?
    public var weightsBytes: UInt64?
    public var kvCacheBytes: UInt64?
    public var fileBytes: UInt64?
    public var bitsPerWeight: Double?
    public var replyPerplexity: Double?
    public var conversationPerplexity: Double?
    public var threads: Int?
    public var isGenerating = false

    public init() {}
}

/// The live numbers: a right-hand column on wide terminals, one line when narrow.
public struct StatsPanel: Sendable {
    public var stats: StatsSnapshot

    public init(_ stats: StatsSnapshot) { self.stats = stats }

    /// Width of the column layout, including its left border.
    public static let columnWidth = 30

    /// Rows of (label, value) grouped under section titles.
    func sections() -> [(String, [(String, String)])] {
        let s = stats
        func opt<T>(_ v: T?, _ f: (T) -> String) -> String { v.map(f) ?? "–" }
        let model: [(String, String)] = [
            ("name", s.modelName ?? "none"),
            ("level", s.level ?? "–"),
            ("bpw", opt(s.bitsPerWeight) { Format.fixed($0, 2) }),
            ("file", opt(s.fileBytes, Format.bytes)),
            ("threads", opt(s.threads) { "\($0)" }),
        ]
        let speed: [(String, String)] = [
            ("gen", opt(s.generationTPS) { Format.rate($0) + " tok/s" }),
            ("rolling", opt(s.rollingTPS) { Format.rate($0) + " tok/s" }),
            ("prompt", opt(s.promptTPS) { Format.rate($0) + " tok/s" }),
            ("first tok", opt(s.timeToFirstToken, Format.seconds)),
        ]
        let memory: [(String, String)] = [
            ("rss", opt(s.rssBytes, Format.bytes)),
            ("weights", opt(s.weightsBytes, Format.bytes)),
            ("kv cache", opt(s.kvCacheBytes, Format.bytes)),
        ]
        let quality: [(String, String)] = [
            ("reply", opt(s.replyPerplexity) { Format.fixed($0, 2) }),
            ("chat", opt(s.conversationPerplexity) { Format.fixed($0, 2) }),
        ]
        return [("Model", model), ("Speed", speed), ("Memory", memory), ("Perplexity", quality)]
    }

    /// "███░░░ 512/2048" in `width` columns.
    func contextBar(width: Int) -> [StyledChar] {
        let label = " \(stats.contextUsed)/\(stats.contextSize)"
        let barWidth = max(1, width - DisplayWidth.of(label))
        let frac = stats.contextSize > 0 ? min(1, Double(stats.contextUsed) / Double(stats.contextSize)) : 0
        let filled = Int((frac * Double(barWidth)).rounded())
        let fillRole: ColorRole = frac > 0.9 ? .warning : .barFilled
        return [StyledChar](String(repeating: "█", count: filled), style: Style(fg: fillRole))
            + [StyledChar](String(repeating: "░", count: barWidth - filled), style: Style(fg: .barEmpty))
            + [StyledChar](label, style: .plain)
    }

    /// Draws the column layout: a border on the left, sections down the column.
    public func renderColumn(into grid: inout CellGrid, area: Rect) {
        grid.fill(area, style: .plain)
        guard area.width > 2 else { return }
        for y in area.y ..< area.maxY { grid.put("│", x: area.x, y: y, style: Style(fg: .border), clip: area) }
        let inner = Rect(x: area.x + 2, y: area.y, width: area.width - 3, height: area.height)
        var y = inner.y
        let labelWidth = 10
        func row(_ label: String, _ value: String) {
            guard y < inner.maxY else { return }
            grid.put(Format.padRight(label, labelWidth), x: inner.x, y: y, style: Style(fg: .muted), clip: inner)
            grid.put(Format.truncate(value, inner.width - labelWidth), x: inner.x + labelWidth, y: y, style: Style(fg: .accent), clip: inner)
            y += 1
        }
        func title(_ t: String) {
            guard y < inner.maxY else { return }
            grid.put(t, x: inner.x, y: y, style: Style(fg: .title, .bold), clip: inner); y += 1
        }
        for (i, (name, rows)) in sections().enumerated() {
            if i > 0 { y += 1 }
            title(name)
            if name == "Model", let m = stats.modelName {
                // The name gets its own line: it is usually longer than a value column.
                guard y < inner.maxY else { break }
                grid.put(Format.truncate(m, inner.width), x: inner.x, y: y, style: Style(fg: .accent), clip: inner)
                y += 1
                for (l, v) in rows.dropFirst() { row(l, v) }
            } else {
                for (l, v) in rows { row(l, v) }
            }
            if name == "Speed" {
                y += 1
                title("Context")
                if y < inner.maxY { grid.put(contextBar(width: inner.width), x: inner.x, y: y, clip: inner); y += 1 }
            }
        }
        if stats.isGenerating, y + 1 < inner.maxY {
            grid.put("● generating", x: inner.x, y: inner.maxY - 1, style: Style(fg: .success), clip: inner)
        }
    }

    /// The one-line form for narrow terminals: the most useful numbers, as many as fit.
    public func renderBar(into grid: inout CellGrid, area: Rect) {
        let style = Style(fg: .statusText, bg: .statusBackground)
        grid.fill(area, style: style)
        let s = stats
        var parts: [String] = []
        parts.append([s.modelName, s.level].compactMap { $0 }.joined(separator: " ").isEmpty
                     ? "no model" : [s.modelName, s.level].compactMap { $0 }.joined(separator: " "))
        if let g = s.generationTPS { parts.append(Format.rate(g) + " tok/s") }
        if let t = s.timeToFirstToken { parts.append("ttft " + Format.seconds(t)) }
        parts.append("ctx \(s.contextUsed)/\(s.contextSize)")
        if let r = s.rssBytes { parts.append("rss " + Format.bytes(r)) }
        if let p = s.replyPerplexity { parts.append("ppl " + Format.fixed(p, 2)) }
        if let p = s.promptTPS { parts.append("prompt " + Format.rate(p) + " tok/s") }
        var x = area.x + 1
        for (i, p) in parts.enumerated() {
            let piece = (i > 0 ? " · " : "") + p
            if x + DisplayWidth.of(piece) > area.maxX { break }
            x = grid.put(piece, x: x, y: area.y, style: style, clip: area)
        }
    }
}
