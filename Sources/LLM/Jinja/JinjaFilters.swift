// MARK: - Filters

extension JinjaInterpreter {
    /// `value | name(args)`: Jinja2's built-in filters that chat templates use, with
    /// transformers' `tojson` (no HTML escaping, insertion order, `ensure_ascii=False`).
    func applyFilter(_ name: String, _ value: JinjaValue, _ args: [JinjaValue], _ kwargs: [(String, JinjaValue)]) throws(JinjaError) -> JinjaValue {
        let a = JinjaArguments(args, kwargs, function: name)
        func str(_ v: JinjaValue) -> String { v.pythonString }
        switch name {
        case "safe", "escaped":
            return value
        case "string":
            return .string(str(value))
        case "trim":
            var set: Set<Unicode.Scalar>?
            if let c = a[0, "chars"], case .string(let cs) = c { set = Set(cs.unicodeScalars) }
            return .string(PyText.strip(str(value), set, leading: true, trailing: true))
        case "upper":
            return .string(str(value).uppercased())
        case "lower":
            return .string(str(value).lowercased())
        case "capitalize":
            return .string(PyText.capitalize(str(value)))
        case "title":
            return .string(Self.jinjaTitle(str(value)))
        case "length", "count":
            return .int(try value.length())
        case "default", "d":
            let fallback = a[0, "default_value"] ?? .string("")
            let boolean = a[1, "boolean"]?.truthy ?? false
            if value.isUndefined || (boolean && !value.truthy) { return fallback }
            return value
        case "first":
            if case .undefined(let hint) = value { throw .runtime(hint) }
            return try value.iterate().first ?? .undefined(hint: "first() of an empty sequence")
        case "last":
            if case .undefined(let hint) = value { throw .runtime(hint) }
            return try value.iterate().last ?? .undefined(hint: "last() of an empty sequence")
        case "list":
            return .list(try value.iterate())
        case "reverse":
            if case .string(let s) = value { return .string(String(String.UnicodeScalarView(s.unicodeScalars.reversed()))) }
            return .list(try value.iterate().reversed())
        case "items":
            switch value {
            case .dict(let d): return .list(d.entries.map { .list([$0.key.value, $0.value]) })
            case .undefined: return .list([])
            default: throw .runtime("items filter: expected a mapping, got \(value.typeName)")
            }
        case "dictsort":
            guard case .dict(let d) = value else { throw .runtime("dictsort filter: expected a mapping, got \(value.typeName)") }
            let caseSensitive = a[0, "case_sensitive"]?.truthy ?? false
            let byValue = a[1, "by"]?.stringValue == "value"
            let reverse = a[2, "reverse"]?.truthy ?? false
            let pairs = d.entries.map { JinjaValue.list([$0.key.value, $0.value]) }
            return .list(try sorted(pairs, reverse: reverse) { v throws(JinjaError) in
                guard case .list(let kv) = v else { return v }
                return Self.sortKey(kv[byValue ? 1 : 0], caseSensitive: caseSensitive)
            })
        case "join":
            let sep = a[0, "d"].map(str) ?? ""
            let attr = a[1, "attribute"]
            var out = ""
            for (i, v) in try value.iterate().enumerated() {
                if i > 0 { out += sep }
                out += str(try lookupPath(v, attr))
                try checkSize(out.utf8.count)
            }
            return .string(out)
        case "replace":
            guard let old = a[0, "old"], let new = a[1, "new"] else { throw .runtime("replace filter needs old and new") }
            let r = PyText.replace(str(value), str(old), str(new), count: a[2, "count"]?.integer ?? -1)
            try checkSize(r.utf8.count)
            return .string(r)
        case "tojson":
            // transformers' signature: tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)
            var indent: String?
            if let i = a[1, "indent"] {
                switch i {
                case .int(let n): indent = String(repeating: " ", count: max(0, min(n, 64)))
                case .string(let s): indent = s
                default: break
                }
            }
            var separators: (String, String)?
            if let s = a[2, "separators"], case .list(let l) = s, l.count == 2 { separators = (str(l[0]), str(l[1])) }
            let text = try value.toJSON(ensureASCII: a[0, "ensure_ascii"]?.truthy ?? false, indent: indent,
                                        separators: separators, sortKeys: a[3, "sort_keys"]?.truthy ?? false)
            try checkSize(text.utf8.count)
            return .string(text)
        case "int":
            let fallback = a[0, "default"] ?? .int(0)
            switch value {
            case .int: return value
            case .bool(let b): return .int(b ? 1 : 0)
            case .float(let d): return d.isFinite && abs(d) < 9e18 ? .int(Int(d)) : fallback
            case .string(let s):
                let t = PyText.strip(s, nil, leading: true, trailing: true).replacingOccurrences(of: "_", with: "")
                let base = a[1, "base"]?.integer ?? 10
                guard (2 ... 36).contains(base) else { throw .runtime("int filter: base must be between 2 and 36") }
                if let i = Int(t, radix: base) { return .int(i) }
                if let d = Double(t), d.isFinite, abs(d) < 9e18 { return .int(Int(d)) }
                return fallback
            default: return fallback
            }
        case "float":
            let fallback = a[0, "default"] ?? .float(0)
            switch value {
            case .float: return value
            case .int, .bool: return .float(value.number!)
            case .string(let s): return Double(PyText.strip(s, nil, leading: true, trailing: true)).map { .float($0) } ?? fallback
            default: return fallback
            }
        case "abs":
            switch value {
            case .int(let i): return .int(i == .min ? i : abs(i))
            case .bool(let b): return .int(b ? 1 : 0)
            case .float(let d): return .float(abs(d))
            default: throw .runtime("bad operand type for abs(): '\(value.typeName)'")
            }
        case "round":
            guard let x = value.number else { throw .runtime("round filter: expected a number") }
            let precision = a[0, "precision"]?.integer ?? 0
            let method = a[1, "method"]?.stringValue ?? "common"
            let scale = pow(10.0, Double(precision))
            let rule: FloatingPointRoundingRule = method == "ceil" ? .up : method == "floor" ? .down : .toNearestOrAwayFromZero
            return .float((x * scale).rounded(rule) / scale)
        case "attr":
            return try attribute(of: value, str(try a.required(0, "name")))
        case "map":
            let items = try value.iterate()
            if let attr = a[-1, "attribute"] {
                let fallback = a[-1, "default"]
                return .list(try items.map { v throws(JinjaError) in
                    let r = try lookupPath(v, attr)
                    return r.isUndefined ? (fallback ?? r) : r
                })
            }
            guard case .string(let filterName)? = args.first else { throw .runtime("map filter needs a filter name or attribute=") }
            let rest = Array(args.dropFirst())
            return .list(try items.map { v throws(JinjaError) in try applyFilter(filterName, v, rest, kwargs) })
        case "select", "reject", "selectattr", "rejectattr":
            let byAttr = name.hasSuffix("attr")
            let keep = name.hasPrefix("select")
            var rest = args
            var attr: JinjaValue?
            if byAttr {
                guard !rest.isEmpty else { throw .runtime("\(name) filter needs an attribute name") }
                attr = rest.removeFirst()
            }
            var out: [JinjaValue] = []
            for v in try value.iterate() {
                try charge()
                let subject = try lookupPath(v, attr)
                let passed: Bool
                if let testName = rest.first {
                    passed = try applyTest(str(testName), subject, Array(rest.dropFirst()))
                } else {
                    passed = subject.truthy
                }
                if passed == keep { out.append(v) }
            }
            return .list(out)
        case "unique":
            let caseSensitive = a[0, "case_sensitive"]?.truthy ?? false
            let attr = a[1, "attribute"]
            var seen: [JinjaValue] = []
            var out: [JinjaValue] = []
            for v in try value.iterate() {
                try charge(seen.count + 1)
                let key = Self.sortKey(try lookupPath(v, attr), caseSensitive: caseSensitive)
                if !seen.contains(where: { $0.pythonEquals(key) }) { seen.append(key); out.append(v) }
            }
            return .list(out)
        case "sort":
            let reverse = a[0, "reverse"]?.truthy ?? false
            let caseSensitive = a[1, "case_sensitive"]?.truthy ?? false
            let attr = a[2, "attribute"]
            return .list(try sorted(try value.iterate(), reverse: reverse) { v throws(JinjaError) in
                Self.sortKey(try lookupPath(v, attr), caseSensitive: caseSensitive)
            })
        case "min", "max":
            let caseSensitive = a[0, "case_sensitive"]?.truthy ?? false
            let attr = a[1, "attribute"]
            let s = try sorted(try value.iterate(), reverse: false) { v throws(JinjaError) in
                Self.sortKey(try lookupPath(v, attr), caseSensitive: caseSensitive)
            }
            return (name == "min" ? s.first : s.last) ?? .undefined(hint: "\(name)() of an empty sequence")
        case "sum":
            let attr = a[0, "attribute"]
            var total = a[1, "start"] ?? .int(0)
            for v in try value.iterate() { total = try binary("+", total, try lookupPath(v, attr)) }
            return total
        case "indent":
            let width: String
            switch a[0, "width"] {
            case .string(let s)?: width = s
            case let v?: width = String(repeating: " ", count: max(0, min(v.integer ?? 4, 256)))
            case nil: width = "    "
            }
            let first = a[1, "first"]?.truthy ?? false
            let blank = a[2, "blank"]?.truthy ?? false
            let lines = str(value).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            var out: [String] = []
            for (i, l) in lines.enumerated() {
                if i == 0 && !first { out.append(l); continue }
                out.append(blank || !l.isEmpty ? width + l : l)
            }
            let r = out.joined(separator: "\n")
            try checkSize(r.utf8.count)
            return .string(r)
        case "wordcount":
            return .int(PyText.splitWhitespace(str(value), maxsplit: -1, fromRight: false).count)
        case "escape", "e", "forceescape":
            var out = ""
            for ch in str(value).unicodeScalars {
                switch ch {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\"": out += "&#34;"
                case "'": out += "&#39;"
                default: out.unicodeScalars.append(ch)
                }
            }
            return .string(out)
        case "pprint":
            return .string(value.pythonRepr)
        default:
            throw .runtime("no filter named '\(name)'")
        }
    }

