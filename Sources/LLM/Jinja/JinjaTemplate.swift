import Foundation

/// A parsed Jinja template, rendered the way Hugging Face transformers renders chat
/// templates (Jinja2's `ImmutableSandboxedEnvironment` with `trim_blocks`, `lstrip_blocks`,
/// loop controls, its `tojson`, `raise_exception` and `strftime_now`).
///
/// Sandboxed: a template sees only the variables passed in and the globals below; it cannot
/// read files, the environment or the network, cannot change the values passed in, and stops
/// with `JinjaError.limitExceeded` when it goes past its `JinjaLimits`.
public struct JinjaTemplate: Sendable {
    public let source: String
    public let limits: JinjaLimits
    let nodes: [JinjaNode]

    /// Parses `source`; a syntax error names the line.
    public init(_ source: String, limits: JinjaLimits = JinjaLimits()) throws(JinjaError) {
        guard source.utf8.count <= limits.maxSourceBytes else {
            throw .limitExceeded(.sourceSize, limit: limits.maxSourceBytes)
        }
        self.source = source
        self.limits = limits
        nodes = try JinjaParser.parse(try JinjaLexer.tokenize(source), maxDepth: limits.maxDepth)
    }

    /// Renders with `variables`, plus the globals `raise_exception(message)`,
    /// `strftime_now(format)` (at `now`, default the local time), `range` (its items count as steps),
    /// `namespace` and `dict`.
    public func render(_ variables: [String: JinjaValue], now: JinjaDate = .now()) throws(JinjaError) -> String {
        var globals = Self.globals(now: now)
        for (k, v) in variables { globals[k] = v }
        let interpreter = JinjaInterpreter(globals: globals, limits: limits)
        if variables["range"] == nil { interpreter.frames[0].vars["range"] = .function(interpreter.rangeFunction) }
        return try interpreter.render(nodes)
    }

    static func globals(now: JinjaDate) -> [String: JinjaValue] {
        var g: [String: JinjaValue] = [:]
        g["raise_exception"] = .function(JinjaFunction(name: "raise_exception") { args, kwargs throws(JinjaError) in
            throw .raised(JinjaArguments(args, kwargs, function: "raise_exception")[0, "message"]?.pythonString ?? "")
        })
        g["strftime_now"] = .function(JinjaFunction(name: "strftime_now") { args, kwargs throws(JinjaError) in
            let f = try JinjaArguments(args, kwargs, function: "strftime_now").required(0, "format")
            guard case .string(let format) = f else { throw .runtime("strftime_now() format must be a string") }
            return .string(now.format(format))
        })
        g["namespace"] = .function(JinjaFunction(name: "namespace") { args, kwargs throws(JinjaError) in
            var d = JinjaDict()
            if case .dict(let initial)? = args.first { d = initial }
            for (k, v) in kwargs { d[k] = v }
            return .namespace(JinjaNamespace(d))
        })
        g["dict"] = .function(JinjaFunction(name: "dict") { args, kwargs throws(JinjaError) in
            var d = JinjaDict()
            if case .dict(let initial)? = args.first { d = initial }
            for (k, v) in kwargs { d[k] = v }
            return .dict(d)
        })
        return g
    }
}

// MARK: - strftime_now

/// A local date and time for `strftime_now`, fixed at the start of a render.
public struct JinjaDate: Sendable, Equatable {
    public var year, month, day, hour, minute, second: Int

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.year = year; self.month = month; self.day = day
        self.hour = hour; self.minute = minute; self.second = second
    }

    /// The current local time.
    public static func now() -> JinjaDate {
        let c = Calendar(identifier: .gregorian).dateComponents(in: .current, from: Date())
        return JinjaDate(year: c.year ?? 1970, month: c.month ?? 1, day: c.day ?? 1,
                         hour: c.hour ?? 0, minute: c.minute ?? 0, second: c.second ?? 0)
    }

    private static let months = ["January", "February", "March", "April", "May", "June", "July",
                                 "August", "September", "October", "November", "December"]
    private static let weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    /// 0 = Monday.
    var weekday: Int {
        // Zeller-style count of days from a Monday (0001-01-01 was a Monday, proleptic Gregorian).
        var y = year, m = month
        if m < 3 { y -= 1; m += 12 }
        let days = 365 * y + y / 4 - y / 100 + y / 400 + (153 * (m - 3) + 2) / 5 + day - 307
        return ((days % 7) + 7) % 7
    }

    var dayOfYear: Int {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let before = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
        return before[max(0, min(11, month - 1))] + day + (leap && month > 2 ? 1 : 0)
    }

    /// C's `strftime` in the C locale, with glibc's `%-d` (no padding).
    public func format(_ f: String) -> String {
        var out = ""
        var it = f.unicodeScalars.makeIterator()
        func pad(_ v: Int, _ width: Int, _ noPad: Bool) -> String {
            let s = String(v)
            return noPad ? s : String(repeating: "0", count: max(0, width - s.count)) + s
        }
        let month = Self.months[max(0, min(11, self.month - 1))]
        let weekday = Self.weekdays[self.weekday]
        while let c = it.next() {
            guard c == "%" else { out.unicodeScalars.append(c); continue }
            guard var d = it.next() else { out += "%"; break }
            var noPad = false
            if d == "-", let n = it.next() { noPad = true; d = n }
            switch d {
            case "Y": out += String(year)
            case "y": out += pad(year % 100, 2, noPad)
            case "m": out += pad(self.month, 2, noPad)
            case "d": out += pad(day, 2, noPad)
            case "e": out += noPad ? String(day) : (day < 10 ? " " : "") + String(day)
            case "H": out += pad(hour, 2, noPad)
            case "I": out += pad(hour % 12 == 0 ? 12 : hour % 12, 2, noPad)
            case "M": out += pad(minute, 2, noPad)
            case "S": out += pad(second, 2, noPad)
            case "p": out += hour < 12 ? "AM" : "PM"
            case "j": out += pad(dayOfYear, 3, noPad)
            case "b", "h": out += String(month.prefix(3))
            case "B": out += month
            case "a": out += String(weekday.prefix(3))
            case "A": out += weekday
            case "u": out += String(self.weekday + 1)
            case "w": out += String((self.weekday + 1) % 7)
            case "F": out += "\(year)-\(pad(self.month, 2, false))-\(pad(day, 2, false))"
            case "D": out += "\(pad(self.month, 2, false))/\(pad(day, 2, false))/\(pad(year % 100, 2, false))"
            case "T": out += "\(pad(hour, 2, false)):\(pad(minute, 2, false)):\(pad(second, 2, false))"
            case "%": out += "%"
            case "n": out += "\n"
            case "t": out += "\t"
            default: out += "%" + (noPad ? "-" : "") + String(d)
            }
        }
        return out
    }
}
