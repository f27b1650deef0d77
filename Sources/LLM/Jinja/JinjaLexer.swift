// MARK: - Tokens

/// One token of a template: text between tags, a tag's delimiters, or a piece of an expression.
struct JinjaToken: Equatable {
    enum Kind: Equatable {
        case text(String)
        case expressionStart, expressionEnd      // {{ }}
        case statementStart, statementEnd        // {% %}
        case name(String)
        case string(String)
        case int(Int)
        case float(Double)
        case op(String)
        case end
    }
    let kind: Kind
    let line: Int
}

// MARK: - Lexer

/// Splits template source into tokens with the whitespace control transformers uses:
/// `trim_blocks` (drop the newline after `%}` and `#}`), `lstrip_blocks` (drop spaces and tabs
/// before `{%` and `{#` at the start of a line), `-` markers (strip all whitespace on that side),
/// `{%+` (keep it), and `keep_trailing_newline=False`. `\r\n` and `\r` in the source become `\n`
/// (Jinja2's `newline_sequence`).
struct JinjaLexer {
    private let src: [UInt8]
    private var pos = 0
    private var line = 1
    private(set) var tokens: [JinjaToken] = []

    static func tokenize(_ source: String) throws(JinjaError) -> [JinjaToken] {
        var lexer = JinjaLexer(source: source)
        try lexer.run()
        return lexer.tokens
    }

    private init(source: String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(source.utf8.count)
        var it = source.utf8.makeIterator()
        var pendingCR = false
        while let b = it.next() {
            if pendingCR { pendingCR = false; if b == 0x0A { continue } }
            if b == 0x0D { bytes.append(0x0A); pendingCR = true } else { bytes.append(b) }
        }
        if bytes.last == 0x0A { bytes.removeLast() }
        src = bytes
    }

    private func at(_ i: Int) -> UInt8 { i < src.count ? src[i] : 0 }
    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

    private mutating func emit(_ k: JinjaToken.Kind) { tokens.append(JinjaToken(kind: k, line: line)) }

    private mutating func run() throws(JinjaError) {
        var lineStarting = true
        while pos < src.count {
            // Find the next tag opener.
            var i = pos
            var opener: UInt8 = 0
            while i + 1 < src.count {
                if src[i] == UInt8(ascii: "{"), [UInt8(ascii: "{"), UInt8(ascii: "%"), UInt8(ascii: "#")].contains(src[i + 1]) {
                    opener = src[i + 1]; break
                }
                i += 1
            }
            if opener == 0 { i = src.count }
            var text = Array(src[pos ..< i])
            if opener != 0 {
                let sign = at(i + 2)
                if sign == UInt8(ascii: "-") {
                    while let l = text.last, Self.isSpace(l) { text.removeLast() }
                } else if sign != UInt8(ascii: "+"), opener != UInt8(ascii: "{") {
                    let lineStart = (text.lastIndex(of: 0x0A).map { $0 + 1 }) ?? 0
                    if lineStart > 0 || lineStarting,
                       text[lineStart...].allSatisfy({ Self.isSpace($0) }) {
                        text.removeSubrange(lineStart...)
                    }
                }
            }
            if !text.isEmpty { emit(.text(String(decoding: text, as: UTF8.self))) }
            line += src[pos ..< i].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            pos = i
            guard opener != 0 else { break }
            pos += 2
            if at(pos) == UInt8(ascii: "-") || at(pos) == UInt8(ascii: "+") { pos += 1 }
            switch opener {
            case UInt8(ascii: "#"): try skipComment()
            case UInt8(ascii: "{"):
                emit(.expressionStart)
                try lexInside(closer: UInt8(ascii: "}"))
                emit(.expressionEnd)
            default:
                if try rawBlock() { break }
                emit(.statementStart)
                try lexInside(closer: UInt8(ascii: "%"))
                emit(.statementEnd)
            }
            lineStarting = pos > 0 && src[pos - 1] == 0x0A
        }
        emit(.end)
    }

