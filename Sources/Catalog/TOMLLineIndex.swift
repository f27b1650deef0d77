/// Finds the line on which a TOML table or key is written, so errors about values that
/// parsed fine (a wrong type, an unknown key) can still point at a line.
///
/// TOMLKit reports lines only for syntax errors; this reads the text once and records, for
/// every `[table.header]` and every `key =`, the first line it appears on, by dotted path.
public struct TOMLLineIndex: Sendable {
    private var lines: [String: Int] = [:]

    public init(text: String) {
        var current: [String] = []
        var lineNo = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") {
                let isArray = line.hasPrefix("[[")
                let inner = line.dropFirst(isArray ? 2 : 1)
                guard let end = inner.firstIndex(of: "]") else { continue }
                current = Self.splitPath(String(inner[..<end]))
                record(current, lineNo)
                continue
            }
            guard let eq = Self.assignment(in: line) else { continue }
            record(current + Self.splitPath(String(line[..<eq])), lineNo)
        }
    }

    private mutating func record(_ path: [String], _ line: Int) {
        let key = path.joined(separator: ".")
        if lines[key] == nil { lines[key] = line }
    }

    /// The line of `path`, or of its nearest written ancestor.
    public func line(_ path: [String]) -> Int? {
        var p = path
        while !p.isEmpty {
            if let l = lines[p.joined(separator: ".")] { return l }
            p.removeLast()
        }
        return nil
    }

    /// Index of the `=` of a `key = value` line, outside quotes.
    private static func assignment(in line: String) -> String.Index? {
        var quote: Character?
        for i in line.indices {
            let c = line[i]
            if let q = quote { if c == q { quote = nil } } else if c == "\"" || c == "'" { quote = c } else if c == "=" { return i }
        }
        return nil
    }

    /// Splits `a."b.c".d` into `["a", "b.c", "d"]`.
    public static func splitPath(_ s: String) -> [String] {
        var parts: [String] = []
        var cur = ""
        var quote: Character?
        for c in s {
            if let q = quote {
                if c == q { quote = nil } else { cur.append(c) }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "." {
                parts.append(cur.trimmingCharacters(in: .whitespaces)); cur = ""
            } else {
                cur.append(c)
            }
        }
        parts.append(cur.trimmingCharacters(in: .whitespaces))
        return parts
    }
}
