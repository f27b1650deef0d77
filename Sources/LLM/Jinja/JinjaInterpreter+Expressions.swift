// MARK: - Expressions

extension JinjaInterpreter {
    func evaluate(_ e: JinjaExpr) throws(JinjaError) -> JinjaValue {
        try charge()
        try enter()
        defer { leave() }
        switch e {
        case .literal(let v):
            return v
        case .name(let n):
            return lookup(n)
        case .list(let items), .tuple(let items):
            var out: [JinjaValue] = []
            out.reserveCapacity(items.count)
            for i in items { out.append(try evaluate(i)) }
            let list = JinjaValue.list(out)
            try checkNesting(list)
            return list
        case .dict(let pairs):
            var d = JinjaDict()
            for (k, v) in pairs {
                let key = try evaluate(k)
                guard let jk = JinjaKey(key) else { throw .runtime("unhashable type: '\(key.typeName)'") }
                d[jk] = try evaluate(v)
            }
            try checkNesting(.dict(d))
            return .dict(d)
        case .attribute(let base, let name):
            return try attribute(of: try evaluate(base), name)
        case .item(let base, let index):
            return try item(of: try evaluate(base), try evaluate(index))
        case .slice(let base, let start, let stop, let step):
            return try slice(try evaluate(base), try start.map(evaluate), try stop.map(evaluate), try step.map(evaluate))
        case .call(let callee, let args):
            let f = try evaluate(callee)
            let (pos, kw) = try evaluateArguments(args)
            guard case .function(let fn) = f else {
                if case .undefined(let hint) = f { throw .runtime(hint) }
                throw .runtime("'\(f.typeName)' object is not callable")
            }
            let result = try fn.call(pos, kw)
            switch result {
            case .list, .dict, .namespace: try checkNesting(result)
            default: break
            }
            return result
        case .filter(let base, let name, let args):
            let value = try evaluate(base)
            let (pos, kw) = try evaluateArguments(args)
            return try applyFilter(name, value, pos, kw)
        case .test(let base, let name, let args, let negated):
            // `x is defined` must not fail on an undefined x.
            let value = try evaluate(base)
            let (pos, _) = try evaluateArguments(args)
            let r = try applyTest(name, value, pos)
            return .bool(negated ? !r : r)
        case .unary(let op, let operand):
            let v = try evaluate(operand)
            switch op {
            case "not": return .bool(!v.truthy)
            case "-":
                switch v {
                case .int(let i): return .int(0 &- i)
                case .bool(let b): return .int(b ? -1 : 0)
                case .float(let d): return .float(-d)
                default: throw .runtime("bad operand type for unary -: '\(v.typeName)'")
                }
            default:
                guard v.number != nil else { throw .runtime("bad operand type for unary +: '\(v.typeName)'") }
                return v
            }
        case .logical(let op, let a, let b):
            let l = try evaluate(a)
            if op == "and" { return l.truthy ? try evaluate(b) : l }
            return l.truthy ? l : try evaluate(b)
        case .conditional(let value, let cond, let other):
            if try evaluate(cond).truthy { return try evaluate(value) }
            return try other.map(evaluate) ?? .undefined(hint: "the conditional expression had no else branch")
        case .binary(let op, let a, let b):
            return try binary(op, try evaluate(a), try evaluate(b))
        }
    }

    func evaluateArguments(_ args: [JinjaArgument]) throws(JinjaError) -> ([JinjaValue], [(String, JinjaValue)]) {
        var pos: [JinjaValue] = []
        var kw: [(String, JinjaValue)] = []
        for a in args {
            let v = try evaluate(a.value)
            if let n = a.name { kw.append((n, v)) } else { pos.append(v) }
        }
        return (pos, kw)
    }

    // MARK: - Attributes and items

    /// `value.name`: a method of strings, lists and dicts (`items`, `get`, `strip`...), else
    /// the dict's item; anything missing is undefined. Reading from undefined is an error.
    func attribute(of value: JinjaValue, _ name: String) throws(JinjaError) -> JinjaValue {
        if case .undefined(let hint) = value { throw .runtime(hint) }
        if let m = method(of: value, name) { return .function(m) }
        switch value {
        case .dict(let d):
            return d[name] ?? .undefined(hint: "'dict object' has no attribute '\(name)'")
        case .namespace(let ns):
            return ns.loopAttribute(name) ?? ns.attributes[name] ?? .undefined(hint: "'Namespace' object has no attribute '\(name)'")
        default:
            return .undefined(hint: "'\(value.typeName) object' has no attribute '\(name)'")
        }
    }

