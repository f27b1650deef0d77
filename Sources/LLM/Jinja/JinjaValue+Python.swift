// MARK: - Python's str(), repr(), ==, <

extension JinjaValue {
    /// Python's `str()`: what `{{ value }}` prints (undefined prints nothing).
    public var pythonString: String {
        switch self {
        case .undefined: ""
        case .string(let s): s
        default: pythonRepr
        }
    }

    /// Python's `repr()`: strings quoted, `None`, `True`, lists and dicts as Python prints them.
    public var pythonRepr: String {
        switch self {
        case .undefined: ""
        case .none: "None"
        case .bool(let b): b ? "True" : "False"
        case .int(let i): String(i)
        case .float(let d): Self.pythonFloat(d)
        case .string(let s): Self.pythonQuote(s)
        case .list(let l): "[" + l.map(\.pythonRepr).joined(separator: ", ") + "]"
        case .dict(let d): "{" + d.entries.map { $0.key.value.pythonRepr + ": " + $0.value.pythonRepr }.joined(separator: ", ") + "}"
        case .namespace(let n): "Namespace(" + n.attributes.entries.map { "\($0.key.value.pythonString)=\($0.value.pythonRepr)" }.joined(separator: ", ") + ")"
        case .function(let f): "<function \(f.name)>"
        }
    }

    /// Python's `repr(float)`: shortest round-trip digits, `1e+16`, `1e-05`, `inf`, `nan`.
    static func pythonFloat(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        var s = "\(d)"   // Swift prints the shortest round-trip form, as Python does
        if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            // Swift: 1e-05 / 1e+16 already match; make sure of the sign and two exponent digits.
            var mantissa = String(s[..<e])
            var exp = String(s[s.index(after: e)...])
            if mantissa.hasSuffix(".0") { mantissa.removeLast(2) }
            var sign = "+"
            if exp.hasPrefix("-") { sign = "-"; exp.removeFirst() } else if exp.hasPrefix("+") { exp.removeFirst() }
            if exp.count < 2 { exp = "0" + exp }
            s = mantissa + "e" + sign + exp
        }
        return s
    }

    /// Python's string repr: single quotes unless the text has one and no double quote.
    static func pythonQuote(_ s: String) -> String {
        let useDouble = s.contains("'") && !s.contains("\"")
        let q: Character = useDouble ? "\"" : "'"
        var out = String(q)
        for u in s.unicodeScalars {
            switch u {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where Character(u) == q: out += "\\" + String(q)
            case _ where u.value < 0x20 || u.value == 0x7F:
                out += "\\x" + (u.value < 16 ? "0" : "") + String(u.value, radix: 16)
            default: out.unicodeScalars.append(u)
            }
        }
        out.append(q)
        return out
    }

    /// Python's `==`: numbers across int/float/bool, strings by code points, lists and dicts
    /// element-wise; undefined equals only undefined.
    public func pythonEquals(_ other: JinjaValue) -> Bool {
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let a), .string(let b)): return a.utf8.elementsEqual(b.utf8)
        case (.list(let a), .list(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.pythonEquals($1) }
        case (.dict(let a), .dict(let b)):
            guard a.count == b.count else { return false }
            for (k, v) in a.entries {
                guard let w = b[k], v.pythonEquals(w) else { return false }
            }
            return true
        case (.namespace(let a), .namespace(let b)): return a === b
        default:
            if let x = number, let y = other.number {
                if let i = integer, let j = other.integer { return i == j }
                return x == y
            }
            return false
        }
    }

    /// Python's ordering (`<`): numbers, strings by code points, lists lexicographically.
    /// Other pairs are a TypeError.
    func pythonLess(_ other: JinjaValue) throws(JinjaError) -> Bool {
        switch (self, other) {
        case (.string(let a), .string(let b)):
            return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
        case (.list(let a), .list(let b)):
            for (x, y) in zip(a, b) where !x.pythonEquals(y) { return try x.pythonLess(y) }
            return a.count < b.count
        default:
            if let i = integer, let j = other.integer { return i < j }
            if let x = number, let y = other.number { return x < y }
            throw .runtime("'<' not supported between instances of '\(typeName)' and '\(other.typeName)'")
        }
    }

    /// The items of an iterable value: list elements, dict keys, string characters (code
    /// points); undefined iterates as empty. Other values are not iterable.
    func iterate() throws(JinjaError) -> [JinjaValue] {
        switch self {
        case .list(let l): return l
        case .dict(let d): return d.keys.map(\.value)
        case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
        case .undefined: return []
        case .namespace(let n): return n.attributes.keys.map(\.value)
        default: throw .runtime("'\(typeName)' object is not iterable")
        }
    }

    /// Python's `len()`; undefined has length 0.
    func length() throws(JinjaError) -> Int {
        switch self {
        case .list(let l): return l.count
        case .dict(let d): return d.count
        case .string(let s): return s.unicodeScalars.count
        case .undefined: return 0
        default: throw .runtime("object of type '\(typeName)' has no len()")
        }
    }
}