    /// `a.b.0` as Jinja2's attribute getter reads it: item first, then attribute.
    func lookupPath(_ v: JinjaValue, _ path: JinjaValue?) throws(JinjaError) -> JinjaValue {
        guard let path else { return v }
        guard case .string(let p) = path else { return try item(of: v, path) }
        var cur = v
        for part in p.split(separator: ".", omittingEmptySubsequences: false) {
            let key: JinjaValue = Int(part).map { .int($0) } ?? .string(String(part))
            if cur.isUndefined { return cur }
            cur = try item(of: cur, key)
        }
        return cur
    }

    /// A stable sort by `key`, reversed on request; keys that do not compare are an error.
    func sorted(_ items: [JinjaValue], reverse: Bool, key: (JinjaValue) throws(JinjaError) -> JinjaValue) throws(JinjaError) -> [JinjaValue] {
        try charge(items.count)
        var keyed: [(JinjaValue, JinjaValue, Int)] = []
        for (i, v) in items.enumerated() { keyed.append((try key(v), v, i)) }
        var failure: JinjaError?
        keyed.sort { x, y in
            do {
                if try x.0.pythonLess(y.0) { return !reverse }
                if try y.0.pythonLess(x.0) { return reverse }
            } catch let e as JinjaError { failure = e } catch {}
            return x.2 < y.2
        }
        if let failure { throw failure }
        return keyed.map(\.1)
    }

    /// Jinja2 compares strings case-insensitively unless asked not to.
    static func sortKey(_ v: JinjaValue, caseSensitive: Bool) -> JinjaValue {
        if !caseSensitive, case .string(let s) = v { return .string(s.lowercased()) }
        return v
    }

    /// Jinja2's `title` filter: words start after spaces, `-`, and opening brackets.
    static func jinjaTitle(_ s: String) -> String {
        var out = ""
        var atStart = true
        for u in s.unicodeScalars {
            let boundary = PyText.isSpace(u) || "-({[<".unicodeScalars.contains(u)
            if boundary {
                out.unicodeScalars.append(u)
                atStart = true
            } else {
                out += atStart ? String(u).uppercased() : String(u).lowercased()
                atStart = false
            }
        }
        return out
    }
}

import Foundation