    /// `value[index]`: a dict item, a list or string element (negative counts from the end),
    /// else a method by name; anything missing is undefined.
    func item(of value: JinjaValue, _ index: JinjaValue) throws(JinjaError) -> JinjaValue {
        switch value {
        case .undefined(let hint):
            throw .runtime(hint)
        case .dict(let d):
            if let k = JinjaKey(index), let v = d[k] { return v }
        case .namespace(let ns):
            if case .string(let name) = index, let v = ns.loopAttribute(name) { return v }
            if let k = JinjaKey(index), let v = ns.attributes[k] { return v }
        case .list(let l):
            if let i = index.integer {
                let j = i < 0 ? i + l.count : i
                if j >= 0 && j < l.count { return l[j] }
            }
        case .string(let s):
            if let i = index.integer {
                let scalars = Array(s.unicodeScalars)
                let j = i < 0 ? i + scalars.count : i
                if j >= 0 && j < scalars.count { return .string(String(scalars[j])) }
            }
        default:
            break
        }
        if case .string(let name) = index, let m = method(of: value, name) { return .function(m) }
        return .undefined(hint: "'\(value.typeName) object' has no element \(index.pythonRepr)")
    }

    /// Python slicing of lists and strings.
    func slice(_ value: JinjaValue, _ start: JinjaValue?, _ stop: JinjaValue?, _ step: JinjaValue?) throws(JinjaError) -> JinjaValue {
        func bound(_ v: JinjaValue?) throws(JinjaError) -> Int? {
            guard let v, !v.isNone else { return nil }
            guard let i = v.integer else { throw .runtime("slice indices must be integers or None") }
            return i
        }
        let st = try bound(step) ?? 1
        guard st != 0 else { throw .runtime("slice step cannot be zero") }
        func indices(_ count: Int) throws(JinjaError) -> [Int] {
            func clamp(_ i: Int?, _ dflt: Int) -> Int {
                guard var i else { return dflt }
                if i < 0 { i += count }
                return st > 0 ? min(max(i, 0), count) : min(max(i, -1), count - 1)
            }
            let a = clamp(try bound(start), st > 0 ? 0 : count - 1)
            let b = clamp(try bound(stop), st > 0 ? count : -1)
            var out: [Int] = []
            var i = a
            while st > 0 ? i < b : i > b {
                out.append(i)
                let (next, overflow) = i.addingReportingOverflow(st)
                if overflow { break }
                i = next
            }
            try charge(out.count)
            return out
        }
        switch value {
        case .list(let l):
            return .list(try indices(l.count).map { l[$0] })
        case .string(let s):
            let scalars = Array(s.unicodeScalars)
            var out = String.UnicodeScalarView()
            for i in try indices(scalars.count) { out.append(scalars[i]) }
            return .string(String(out))
        case .undefined(let hint):
            throw .runtime(hint)
        default:
            throw .runtime("'\(value.typeName)' object is not subscriptable")
        }
    }

    // MARK: - Operators

