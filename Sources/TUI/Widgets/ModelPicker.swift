import Catalog
import Engine

/// One row of the model picker: a catalog entry or a GGUF file found on disk.
public struct ModelRow: Equatable, Sendable {
    /// What the backend loads: a catalog level, or a file for a loose file.
    public var reference: ModelReference
    public var name: String
    public var architecture: String
    /// Parameter count as people say it: "360M", "1.7B".
    public var parameters: String
    public var level: String
    public var sizeBytes: UInt64?
    public var bitsPerWeight: Double?
    /// The file is on disk (else it would be fetched first).
    public var isPresent: Bool

    public init(reference: ModelReference, name: String, architecture: String, parameters: String, level: String,
                sizeBytes: UInt64? = nil, bitsPerWeight: Double? = nil, isPresent: Bool) {
        self.reference = reference; self.name = name; self.architecture = architecture; self.parameters = parameters
        self.level = level; self.sizeBytes = sizeBytes; self.bitsPerWeight = bitsPerWeight; self.isPresent = isPresent
    }

    /// The engine library's listing as a picker row.
    public init(_ listing: ModelListing) {
        self.init(reference: listing.reference, name: listing.name, architecture: listing.architecture,
                  parameters: listing.parameters, level: listing.level, sizeBytes: listing.sizeBytes,
                  bitsPerWeight: listing.bitsPerWeight, isPresent: listing.isPresent)
    }

    /// `id:LEVEL` or the file's path: what the picker selects by and the filter matches.
    public var id: String { reference.description }

    /// Text the filter matches against.
    var searchText: String { [id, name, architecture, parameters, level].joined(separator: " ").lowercased() }
}

/// A filterable list of models; typing filters, Up/Down select, Enter loads.
public struct ModelPicker: Equatable, Sendable {
    public var rows: [ModelRow]
    public private(set) var filter = ""
    /// Index into `visibleRows`.
    public private(set) var selection = 0
    /// Shown while a model loads: what and how far (0...1).
    public var loading: (name: String, progress: Double)? {
        get { loadingName.map { ($0, loadingProgress) } }
        set { loadingName = newValue?.name; loadingProgress = newValue?.progress ?? 0 }
    }
    private var loadingName: String?
    private var loadingProgress = 0.0

    public init(rows: [ModelRow]) { self.rows = rows }

    /// Rows matching every word of the filter, case-insensitively.
    public var visibleRows: [ModelRow] {
        let words = filter.lowercased().split(separator: " ")
        return rows.filter { r in words.allSatisfy { r.searchText.contains($0) } }
    }

    public var selected: ModelRow? {
        let v = visibleRows
        return v.indices.contains(selection) ? v[selection] : nil
    }

    public mutating func type(_ s: String) { filter += s; selection = 0 }
    public mutating func backspace() { if !filter.isEmpty { filter.removeLast(); selection = 0 } }
    public mutating func move(_ delta: Int) {
        let n = visibleRows.count
        selection = n == 0 ? 0 : min(max(0, selection + delta), n - 1)
    }

    /// Selects the row with `id`, if visible.
    public mutating func select(id: String) {
        if let i = visibleRows.firstIndex(where: { $0.id == id }) { selection = i }
    }

    public static let modelsTitle = "Models (F2)"
    public static let levelsTitle = "Quantization level (F3)"

    static let columns: [(String, Int)] = [("name", 0), ("arch", 8), ("params", 8), ("level", 8), ("size", 10), ("bpw", 6), ("", 8)]

    /// Draws a framed list in `area` under `title` (the model picker's, or the level picker's).
    public func render(into grid: inout CellGrid, area: Rect, title: String) {
        Frame.draw(into: &grid, area: area, title: title)
        let inner = area.inset(1)
        guard inner.height >= 3 else { return }
        grid.put("filter: ", x: inner.x, y: inner.y, style: Style(fg: .muted), clip: inner)
        let fx = grid.put(filter, x: inner.x + 8, y: inner.y, style: .plain, clip: inner)
        grid.cursor = (fx, inner.y)
        let fixed = Self.columns.dropFirst().reduce(0) { $0 + $1.1 }
        let nameWidth = max(8, inner.width - fixed)
        func cells(_ values: [String]) -> String {
            var s = Format.padRight(values[0], nameWidth)
            for (i, (_, w)) in Self.columns.enumerated().dropFirst() {
                s += i >= 4 && i <= 5 ? Format.padLeft(values[i], w - 1) + " " : " " + Format.padRight(values[i], w - 1)
            }
            return s
        }
        grid.put(cells(Self.columns.map(\.0)), x: inner.x, y: inner.y + 1, style: Style(fg: .title, .bold), clip: inner)
        let list = Rect(x: inner.x, y: inner.y + 2, width: inner.width, height: inner.height - 2 - (loadingName == nil ? 0 : 1))
        let rows = visibleRows
        if rows.isEmpty {
            grid.put(rows.count == self.rows.count ? "no models found" : "no model matches '\(filter)'",
                     x: list.x, y: list.y, style: Style(fg: .muted), clip: list)
        }
        let top = max(0, selection - list.height + 1)
        for (i, r) in rows.enumerated().dropFirst(top).prefix(list.height) {
            let y = list.y + i - top
            let sel = i == selection
            let base = sel ? Style(fg: .selectionText, bg: .selection) : .plain
            if sel { grid.fill(Rect(x: list.x, y: y, width: list.width, height: 1), style: base) }
            let values = [r.name, r.architecture, r.parameters, r.level,
                          r.sizeBytes.map(Format.bytes) ?? "–", r.bitsPerWeight.map { Format.fixed($0, 2) } ?? "–",
                          r.isPresent ? "present" : "missing"]
            grid.put(cells(values), x: list.x, y: y, style: base, clip: list)
            let statusX = list.x + nameWidth + fixed - Self.columns.last!.1 + 1
            grid.put(values[6], x: statusX, y: y, style: base.fg(r.isPresent ? .success : .warning), clip: list)
        }
        if let name = loadingName {
            let pct = Int((loadingProgress * 100).rounded())
            grid.put("loading \(name)… \(pct)%", x: inner.x, y: inner.maxY - 1, style: Style(fg: .accent), clip: inner)
        }
    }
}

/// A box with a title, used by overlays.
enum Frame {
    static func draw(into grid: inout CellGrid, area: Rect, title: String) {
        guard area.width >= 2, area.height >= 2 else { return }
        let b = Style(fg: .border)
        grid.fill(area, style: .plain)
        let horiz = String(repeating: "─", count: area.width - 2)
        grid.put("┌" + horiz + "┐", x: area.x, y: area.y, style: b)
        grid.put("└" + horiz + "┘", x: area.x, y: area.maxY - 1, style: b)
        for y in area.y + 1 ..< area.maxY - 1 {
            grid.put("│", x: area.x, y: y, style: b)
            grid.put("│", x: area.maxX - 1, y: y, style: b)
        }
        grid.put(" " + title + " ", x: area.x + 2, y: area.y, style: Style(fg: .title, .bold), clip: area)
    }

    /// A rectangle of at most `width` x `height` centred in `area`.
    static func centered(in area: Rect, width: Int, height: Int) -> Rect {
        let w = min(width, area.width), h = min(height, area.height)
        return Rect(x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h)
    }
}
