// MARK: - Values

/// A value inside a Jinja template, with Python's semantics where chat templates depend on
/// them: `str()` of values, truthiness, `1 == 1.0 == True`, dictionaries in insertion order.
public indirect enum JinjaValue: Sendable {
    /// A missing variable, key or attribute (Jinja2's lenient `Undefined`): prints as `""`, is
    /// false, iterates as empty; reading an attribute of it is an error naming `hint`.
    case undefined(hint: String)
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case list([JinjaValue])
    case dict(JinjaDict)
    /// `namespace(...)`: the one mutable object templates get (`{% set ns.x = ... %}`).
    case namespace(JinjaNamespace)
    /// A macro, a global function or a bound method.
    case function(JinjaFunction)

    /// An undefined value for a missing name.
    static func missing(_ name: String) -> JinjaValue { .undefined(hint: "'\(name)' is undefined") }

    public var isUndefined: Bool { if case .undefined = self { true } else { false } }
    public var isNone: Bool { if case .none = self { true } else { false } }

    /// Python truthiness.
    public var truthy: Bool {
        switch self {
        case .undefined, .none: false
        case .bool(let b): b
        case .int(let i): i != 0
        case .float(let d): d != 0
        case .string(let s): !s.isEmpty
        case .list(let l): !l.isEmpty
        case .dict(let d): d.count > 0
        case .namespace, .function: true
        }
    }

    /// Python's type name, for error messages.
    var typeName: String {
        switch self {
        case .undefined: "Undefined"
        case .none: "NoneType"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .string: "str"
        case .list: "list"
        case .dict: "dict"
        case .namespace: "Namespace"
        case .function: "function"
        }
    }

    /// The number for arithmetic and comparisons (bool counts as int, as in Python).
    var number: Double? {
        switch self {
        case .bool(let b): b ? 1 : 0
        case .int(let i): Double(i)
        case .float(let d): d
        default: nil
        }
    }

    /// The integer when the value is an int or bool.
    var integer: Int? {
        switch self {
        case .bool(let b): b ? 1 : 0
        case .int(let i): i
        default: nil
        }
    }

    /// The text of a string value (nil for other values).
    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
}

// MARK: - Dictionaries

/// A key of a Jinja dictionary: what JSON and templates use as keys. Strings compare by
/// code points (Python), not by Swift's canonical equivalence.
public enum JinjaKey: Hashable, Sendable {
    case string(PyString)
    case int(Int)
    case bool(Bool)
    case none

    init?(_ v: JinjaValue) {
        switch v {
        case .string(let s): self = .string(PyString(s))
        case .int(let i): self = .int(i)
        case .bool(let b): self = .bool(b)
        case .float(let d) where d == d.rounded() && abs(d) < 1e18: self = .int(Int(d))
        case .none: self = .none
        default: return nil
        }
    }

    public var value: JinjaValue {
        switch self {
        case .string(let s): .string(s.string)
        case .int(let i): .int(i)
        case .bool(let b): .bool(b)
        case .none: .none
        }
    }
}

/// A string compared and hashed by its UTF-8 bytes, as Python compares `str`.
public struct PyString: Hashable, Sendable {
    public let string: String
    public init(_ s: String) { string = s }
    public static func == (a: PyString, b: PyString) -> Bool { a.string.utf8.elementsEqual(b.string.utf8) }
    public func hash(into h: inout Hasher) { for b in string.utf8 { h.combine(b) } }
}

/// An insertion-ordered dictionary (Python's `dict`).
public struct JinjaDict: Sendable {
    public private(set) var keys: [JinjaKey] = []
    private var storage: [JinjaKey: JinjaValue] = [:]

    public init() {}
    public init(_ pairs: [(String, JinjaValue)]) {
        for (k, v) in pairs { self[k] = v }
    }

    public var count: Int { keys.count }

    public subscript(key: JinjaKey) -> JinjaValue? {
        get { storage[key] }
        set {
            if let v = newValue {
                if storage.updateValue(v, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    public subscript(key: String) -> JinjaValue? {
        get { self[.string(PyString(key))] }
        set { self[.string(PyString(key))] = newValue }
    }

    /// Entries in insertion order.
    public var entries: [(key: JinjaKey, value: JinjaValue)] { keys.map { ($0, storage[$0]!) } }
}

// MARK: - Reference types

/// The object `namespace(...)` returns: attributes set inside loops survive the loop.
public final class JinjaNamespace: @unchecked Sendable {
    // Only touched by the one render that created it, on one thread.
    var attributes = JinjaDict()
    /// Set for the `loop` object of a for loop: its attributes are computed from the position.
    var loop: (items: [JinjaValue], index: Int)?
    init(_ a: JinjaDict) { attributes = a }
    init(loopOver items: [JinjaValue]) { loop = (items, 0) }

    /// `loop.index`, `loop.first`... of the current iteration; nil for other names.
    func loopAttribute(_ name: String) -> JinjaValue? {
        guard let (items, i) = loop else { return nil }
        let n = items.count
        switch name {
        case "index": return .int(i + 1)
        case "index0": return .int(i)
        case "revindex": return .int(n - i)
        case "revindex0": return .int(n - i - 1)
        case "first": return .bool(i == 0)
        case "last": return .bool(i == n - 1)
        case "length": return .int(n)
        case "depth": return .int(1)
        case "depth0": return .int(0)
        case "previtem": return i > 0 ? items[i - 1] : .undefined(hint: "'loop.previtem' is undefined")
        case "nextitem": return i < n - 1 ? items[i + 1] : .undefined(hint: "'loop.nextitem' is undefined")
        case "cycle":
            return .function(JinjaFunction(name: "cycle") { args, _ throws(JinjaError) in
                guard !args.isEmpty else { throw .runtime("loop.cycle() needs at least one value") }
                return args[i % args.count]
            })
        default: return nil
        }
    }
}

/// Something a template can call: `(positional, keyword) -> value`.
public struct JinjaFunction: @unchecked Sendable {
    let name: String
    let call: (_ args: [JinjaValue], _ kwargs: [(String, JinjaValue)]) throws(JinjaError) -> JinjaValue
}

// MARK: - Building values from Swift

extension JinjaValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .float(value) }
    public init(arrayLiteral elements: JinjaValue...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, JinjaValue)...) { self = .dict(JinjaDict(elements)) }
    public init(nilLiteral: ()) { self = .none }
}