    func binary(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws(JinjaError) -> JinjaValue {
        func typeError() -> JinjaError {
            if case .undefined(let hint) = a { return .runtime(hint) }
            if case .undefined(let hint) = b { return .runtime(hint) }
            return .runtime("unsupported operand type(s) for \(op): '\(a.typeName)' and '\(b.typeName)'")
        }
        switch op {
        case "==": return .bool(a.pythonEquals(b))
        case "!=": return .bool(!a.pythonEquals(b))
        case "<": return .bool(try a.pythonLess(b))
        case ">": return .bool(try b.pythonLess(a))
        case "<=": return .bool(try !b.pythonLess(a))
        case ">=": return .bool(try !a.pythonLess(b))
        case "in": return .bool(try contains(b, a))
        case "not in": return .bool(try !contains(b, a))
        case "~":
            let s = a.pythonString + b.pythonString
            try checkSize(s.utf8.count)
            return .string(s)
        case "+":
            switch (a, b) {
            case (.string(let x), .string(let y)):
                try checkSize(x.utf8.count + y.utf8.count)
                return .string(x + y)
            case (.list(let x), .list(let y)):
                try charge(x.count + y.count)
                return .list(x + y)
            default: break
            }
        case "*":
            if case .string(let s) = a, let n = b.integer { return .string(try repeated(s, n)) }
            if case .string(let s) = b, let n = a.integer { return .string(try repeated(s, n)) }
            if case .list(let l) = a, let n = b.integer {
                let (total, overflow) = l.count.multipliedReportingOverflow(by: max(0, n))
                if overflow || total > limits.maxSteps { throw .limitExceeded(.steps, limit: limits.maxSteps) }
                try charge(total)
                return .list(Array(repeating: l, count: max(0, n)).flatMap { $0 })
            }
        default: break
        }
        // Numbers.
        if let i = a.integer, let j = b.integer {
            switch op {
            case "+": let (r, o) = i.addingReportingOverflow(j); if !o { return .int(r) }
            case "-": let (r, o) = i.subtractingReportingOverflow(j); if !o { return .int(r) }
            case "*": let (r, o) = i.multipliedReportingOverflow(by: j); if !o { return .int(r) }
            case "/":
                guard j != 0 else { throw .runtime("division by zero") }
                return .float(Double(i) / Double(j))
            case "//":
                guard j != 0 else { throw .runtime("integer division or modulo by zero") }
                if j == -1 { let (r, o) = (0).subtractingReportingOverflow(i); if !o { return .int(r) }; break }
                let q = i / j
                return .int((i % j != 0 && (i < 0) != (j < 0)) ? q - 1 : q)
            case "%":
                guard j != 0 else { throw .runtime("integer division or modulo by zero") }
                if j == -1 { return .int(0) }
                let r = i % j
                return .int(r != 0 && (r < 0) != (j < 0) ? r + j : r)
            case "**":
                if j >= 0 {
                    var r = 1, base = i, e = j, overflow = false
                    while e > 0 && !overflow {
                        if e & 1 == 1 { let m = r.multipliedReportingOverflow(by: base); r = m.0; overflow = m.1 }
                        e >>= 1
                        if e > 0 { let m = base.multipliedReportingOverflow(by: base); base = m.0; overflow = overflow || m.1 }
                    }
                    if !overflow { return .int(r) }
                }
                return .float(pow(Double(i), Double(j)))
            default: break
            }
            throw .runtime("integer overflow in \(op)")
        }
        if let x = a.number, let y = b.number {
            switch op {
            case "+": return .float(x + y)
            case "-": return .float(x - y)
            case "*": return .float(x * y)
            case "/":
                guard y != 0 else { throw .runtime("float division by zero") }
                return .float(x / y)
            case "//":
                guard y != 0 else { throw .runtime("float divmod()") }
                return .float((x / y).rounded(.down))
            case "%":
                guard y != 0 else { throw .runtime("float modulo") }
                let r = x.truncatingRemainder(dividingBy: y)
                return .float(r != 0 && (r < 0) != (y < 0) ? r + y : r)
            case "**": return .float(pow(x, y))
            default: break
            }
        }
        throw typeError()
    }

    private func repeated(_ s: String, _ n: Int) throws(JinjaError) -> String {
        guard n > 0 else { return "" }
        let (total, overflow) = s.utf8.count.multipliedReportingOverflow(by: n)
        if overflow { throw .limitExceeded(.outputSize, limit: limits.maxOutputBytes) }
        try checkSize(total)
        return String(repeating: s, count: n)
    }

    /// Python's `needle in haystack`.
    func contains(_ haystack: JinjaValue, _ needle: JinjaValue) throws(JinjaError) -> Bool {
        switch haystack {
        case .string(let s):
            guard case .string(let n) = needle else {
                throw .runtime("'in <string>' requires string as left operand, not \(needle.typeName)")
            }
            return n.isEmpty || s.utf8.firstRange(of: n.utf8) != nil
        case .list(let l):
            return l.contains { $0.pythonEquals(needle) }
        case .dict(let d):
            return JinjaKey(needle).map { d[$0] != nil } ?? false
        case .namespace(let ns):
            return JinjaKey(needle).map { ns.attributes[$0] != nil } ?? false
        case .undefined:
            return false
        default:
            throw .runtime("argument of type '\(haystack.typeName)' is not iterable")
        }
    }
}

import Foundation
