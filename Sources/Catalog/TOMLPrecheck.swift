/// Refuses TOML text that would crash the parser instead of getting an error from it.
///
/// toml++ (the C++ parser under TOMLKit) asserts, aborting the process, on some malformed
/// input rather than reporting it: a table header whose first character cannot start a key
/// (`[~`, `[é`, `[` at the end of a line) reaches `parse_key()`'s assertion. Found by the
/// FuzzCatalog fuzzer (`make fuzz`). Both `models.toml` and theme files pass through here.
///
/// The scan looks at every line that starts with `[`, wherever it is, so a line inside a
/// multi-line array or string that starts with `[` and such a character is refused too; no
/// catalog or theme needs one.
public enum TOMLPrecheck {
    /// The first problem: its line (1-based) and a message, or nil when the text may be parsed.
    public static func problem(in text: String) -> (line: Int, message: String)? {
        var line = 1
        var atLineStart = true
        var it = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return it.next()
        }
        while let c = next() {
            if c == "\n" { line += 1; atLineStart = true; continue }
            guard atLineStart else { continue }
            if c == " " || c == "\t" { continue }
            atLineStart = false
            guard c == "[" else { continue }
            // A header: `[` or `[[`, spaces or tabs, then the first character of a key.
            var k = next()
            while k == " " || k == "\t" { k = next() }
            if k == "[" {
                k = next()
                while k == " " || k == "\t" { k = next() }
            }
            guard let first = k else { return nil }
            if first.isASCII, first.properties.isAlphabetic || ("0" ... "9").contains(first)
                || "_-\"']".unicodeScalars.contains(first) {
                pending = first
                continue
            }
            let shown = first == "\n" ? "the end of the line" : first == "\r" ? "a carriage return"
                : first.isASCII && first.value >= 0x20 && first.value < 0x7F ? "'\(first)'"
                : "U+" + String(first.value, radix: 16, uppercase: true)
            return (line, "TOML syntax error: a [table] header must start with a key (letters, digits, '_', '-' or a "
                + "quoted key), found \(shown)")
        }
        return nil
    }
}
