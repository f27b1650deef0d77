/// A grapheme cluster with the style it is drawn in; wrapped lines are arrays of these.
public struct StyledChar: Hashable, Sendable {
    public var char: Character
    public var style: Style
    public init(_ char: Character, _ style: Style) { self.char = char; self.style = style }
    public var width: Int { DisplayWidth.of(char) }
}

extension Array where Element == StyledChar {
    /// Builds styled characters from text in one style.
    public init<S: StringProtocol>(_ text: S, style: Style) {
        self = text.map { StyledChar($0, style) }
    }

    /// The plain text, for tests.
    public var plainText: String { String(map(\.char)) }

    /// Columns taken.
    public var displayWidth: Int { reduce(0) { $0 + $1.width } }
}

/// Word wrapping by display width.
///
/// Breaks after spaces; a word longer than the line is broken hard; a wide cluster never
/// straddles two lines; spaces at a break are dropped; zero-width clusters stay with the
/// cluster before them. Newlines in the input start new lines.
public enum TextWrap {
    /// Wraps styled characters into lines of at most `width` columns.
    public static func wrap(_ text: [StyledChar], width: Int) -> [[StyledChar]] {
        var out: [[StyledChar]] = []
        var start = 0
        for i in text.indices where text[i].char == "\n" || text[i].char == "\r\n" {
            out += wrapLine(Array(text[start ..< i]), width: width)
            start = i + 1
        }
        out += wrapLine(Array(text[start...]), width: width)
        return out
    }

    /// Wraps plain text into lines of at most `width` columns.
    public static func wrap(_ text: String, width: Int) -> [String] {
        wrap([StyledChar](text, style: .plain), width: width).map(\.plainText)
    }

    /// Wraps one logical line (no newlines).
    static func wrapLine(_ text: [StyledChar], width: Int) -> [[StyledChar]] {
        let width = max(1, width)
        var lines: [[StyledChar]] = []
        var line: [StyledChar] = []
        var col = 0
        var breakAt: Int?          // index in `line` just after the last space
        var wrapped = false        // `line` continues a wrapped line: drop leading spaces
        func trimmed(_ l: [StyledChar]) -> [StyledChar] {
            var l = l
            while l.last?.char == " " { l.removeLast() }
            return l
        }
        for sc in text {
            let w = sc.width
            if w == 0 { line.append(sc); continue }
            if wrapped, line.isEmpty, sc.char == " " { continue }
            if col + w > width {
                wrapped = true
                if sc.char == " " { // a space at the edge: break here, drop it
                    lines.append(trimmed(line)); line = []; col = 0; breakAt = nil
                    continue
                }
                if let b = breakAt {
                    lines.append(trimmed(Array(line[..<b])))
                    line = Array(line[b...])
                } else {
                    lines.append(line)
                    line = []
                }
                col = line.displayWidth
                breakAt = nil
                if col + w > width { lines.append(line); line = []; col = 0 }
            }
            line.append(sc)
            col += w
            if sc.char == " " { breakAt = line.count }
        }
        lines.append(line)
        return lines
    }
}
