/// Generation settings the user can change (F5); a view model the backend maps onto its
/// sampler and context.
public struct ChatSettings: Equatable, Sendable, Codable {
    public var systemPrompt: String = ""
    public var temperature: Double = 0.7
    /// 0 turns top-k off.
    public var topK: Int = 40
    public var topP: Double = 0.95
    public var minP: Double = 0.05
    public var repeatPenalty: Double = 1.1
    /// nil: a new random seed per reply.
    public var seed: UInt64?
    /// Tokens of context to allocate; nil: the model's own (the catalog's `context_length`,
    /// else the trained length capped at 4096). A change reloads the model, keeping the chat.
    public var contextLength: Int?

    public init() {}
}

/// The settings form: one editable text field per setting, validated on apply.
public struct SettingsForm: Equatable, Sendable {
    public enum Field: Int, CaseIterable, Sendable {
        case systemPrompt, temperature, topK, topP, minP, repeatPenalty, seed, contextLength

        public var label: String {
            switch self {
            case .systemPrompt: "system prompt"
            case .temperature: "temperature"
            case .topK: "top-k"
            case .topP: "top-p"
            case .minP: "min-p"
            case .repeatPenalty: "repeat penalty"
            case .seed: "seed"
            case .contextLength: "context length"
            }
        }

        public var hint: String {
            switch self {
            case .systemPrompt: "any text"
            case .temperature: "0 to 5; 0 is greedy"
            case .topK: "0 (off) to 1000"
            case .topP: "0 to 1"
            case .minP: "0 to 1"
            case .repeatPenalty: "0.5 to 2; 1 is off"
            case .seed: "a number, or empty for random"
            case .contextLength: "128 to \(SettingsForm.maxContext)"
            }
        }
    }

    public static let maxContext = 131_072

    /// The text of each field, indexed by `Field.rawValue`.
    public private(set) var values: [String]
    public private(set) var focus: Field = .systemPrompt
    /// Messages for fields that failed validation on the last `apply`.
    public private(set) var errors: [Field: String] = [:]
    /// The loaded model's context, shown as what an empty context length means.
    public let modelContext: Int?

    public init(_ s: ChatSettings, modelContext: Int? = nil) {
        values = [s.systemPrompt, Self.number(s.temperature), "\(s.topK)", Self.number(s.topP),
                  Self.number(s.minP), Self.number(s.repeatPenalty), s.seed.map { "\($0)" } ?? "",
                  s.contextLength.map { "\($0)" } ?? ""]
        self.modelContext = modelContext
    }

    /// The note under a focused field.
    public func hint(_ f: Field) -> String {
        guard f == .contextLength else { return f.hint }
        return f.hint + "; empty: the model's" + (modelContext.map { " (\($0))" } ?? "")
    }

    private static func number(_ v: Double) -> String {
        var s = Format.fixed(v, 3)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    public func value(_ f: Field) -> String { values[f.rawValue] }

    public mutating func type(_ s: String) { values[focus.rawValue] += s; errors[focus] = nil }
    public mutating func backspace() {
        if !values[focus.rawValue].isEmpty { values[focus.rawValue].removeLast() }
        errors[focus] = nil
    }
    public mutating func setValue(_ f: Field, _ s: String) { values[f.rawValue] = s; errors[f] = nil }
    public mutating func move(_ delta: Int) {
        let n = Field.allCases.count
        focus = Field(rawValue: ((focus.rawValue + delta) % n + n) % n)!
    }

    /// Checks every field; returns the settings, or records errors and returns nil.
    public mutating func apply() -> ChatSettings? {
        errors = [:]
        var s = ChatSettings()
        s.systemPrompt = value(.systemPrompt)
        func real(_ f: Field, _ range: ClosedRange<Double>) -> Double {
            let t = value(f).trimmingCharacters(in: .whitespaces)
            guard let v = Double(t), v.isFinite else { errors[f] = "not a number"; return 0 }
            guard range.contains(v) else { errors[f] = "must be \(f.hint)"; return 0 }
            return v
        }
        func integer(_ f: Field, _ range: ClosedRange<Int>) -> Int {
            let t = value(f).trimmingCharacters(in: .whitespaces)
            guard let v = Int(t) else { errors[f] = "not a whole number"; return 0 }
            guard range.contains(v) else { errors[f] = "must be \(f.hint)"; return 0 }
            return v
        }
        s.temperature = real(.temperature, 0 ... 5)
        s.topK = integer(.topK, 0 ... 1000)
        s.topP = real(.topP, 0 ... 1)
        s.minP = real(.minP, 0 ... 1)
        s.repeatPenalty = real(.repeatPenalty, 0.5 ... 2)
        let seedText = value(.seed).trimmingCharacters(in: .whitespaces)
        if seedText.isEmpty || seedText == "random" {
            s.seed = nil
        } else if let v = UInt64(seedText) {
            s.seed = v
        } else {
            errors[.seed] = "must be \(Field.seed.hint)"
        }
        if !value(.contextLength).trimmingCharacters(in: .whitespaces).isEmpty {
            s.contextLength = integer(.contextLength, 128 ... Self.maxContext)
        }
        if let first = Field.allCases.first(where: { errors[$0] != nil }) { focus = first }
        return errors.isEmpty ? s : nil
    }

    public func render(into grid: inout CellGrid, area: Rect) {
        let box = Frame.centered(in: area, width: 64, height: Field.allCases.count * 2 + 4)
        Frame.draw(into: &grid, area: box, title: "Settings (F5)")
        let inner = box.inset(1)
        let labelWidth = 18
        // Short screens: one row per field, the focused field's note above the key hints.
        let compact = inner.height < Field.allCases.count * 2 + 1
        let step = compact ? 1 : 2
        var y = inner.y
        for f in Field.allCases {
            guard y + step - 1 < inner.maxY - (compact ? 2 : 0) else { break }
            let focused = f == focus
            let labelStyle = errors[f] != nil ? Style(fg: .error, .bold) : Style(fg: focused ? .accent : .muted)
            grid.put((focused ? "▸ " : "  ") + f.label, x: inner.x, y: y, style: labelStyle, clip: inner)
            let field = Rect(x: inner.x + labelWidth, y: y, width: inner.width - labelWidth, height: 1)
            let fieldStyle = focused ? Style(fg: .selectionText, bg: .selection) : Style(bg: .inputBackground)
            grid.fill(field, style: fieldStyle)
            // Show the end of a long value, where typing happens.
            var shown = value(f).replacingOccurrences(of: "\n", with: "⏎")
            while DisplayWidth.of(shown) > field.width - 1, !shown.isEmpty { shown.removeFirst() }
            let end = grid.put(shown, x: field.x, y: y, style: fieldStyle, clip: field)
            if focused { grid.cursor = (end, y) }
            let note = errors[f] ?? (focused ? hint(f) : "")
            if !compact {
                grid.put(note, x: field.x, y: y + 1, style: Style(fg: errors[f] != nil ? .error : .muted), clip: inner)
            } else if focused {
                let first = Field.allCases.first(where: { errors[$0] != nil })
                let shown = first.map { "\($0.label): \(errors[$0]!)" } ?? note
                grid.put(shown, x: inner.x, y: inner.maxY - 2, style: Style(fg: first != nil ? .error : .muted), clip: inner)
            }
            y += step
        }
        grid.put("Tab/↑↓ move · Enter apply · Esc cancel", x: inner.x, y: inner.maxY - 1, style: Style(fg: .muted), clip: inner)
    }
}
