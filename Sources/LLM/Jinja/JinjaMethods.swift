// MARK: - Methods of strings, lists and dicts

extension JinjaInterpreter {
    /// A bound method `value.name(...)` as Python has it, for the read-only methods chat
    /// templates call; nil when the type has no such method (then `value.name` is an item).
    func method(of value: JinjaValue, _ name: String) -> JinjaFunction? {
        switch value {
        case .string(let s): stringMethod(s, name)
        case .dict(let d): dictMethod(d, name)
        case .list(let l): listMethod(l, name)
        default: nil
        }
    }

    private func dictMethod(_ d: JinjaDict, _ name: String) -> JinjaFunction? {
        switch name {
        case "items":
            return JinjaFunction(name: "items") { _, _ throws(JinjaError) in .list(d.entries.map { .list([$0.key.value, $0.value]) }) }
        case "keys":
            return JinjaFunction(name: "keys") { _, _ throws(JinjaError) in .list(d.keys.map(\.value)) }
        case "values":
            return JinjaFunction(name: "values") { _, _ throws(JinjaError) in .list(d.entries.map(\.value)) }
        case "get":
            return JinjaFunction(name: "get") { args, kwargs throws(JinjaError) in
                let a = JinjaArguments(args, kwargs, function: "get")
                let key = try a.required(0, "key")
                let fallback = a[1, "default"] ?? .none
                guard let k = JinjaKey(key) else { return fallback }
                return d[k] ?? fallback
            }
        default:
            return nil
        }
    }

    private func listMethod(_ l: [JinjaValue], _ name: String) -> JinjaFunction? {
        switch name {
        case "index":
            return JinjaFunction(name: "index") { args, kwargs throws(JinjaError) in
                let x = try JinjaArguments(args, kwargs, function: "index").required(0, "value")
                guard let i = l.firstIndex(where: { $0.pythonEquals(x) }) else { throw .runtime("\(x.pythonRepr) is not in list") }
                return .int(i)
            }
        case "count":
            return JinjaFunction(name: "count") { args, kwargs throws(JinjaError) in
                let x = try JinjaArguments(args, kwargs, function: "count").required(0, "value")
                return .int(l.filter { $0.pythonEquals(x) }.count)
            }
        default:
            return nil
        }
    }

