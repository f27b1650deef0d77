// MARK: - tojson (Python's json.dumps)

extension JinjaValue {
    /// Python's `json.dumps(value, ensure_ascii:, indent:, separators:, sort_keys:)`, as
    /// transformers' `tojson` filter calls it (no HTML escaping, keys in insertion order).
    /// `indent` is a number of spaces or a string; nil writes everything on one line.
    func toJSON(ensureASCII: Bool = false, indent: String? = nil, separators: (String, String)? = nil,
                sortKeys: Bool = false, depthLimit: Int = 512) throws(JinjaError) -> String {
        let (itemSep, keySep) = separators ?? (indent == nil ? (", ", ": ") : (",", ": "))
        var out = ""
        func write(_ v: JinjaValue, level: Int) throws(JinjaError) {
            guard level < depthLimit else { throw .limitExceeded(.depth, limit: depthLimit) }
            func newline(_ l: Int) {
                if let indent { out += "\n" + String(repeating: indent, count: l) }
            }
            switch v {
            case .none: out += "null"
            case .bool(let b): out += b ? "true" : "false"
            case .int(let i): out += String(i)
            case .float(let d):
                if d.isNaN { out += "NaN" } else if d.isInfinite { out += d < 0 ? "-Infinity" : "Infinity" }
                else { out += Self.pythonFloat(d) }
            case .string(let s): out += Self.jsonQuote(s, ensureASCII: ensureASCII)
            case .list(let l):
                if l.isEmpty { out += "[]"; return }
                out += "["
                for (n, e) in l.enumerated() {
                    if n > 0 { out += itemSep }
                    newline(level + 1)
                    try write(e, level: level + 1)
                }
                newline(level)
                out += "]"
            case .dict(let d):
                var entries = d.entries
                if entries.isEmpty { out += "{}"; return }
                if sortKeys {
                    var failure: JinjaError?
                    entries.sort { a, b in
                        do { return try a.key.value.pythonLess(b.key.value) } catch let e as JinjaError { failure = e; return false } catch { return false }
                    }
                    if let failure { throw failure }
                }
                out += "{"
                for (n, e) in entries.enumerated() {
                    if n > 0 { out += itemSep }
                    newline(level + 1)
                    switch e.key {
                    case .string(let s): out += Self.jsonQuote(s.string, ensureASCII: ensureASCII)
                    case .int(let i): out += "\"\(i)\""
                    case .bool(let b): out += b ? "\"true\"" : "\"false\""
                    case .none: out += "\"null\""
                    }
                    out += keySep
                    try write(e.value, level: level + 1)
                }
                newline(level)
                out += "}"
            case .namespace(let ns):
                try write(.dict(ns.attributes), level: level)
            case .undefined, .function:
                throw .runtime("Object of type \(v.typeName) is not JSON serializable")
            }
        }
        try write(self, level: 0)
        return out
    }

    /// A JSON string literal with Python's escapes (`\uXXXX` lower-case hex, surrogate pairs
    /// above U+FFFF when `ensureASCII`).
    static func jsonQuote(_ s: String, ensureASCII: Bool) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if u.value < 0x20 || (ensureASCII && u.value > 0x7E) {
                    func hex(_ v: UInt32) -> String {
                        let h = String(v, radix: 16)
                        return "\\u" + String(repeating: "0", count: 4 - h.count) + h
                    }
                    if u.value > 0xFFFF {
                        let v = u.value - 0x10000
                        out += hex(0xD800 + (v >> 10)) + hex(0xDC00 + (v & 0x3FF))
                    } else {
                        out += hex(u.value)
                    }
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}

// MARK: - Reading JSON (order kept)

extension JinjaValue {
    /// Parses JSON text into a value, keeping object keys in their order (Foundation's
    /// `JSONSerialization` does not). Integers stay integers; nesting is limited to `maxDepth`.
    public static func parseJSON(_ text: String, maxDepth: Int = 256) throws(JinjaError) -> JinjaValue {
        var p = JSONReader(bytes: Array(text.utf8), maxDepth: maxDepth)
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.pos == p.bytes.count else { throw p.fail("unexpected text after the JSON value") }
        return v
    }
}

private struct JSONReader {
    let bytes: [UInt8]
    let maxDepth: Int
    var pos = 0

