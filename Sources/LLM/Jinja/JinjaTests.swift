// MARK: - Tests (`value is name(args)`)

extension JinjaInterpreter {
    /// Jinja2's built-in tests.
    func applyTest(_ name: String, _ value: JinjaValue, _ args: [JinjaValue]) throws(JinjaError) -> Bool {
        func arg() throws(JinjaError) -> JinjaValue {
            guard let a = args.first else { throw .runtime("test '\(name)' needs an argument") }
            return a
        }
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": return value.isNone
        case "boolean": if case .bool = value { return true } else { return false }
        case "true": if case .bool(true) = value { return true } else { return false }
        case "false": if case .bool(false) = value { return true } else { return false }
        case "integer": if case .int = value { return true } else { return false }
        case "float": if case .float = value { return true } else { return false }
        case "number": return value.number != nil
        case "string": return value.stringValue != nil
        case "mapping": if case .dict = value { return true } else { return false }
        case "iterable":
            switch value {
            case .list, .dict, .string, .undefined: return true
            default: return false
            }
        case "sequence":
            switch value {
            case .list, .dict, .string, .undefined: return true
            default: return false
            }
        case "callable": if case .function = value { return true } else { return false }
        case "sameas":
            let other = try arg()
            switch (value, other) {
            case (.none, .none), (.undefined, .undefined): return true
            case (.bool(let x), .bool(let y)): return x == y
            case (.int(let x), .int(let y)): return x == y
            case (.string(let x), .string(let y)): return x.utf8.elementsEqual(y.utf8)
            case (.namespace(let x), .namespace(let y)): return x === y
            default: return false
            }
        case "equalto", "eq", "==": return value.pythonEquals(try arg())
        case "ne", "!=": return !value.pythonEquals(try arg())
        case "lt", "lessthan", "<": return try value.pythonLess(try arg())
        case "gt", "greaterthan", ">": return try arg().pythonLess(value)
        case "le", "<=": return try !arg().pythonLess(value)
        case "ge", ">=": return try !value.pythonLess(try arg())
        case "in": return try contains(try arg(), value)
        case "odd", "even", "divisibleby":
            guard let i = value.integer else { throw .runtime("test '\(name)' needs an integer, got \(value.typeName)") }
            if name == "odd" { return i % 2 != 0 }
            if name == "even" { return i % 2 == 0 }
            guard let d = try arg().integer, d != 0 else { throw .runtime("divisibleby needs a non-zero integer") }
            return i % d == 0
        case "lower":
            let s = value.pythonString
            return s.lowercased() == s
        case "upper":
            let s = value.pythonString
            return s.uppercased() == s
        case "filter": return ["trim", "tojson", "join", "length"].contains(try arg().pythonString)
        case "test": return ["defined", "none", "string"].contains(try arg().pythonString)
        default:
            throw .runtime("no test named '\(name)'")
        }
    }
}