    private func stringMethod(_ s: String, _ name: String) -> JinjaFunction? {
        func chars(_ a: JinjaArguments) throws(JinjaError) -> Set<Unicode.Scalar>? {
            guard let c = a[0, "chars"], !c.isNone else { return nil }
            guard case .string(let cs) = c else { throw .runtime("\(name) arg must be None or str") }
            return Set(cs.unicodeScalars)
        }
        switch name {
        case "strip", "lstrip", "rstrip":
            return JinjaFunction(name: name) { args, kwargs throws(JinjaError) in
                let set = try chars(JinjaArguments(args, kwargs, function: name))
                return .string(PyText.strip(s, set, leading: name != "rstrip", trailing: name != "lstrip"))
            }
        case "upper":
            return JinjaFunction(name: name) { _, _ throws(JinjaError) in .string(s.uppercased()) }
        case "lower":
            return JinjaFunction(name: name) { _, _ throws(JinjaError) in .string(s.lowercased()) }
        case "title":
            return JinjaFunction(name: name) { _, _ throws(JinjaError) in .string(PyText.title(s)) }
        case "capitalize":
            return JinjaFunction(name: name) { _, _ throws(JinjaError) in .string(PyText.capitalize(s)) }
        case "startswith", "endswith":
            return JinjaFunction(name: name) { args, kwargs throws(JinjaError) in
                let p = try JinjaArguments(args, kwargs, function: name).required(0, "prefix")
                let options: [JinjaValue]
                if case .list(let l) = p { options = l } else { options = [p] }
                for o in options {
                    guard case .string(let t) = o else { throw .runtime("\(name) first arg must be str or a tuple of str") }
                    if name == "startswith" ? s.utf8.starts(with: t.utf8) : s.utf8.reversed().starts(with: t.utf8.reversed()) {
                        return .bool(true)
                    }
                }
                return .bool(false)
            }
        case "split", "rsplit":
            return JinjaFunction(name: name) { [unowned self] args, kwargs throws(JinjaError) in
                let a = JinjaArguments(args, kwargs, function: name)
                let sep = a[0, "sep"]
                let maxsplit = a[1, "maxsplit"]?.integer ?? -1
                let parts: [String]
                if let sep, case .string(let t) = sep {
                    guard !t.isEmpty else { throw .runtime("empty separator") }
                    parts = PyText.split(s, t, maxsplit: maxsplit, fromRight: name == "rsplit")
                } else {
                    parts = PyText.splitWhitespace(s, maxsplit: maxsplit, fromRight: name == "rsplit")
                }
                try charge(parts.count)
                return .list(parts.map { .string($0) })
            }
        case "replace":
            return JinjaFunction(name: name) { [unowned self] args, kwargs throws(JinjaError) in
                let a = JinjaArguments(args, kwargs, function: name)
                guard case .string(let old) = try a.required(0, "old"), case .string(let new) = try a.required(1, "new") else {
                    throw .runtime("replace() arguments must be str")
                }
                let r = PyText.replace(s, old, new, count: a[2, "count"]?.integer ?? -1)
                try checkSize(r.utf8.count)
                return .string(r)
            }
        case "find", "rfind", "count":
            return JinjaFunction(name: name) { args, kwargs throws(JinjaError) in
                guard case .string(let t) = try JinjaArguments(args, kwargs, function: name).required(0, "sub") else {
                    throw .runtime("\(name)() argument must be str")
                }
                let hay = Array(s.unicodeScalars), needle = Array(t.unicodeScalars)
                var hits: [Int] = []
                var i = 0
                while i + needle.count <= hay.count {
                    if hay[i ..< i + needle.count].elementsEqual(needle) {
                        hits.append(i)
                        if name == "find" { break }
                        i += max(needle.count, 1)
                    } else { i += 1 }
                }
                if name == "count" { return .int(hits.count) }
                return .int((name == "find" ? hits.first : hits.last) ?? -1)
            }
        case "join":
            return JinjaFunction(name: name) { [unowned self] args, kwargs throws(JinjaError) in
                let items = try JinjaArguments(args, kwargs, function: name).required(0, "iterable").iterate()
                var out = ""
                for (i, v) in items.enumerated() {
                    guard case .string(let t) = v else { throw .runtime("sequence item \(i): expected str instance, \(v.typeName) found") }
                    if i > 0 { out += s }
                    out += t
                    try checkSize(out.utf8.count)
                }
                return .string(out)
            }
        case "isdigit", "isalpha", "isspace", "isupper", "islower", "isalnum":
            return JinjaFunction(name: name) { _, _ throws(JinjaError) in
                let u = s.unicodeScalars
                guard !u.isEmpty else { return .bool(false) }
                switch name {
                case "isdigit": return .bool(u.allSatisfy { $0.properties.numericType == .decimal || $0.properties.numericType == .digit })
                case "isalpha": return .bool(u.allSatisfy { $0.properties.isAlphabetic })
                case "isalnum": return .bool(u.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil })
                case "isspace": return .bool(u.allSatisfy(PyText.isSpace))
                case "isupper": return .bool(s.uppercased() == s && s.lowercased() != s)
                default: return .bool(s.lowercased() == s && s.uppercased() != s)
                }
            }
        default:
            return nil
        }
    }
}

// MARK: - Arguments

/// Positional and keyword arguments of a call, looked up by position or name.
struct JinjaArguments {
    let positional: [JinjaValue]
    let keyword: [(String, JinjaValue)]
    let function: String

    init(_ p: [JinjaValue], _ k: [(String, JinjaValue)], function: String) {
        positional = p; keyword = k; self.function = function
    }

    subscript(index: Int, name: String) -> JinjaValue? {
        if index >= 0, index < positional.count { return positional[index] }
        return keyword.first { $0.0 == name }?.1
    }