    /// After a closing delimiter at `pos` (already past it): `-` strips all following
    /// whitespace; otherwise a block or comment end drops one newline (`trim_blocks`).
    private mutating func afterClose(stripAll: Bool, trimNewline: Bool) {
        if stripAll {
            while pos < src.count, Self.isSpace(src[pos]) { if src[pos] == 0x0A { line += 1 }; pos += 1 }
        } else if trimNewline, at(pos) == 0x0A {
            pos += 1; line += 1
        }
    }

    private mutating func skipComment() throws(JinjaError) {
        let startLine = line
        while pos + 1 < src.count {
            if src[pos] == UInt8(ascii: "#"), src[pos + 1] == UInt8(ascii: "}") {
                let strip = pos > 0 && src[pos - 1] == UInt8(ascii: "-")
                pos += 2
                afterClose(stripAll: strip, trimNewline: true)
                return
            }
            if src[pos] == 0x0A { line += 1 }
            pos += 1
        }
        throw .syntax("unclosed comment", line: startLine)
    }

    /// `{% raw %}...{% endraw %}`: the text in between is output as is.
    private mutating func rawBlock() throws(JinjaError) -> Bool {
        var j = pos
        while Self.isSpace(at(j)) { j += 1 }
        guard Array(src[min(j, src.count) ..< min(j + 3, src.count)]) == Array("raw".utf8) else { return false }
        j += 3
        while Self.isSpace(at(j)) { j += 1 }
        var stripAfterOpen = false
        if at(j) == UInt8(ascii: "-") { stripAfterOpen = true; j += 1 }
        guard at(j) == UInt8(ascii: "%"), at(j + 1) == UInt8(ascii: "}") else { return false }
        pos = j + 2
        afterClose(stripAll: stripAfterOpen, trimNewline: true)
        let bodyStart = pos
        var k = pos
        while k + 1 < src.count {
            if src[k] == UInt8(ascii: "{"), src[k + 1] == UInt8(ascii: "%") {
                var m = k + 2
                let stripBefore = at(m) == UInt8(ascii: "-")
                if stripBefore || at(m) == UInt8(ascii: "+") { m += 1 }
                while Self.isSpace(at(m)) { m += 1 }
                if Array(src[min(m, src.count) ..< min(m + 6, src.count)]) == Array("endraw".utf8) {
                    m += 6
                    while Self.isSpace(at(m)) { m += 1 }
                    var stripAfter = false
                    if at(m) == UInt8(ascii: "-") { stripAfter = true; m += 1 }
                    if at(m) == UInt8(ascii: "%"), at(m + 1) == UInt8(ascii: "}") {
                        var body = Array(src[bodyStart ..< k])
                        if stripBefore { while let l = body.last, Self.isSpace(l) { body.removeLast() } }
                        if !body.isEmpty { emit(.text(String(decoding: body, as: UTF8.self))) }
                        line += src[bodyStart ..< m].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
                        pos = m + 2
                        afterClose(stripAll: stripAfter, trimNewline: true)
                        return true
                    }
                }
            }
            k += 1
        }
        throw .syntax("unclosed {% raw %} block", line: line)
    }

