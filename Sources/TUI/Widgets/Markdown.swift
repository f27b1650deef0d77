/// Light markdown for chat messages: fenced code blocks, `inline code`, **bold**, `-`/`*`
/// and `1.` lists, `#` headings. Anything else is plain text. Unclosed markers (common
/// while a reply is still streaming) stay literal until they close.
public enum Markdown {
    /// Lays `text` out in lines of at most `width` columns, styled from `base`.
    public static func lines(_ text: String, width: Int, base: Style = .plain) -> [[StyledChar]] {
        let width = max(1, width)
        var out: [[StyledChar]] = []
        var inCode = false
        let codeStyle = base.fg(.code).bg(.codeBackground)
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            let trimmed = line.drop(while: { $0 == " " })
            if trimmed.hasPrefix("```") {
                inCode.toggle()
                out += pad(TextWrap.wrap([StyledChar](line, style: codeStyle.with(.dim)), width: width), width, codeStyle)
                continue
            }
            if inCode {
                // Code keeps its spaces: break by width only, fill the background to the edge.
                out += pad(hardWrap([StyledChar](line, style: codeStyle), width: width), width, codeStyle)
                continue
            }
            if let (marker, rest) = listItem(line) {
                let bullet = [StyledChar](marker, style: base.fg(.accent))
                let indent = marker.count
                let body = TextWrap.wrap(inline(rest, base: base), width: max(1, width - indent))
                for (i, l) in body.enumerated() {
                    out.append((i == 0 ? bullet : [StyledChar](String(repeating: " ", count: indent), style: base)) + l)
                }
                continue
            }
            if trimmed.hasPrefix("#") {
                let title = trimmed.drop(while: { $0 == "#" }).drop(while: { $0 == " " })
                out += TextWrap.wrap(inline(String(title), base: base.fg(.title).with(.bold)), width: width)
                continue
            }
            out += TextWrap.wrap(inline(line, base: base), width: width)
        }
        return out
    }

    /// `- x`, `* x` become a bullet; `12. x` keeps its number. Leading spaces nest.
    static func listItem(_ line: String) -> (marker: String, rest: String)? {
        let lead = line.prefix(while: { $0 == " " }).count
        let s = line.dropFirst(lead)
        let pad = String(repeating: " ", count: lead)
        if s.hasPrefix("- ") || s.hasPrefix("* ") { return (pad + "• ", String(s.dropFirst(2))) }
        let digits = s.prefix(while: \.isASCIIDigit)
        if !digits.isEmpty, digits.count <= 3, s.dropFirst(digits.count).hasPrefix(". ") {
            return (pad + digits + ". ", String(s.dropFirst(digits.count + 2)))
        }
        return nil
    }

    /// Inline spans: `code` and **bold**; markers are removed once closed.
    static func inline(_ s: String, base: Style) -> [StyledChar] {
        var out: [StyledChar] = []
        let chars = Array(s)
        var i = 0
        var bold = false
        while i < chars.count {
            let c = chars[i]
            if c == "`", let close = chars[(i + 1)...].firstIndex(of: "`") {
                let style = (bold ? base.with(.bold) : base).fg(.inlineCode)
                out += chars[(i + 1) ..< close].map { StyledChar($0, style) }
                i = close + 1
                continue
            }
            if c == "*", i + 1 < chars.count, chars[i + 1] == "*" {
                if bold || hasClosingBold(chars, from: i + 2) { bold.toggle(); i += 2; continue }
            }
            out.append(StyledChar(c, bold ? base.with(.bold) : base))
            i += 1
        }
        return out
    }

    private static func hasClosingBold(_ chars: [Character], from: Int) -> Bool {
        var j = from
        while j + 1 < chars.count {
            if chars[j] == "*", chars[j + 1] == "*" { return j > from }
            j += 1
        }
        return false
    }

    /// Breaks by width alone, keeping every space (for code).
    static func hardWrap(_ line: [StyledChar], width: Int) -> [[StyledChar]] {
        var out: [[StyledChar]] = []
        var cur: [StyledChar] = []
        var col = 0
        for sc in line {
            let w = sc.width
            if col + w > width, !cur.isEmpty { out.append(cur); cur = []; col = 0 }
            cur.append(sc); col += w
        }
        out.append(cur)
        return out
    }

    private static func pad(_ lines: [[StyledChar]], _ width: Int, _ style: Style) -> [[StyledChar]] {
        lines.map { $0 + [StyledChar](String(repeating: " ", count: max(0, width - $0.displayWidth)), style: style) }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
