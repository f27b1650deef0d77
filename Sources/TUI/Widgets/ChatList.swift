import Foundation

/// One earlier chat in the chat list.
public struct ChatSummary: Equatable, Sendable {
    public var id: Int64
    public var title: String
    public var model: String
    public var created: Date
    public var updated: Date
    public var messageCount: Int

    public init(id: Int64, title: String, model: String, created: Date, updated: Date, messageCount: Int = 0) {
        self.id = id; self.title = title; self.model = model
        self.created = created; self.updated = updated; self.messageCount = messageCount
    }
}

/// The chat list (Ctrl-O): newest first; Enter reopens, Delete deletes.
public struct ChatList: Equatable, Sendable {
    public var chats: [ChatSummary]
    public private(set) var selection = 0

    public init(chats: [ChatSummary] = []) { self.chats = chats }

    public var selected: ChatSummary? { chats.indices.contains(selection) ? chats[selection] : nil }

    public mutating func move(_ delta: Int) {
        selection = chats.isEmpty ? 0 : min(max(0, selection + delta), chats.count - 1)
    }

    public mutating func remove(id: Int64) {
        chats.removeAll { $0.id == id }
        move(0)
    }

    public func render(into grid: inout CellGrid, area: Rect, now: Date) {
        Frame.draw(into: &grid, area: area, title: "Chats (Ctrl-O)")
        let inner = area.inset(1)
        guard !inner.isEmpty else { return }
        if chats.isEmpty {
            grid.put("no saved chats yet", x: inner.x, y: inner.y, style: Style(fg: .muted), clip: inner)
            return
        }
        let top = max(0, selection - inner.height + 1)
        for (i, c) in chats.enumerated().dropFirst(top).prefix(inner.height) {
            let y = inner.y + i - top
            let sel = i == selection
            let base = sel ? Style(fg: .selectionText, bg: .selection) : .plain
            if sel { grid.fill(Rect(x: inner.x, y: y, width: inner.width, height: 1), style: base) }
            let right = " \(c.model) · \(Self.age(c.updated, now: now))"
            let rw = DisplayWidth.of(right)
            grid.put(Format.truncate(c.title, max(0, inner.width - rw)), x: inner.x, y: y, style: base, clip: inner)
            grid.put(right, x: inner.maxX - rw, y: y, style: sel ? base : Style(fg: .muted), clip: inner)
        }
    }

    /// "just now", "5 min ago", "3 h ago", "2 d ago".
    static func age(_ d: Date, now: Date) -> String {
        let s = Int(now.timeIntervalSince(d))
        if s < 60 { return "just now" }
        if s < 3600 { return "\(s / 60) min ago" }
        if s < 86400 { return "\(s / 3600) h ago" }
        return "\(s / 86400) d ago"
    }
}