    /// Expression tokens up to the closing `}}` or `%}` (only at bracket depth 0).
    private mutating func lexInside(closer: UInt8) throws(JinjaError) {
        let startLine = line
        var depth = 0
        while true {
            while pos < src.count, Self.isSpace(src[pos]) { if src[pos] == 0x0A { line += 1 }; pos += 1 }
            guard pos < src.count else {
                throw .syntax(closer == UInt8(ascii: "}") ? "unclosed {{ (expected }})" : "unclosed {% (expected %})",
                              line: startLine)
            }
            let c = src[pos]
            // Closing delimiter, with or without '-'.
            if depth == 0 {
                if c == UInt8(ascii: "-"), at(pos + 1) == closer, at(pos + 2) == UInt8(ascii: "}") {
                    pos += 3
                    afterClose(stripAll: true, trimNewline: false)
                    return
                }
                if c == UInt8(ascii: "+"), closer == UInt8(ascii: "%"), at(pos + 1) == closer, at(pos + 2) == UInt8(ascii: "}") {
                    pos += 3
                    return
                }
                if c == closer, at(pos + 1) == UInt8(ascii: "}") {
                    pos += 2
                    afterClose(stripAll: false, trimNewline: closer == UInt8(ascii: "%"))
                    return
                }
            }
            if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
                emit(.string(try lexString(quote: c)))
            } else if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                emit(lexNumber())
            } else if c == UInt8(ascii: "_") || (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "z")) {
                let s = pos
                while pos < src.count, src[pos] == UInt8(ascii: "_") || (src[pos] | 0x20 >= UInt8(ascii: "a") && src[pos] | 0x20 <= UInt8(ascii: "z"))
                    || (src[pos] >= UInt8(ascii: "0") && src[pos] <= UInt8(ascii: "9")) { pos += 1 }
                emit(.name(String(decoding: src[s ..< pos], as: UTF8.self)))
            } else {
                let two = String(decoding: src[pos ..< min(pos + 2, src.count)], as: UTF8.self)
                if ["//", "**", "==", "!=", "<=", ">="].contains(two) {
                    emit(.op(two)); pos += 2
                } else if "+-*/%~<>=()[]{},.:|".utf8.contains(c) {
                    if "([{".utf8.contains(c) { depth += 1 }
                    if ")]}".utf8.contains(c) { depth = max(0, depth - 1) }
                    emit(.op(String(UnicodeScalar(c)))); pos += 1
                } else {
                    throw .syntax("unexpected character '\(String(decoding: src[pos ..< min(pos + 1, src.count)], as: UTF8.self))'", line: line)
                }
            }
        }
    }

    private mutating func lexNumber() -> JinjaToken.Kind {
        let s = pos
        func digits() { while pos < src.count, (src[pos] >= 0x30 && src[pos] <= 0x39) || src[pos] == UInt8(ascii: "_") { pos += 1 } }
        digits()
        var isFloat = false
        if at(pos) == UInt8(ascii: "."), at(pos + 1) >= 0x30, at(pos + 1) <= 0x39 {
            isFloat = true; pos += 1; digits()
        }
        if at(pos) | 0x20 == UInt8(ascii: "e") {
            var j = pos + 1
            if at(j) == UInt8(ascii: "+") || at(j) == UInt8(ascii: "-") { j += 1 }
            if at(j) >= 0x30, at(j) <= 0x39 { isFloat = true; pos = j; digits() }
        }
        let text = String(decoding: src[s ..< pos], as: UTF8.self).replacingOccurrences(of: "_", with: "")
        if !isFloat, let i = Int(text) { return .int(i) }
        return .float(Double(text) ?? .infinity)
    }

    private mutating func lexString(quote: UInt8) throws(JinjaError) -> String {
        let startLine = line
        pos += 1
        var out: [UInt8] = []
        while pos < src.count {
            let c = src[pos]
            if c == quote { pos += 1; return String(decoding: out, as: UTF8.self) }
            if c == 0x0A { line += 1 }
            if c == UInt8(ascii: "\\"), pos + 1 < src.count {
                let e = src[pos + 1]
                pos += 2
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "0"): out.append(0)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "v"): out.append(0x0B)
                case UInt8(ascii: "a"): out.append(0x07)
                case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
                    let n = e == UInt8(ascii: "x") ? 2 : e == UInt8(ascii: "u") ? 4 : 8
                    let hex = String(decoding: src[pos ..< min(pos + n, src.count)], as: UTF8.self)
                    guard hex.utf8.count == n, let v = UInt32(hex, radix: 16), let scalar = UnicodeScalar(v) else {
                        throw .syntax("bad \\\(UnicodeScalar(e)) escape in a string", line: line)
                    }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                    pos += n
                case 0x0A: line += 1   // backslash-newline continues the string
                case quote, UInt8(ascii: "\\"): out.append(e)
                default: out.append(c); out.append(e)
                }
                continue
            }
            out.append(c)
            pos += 1
        }
        throw .syntax("unclosed string literal", line: startLine)
    }
}