    func required(_ index: Int, _ name: String) throws(JinjaError) -> JinjaValue {
        guard let v = self[index, name] else { throw .runtime("\(function)() missing required argument '\(name)'") }
        return v
    }
}

// MARK: - Python string operations

/// Python's `str` operations on code points (Swift's `Character` would join `"\r\n"`).
enum PyText {
    /// `str.isspace()` for one code point.
    static func isSpace(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x09 ... 0x0D, 0x1C ... 0x20, 0x85, 0xA0, 0x1680, 0x2000 ... 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }

    static func strip(_ s: String, _ set: Set<Unicode.Scalar>?, leading: Bool, trailing: Bool) -> String {
        let u = Array(s.unicodeScalars)
        func drop(_ c: Unicode.Scalar) -> Bool { set.map { $0.contains(c) } ?? isSpace(c) }
        var a = 0, b = u.count
        if leading { while a < b, drop(u[a]) { a += 1 } }
        if trailing { while b > a, drop(u[b - 1]) { b -= 1 } }
        if a == 0 && b == u.count { return s }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: u[a ..< b])
        return String(out)
    }

    static func split(_ s: String, _ sep: String, maxsplit: Int, fromRight: Bool) -> [String] {
        let hay = Array(s.utf8), needle = Array(sep.utf8)
        var cuts: [Range<Int>] = []
        if fromRight {
            var i = hay.count - needle.count
            while i >= 0, maxsplit < 0 || cuts.count < maxsplit {
                if hay[i ..< i + needle.count].elementsEqual(needle) { cuts.insert(i ..< i + needle.count, at: 0); i -= needle.count } else { i -= 1 }
            }
        } else {
            var i = 0
            while i + needle.count <= hay.count, maxsplit < 0 || cuts.count < maxsplit {
                if hay[i ..< i + needle.count].elementsEqual(needle) { cuts.append(i ..< i + needle.count); i += needle.count } else { i += 1 }
            }
        }
        var out: [String] = []
        var start = 0
        for c in cuts {
            out.append(String(decoding: hay[start ..< c.lowerBound], as: UTF8.self))
            start = c.upperBound
        }
        out.append(String(decoding: hay[start...], as: UTF8.self))
        return out
    }

    static func splitWhitespace(_ s: String, maxsplit: Int, fromRight: Bool) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        let scalars = fromRight ? Array(s.unicodeScalars.reversed()) : Array(s.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if isSpace(c) {
                if !current.isEmpty {
                    words.append(String(current)); current = String.UnicodeScalarView()
                    if maxsplit >= 0, words.count == maxsplit {
                        while i < scalars.count, isSpace(scalars[i]) { i += 1 }
                        if i < scalars.count { current.append(contentsOf: scalars[i...]) }
                        break
                    }
                }
            } else {
                current.append(c)
            }
            i += 1
        }
        if !current.isEmpty { words.append(String(current)) }
        if fromRight {
            return words.reversed().map { String(String.UnicodeScalarView($0.unicodeScalars.reversed())) }
        }
        return words
    }

    static func replace(_ s: String, _ old: String, _ new: String, count: Int) -> String {
        if old.isEmpty {
            // Python inserts `new` around every code point.
            var out = new, n = 1
            for u in s.unicodeScalars {
                out.unicodeScalars.append(u)
                if count < 0 || n < count { out += new; n += 1 }
            }
            return out
        }
        let parts = split(s, old, maxsplit: count, fromRight: false)
        return parts.joined(separator: new)
    }

    static func capitalize(_ s: String) -> String {
        guard let first = s.unicodeScalars.first else { return s }
        return String(first).uppercased() + String(s.unicodeScalars.dropFirst()).lowercased()
    }

    /// Python's `str.title()`: upper-case a letter after a non-letter, lower-case the rest.
    static func title(_ s: String) -> String {
        var out = ""
        var previousCased = false
        for u in s.unicodeScalars {
            let cased = u.properties.isCased
            out += previousCased ? String(u).lowercased() : String(u).uppercased()
            previousCased = cased
        }
        return out
    }
}
