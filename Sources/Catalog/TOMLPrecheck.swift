/// Refuses TOML text that would crash the parser instead of getting an error from it.
///
/// toml++ (the C++ parser under TOMLKit 0.6) asserts, aborting the process, on some malformed
/// input rather than reporting it. Found by `make fuzz` (FuzzCatalog, FuzzTheme):
/// - a table header whose first character cannot start a key (`[~`, `[é`, `[` then a line end)
///   fails `parse_key()`'s assertion;
/// - an array value that starts with `}` (`a = [}`, `a = [1, }`) or with U+0085, U+2028 or
///   U+2029 fails `parse_value()`'s.
/// Both `models.toml` and theme files pass through here first. Everything refused is invalid
/// TOML anyway, so a file toml++ accepts is never refused.
public enum TOMLPrecheck {
    /// The first problem: its line (1-based) and a message, or nil when the text may be parsed.
    public static func problem(in text: String) -> (line: Int, message: String)? {
        let s = Array(text.unicodeScalars)
        var i = 0, line = 1
        var atLineStart = true
        var arrayDepth = 0, tableDepth = 0
        // The last character outside whitespace, comments and strings.
        var last: Unicode.Scalar = "\n"
        func at(_ j: Int) -> Unicode.Scalar? { j < s.count ? s[j] : nil }
        func shown(_ c: Unicode.Scalar?) -> String {
            guard let c else { return "the end of the file" }
            if c == "\n" { return "the end of the line" }
            if c.isASCII && c.value >= 0x20 && c.value < 0x7F { return "'\(c)'" }
            return "U+" + String(c.value, radix: 16, uppercase: true)
        }
        func isKeyStart(_ c: Unicode.Scalar) -> Bool {
            c.isASCII && (c.properties.isAlphabetic || ("0" ... "9").contains(c) || "_-\"']".unicodeScalars.contains(c))
        }
        while i < s.count {
            let c = s[i]
            switch c {
            case "\n":
                line += 1; atLineStart = true; i += 1
            case " ", "\t", "\r", "\u{FEFF}":
                i += 1
            case "#":
                while i < s.count, s[i] != "\n" { i += 1 }
            case "\"", "'":
                // Strings: skipped whole (multi-line when tripled; basic ones have escapes).
                atLineStart = false
                let triple = at(i + 1) == c && at(i + 2) == c
                i += triple ? 3 : 1
                while i < s.count {
                    if c == "\"", s[i] == "\\" { if at(i + 1) == "\n" { line += 1 }; i += 2; continue }
                    if s[i] == "\n" { if !triple { break }; line += 1 }
                    if s[i] == c, !triple || (at(i + 1) == c && at(i + 2) == c) {
                        i += triple ? 3 : 1
                        while triple, i < s.count, s[i] == c { i += 1 }   // """a"""" ends in a quote
                        break
                    }
                    i += 1
                }
                last = c
            case "[" where atLineStart && arrayDepth == 0 && tableDepth == 0:
                // A [table] or [[array of tables]] header: the first key character must be a key's.
                atLineStart = false
                var j = i + 1
                while at(j) == " " || at(j) == "\t" { j += 1 }
                if at(j) == "[" {
                    j += 1
                    while at(j) == " " || at(j) == "\t" { j += 1 }
                }
                guard let k = at(j), isKeyStart(k) else {
                    return (line, "TOML syntax error: a [table] header must start with a key (letters, digits, '_', '-' "
                        + "or a quoted key), found \(shown(at(j)))")
                }
                i = j
                last = "["
            default:
                atLineStart = false
                switch c {
                case "[": arrayDepth += 1
                case "]": arrayDepth = max(0, arrayDepth - 1)
                case "{": tableDepth += 1
                case "}":
                    if arrayDepth > 0, last == "[" || last == "," {
                        return (line, "TOML syntax error: expected a value in the array, found '}'")
                    }
                    tableDepth = max(0, tableDepth - 1)
                case "\u{85}", "\u{2028}", "\u{2029}":
                    return (line, "TOML syntax error: \(shown(c)) is only allowed in strings and comments")
                default: break
                }
                last = c
                i += 1
            }
        }
        return nil
    }
}