    init(bytes: [UInt8], maxDepth: Int) { self.bytes = bytes; self.maxDepth = maxDepth }

    func fail(_ m: String) -> JinjaError {
        let line = 1 + bytes[..<min(pos, bytes.count)].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        return .json(m, line: line)
    }

    mutating func skipSpace() {
        while pos < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[pos]) { pos += 1 }
    }

    mutating func literal(_ word: String, _ v: JinjaValue) throws(JinjaError) -> JinjaValue {
        let w = Array(word.utf8)
        guard pos + w.count <= bytes.count, Array(bytes[pos ..< pos + w.count]) == w else { throw fail("unexpected character") }
        pos += w.count
        return v
    }

    mutating func value(depth: Int) throws(JinjaError) -> JinjaValue {
        guard depth < maxDepth else { throw fail("nested deeper than \(maxDepth) levels") }
        guard pos < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[pos] {
        case UInt8(ascii: "{"):
            pos += 1
            var d = JinjaDict()
            skipSpace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; return .dict(d) }
            while true {
                skipSpace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                let k = try string()
                skipSpace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                pos += 1
                skipSpace()
                d[k] = try value(depth: depth + 1)
                skipSpace()
                guard pos < bytes.count else { throw fail("unexpected end of input") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if bytes[pos] == UInt8(ascii: "}") { pos += 1; return .dict(d) }
                throw fail("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            pos += 1
            var l: [JinjaValue] = []
            skipSpace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; return .list(l) }
            while true {
                skipSpace()
                l.append(try value(depth: depth + 1))
                skipSpace()
                guard pos < bytes.count else { throw fail("unexpected end of input") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if bytes[pos] == UInt8(ascii: "]") { pos += 1; return .list(l) }
                throw fail("expected ',' or ']'")
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .none)
        default: return try number()
        }
    }

    mutating func number() throws(JinjaError) -> JinjaValue {
        let start = pos
        var isFloat = false
        while pos < bytes.count {
            let c = bytes[pos]
            if (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") { pos += 1; continue }
            if c == UInt8(ascii: ".") || c | 0x20 == UInt8(ascii: "e") { isFloat = true; pos += 1; continue }
            break
        }
        let text = String(decoding: bytes[start ..< pos], as: UTF8.self)
        if !isFloat, let i = Int(text) { return .int(i) }
        guard !text.isEmpty, let d = Double(text) else { throw fail("unexpected character") }
        return .float(d)
    }

    mutating func string() throws(JinjaError) -> String {
        pos += 1
        var out: [UInt8] = []
        while pos < bytes.count {
            let c = bytes[pos]
            if c == UInt8(ascii: "\"") { pos += 1; return String(decoding: out, as: UTF8.self) }
            if c == UInt8(ascii: "\\") {
                guard pos + 1 < bytes.count else { break }
                let e = bytes[pos + 1]
                pos += 2
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    var v = try hex4()
                    if v >= 0xD800, v < 0xDC00, pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") {
                        pos += 2
                        let low = try hex4()
                        if low >= 0xDC00, low < 0xE000 { v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00) }
                    }
                    let scalar = UnicodeScalar(v) ?? "\u{FFFD}"
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: out.append(e)
                }
                continue
            }
            out.append(c)
            pos += 1
        }
        throw fail("unclosed string")
    }

    mutating func hex4() throws(JinjaError) -> UInt32 {
        guard pos + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[pos ..< pos + 4], as: UTF8.self), radix: 16) else {
            throw fail("bad \\u escape")
        }
        pos += 4
        return v
    }
}
