/// Runs a parsed template: statements, scopes, output, and the limits on work done.
/// One interpreter serves one render; it never touches files, the environment or the network.
final class JinjaInterpreter {
    /// Variables of one scope. The first frame holds the render's variables and top-level
    /// `set`s; each loop iteration, macro call and `with` block gets its own.
    final class Frame {
        var vars: [String: JinjaValue]
        init(_ vars: [String: JinjaValue] = [:]) { self.vars = vars }
    }

    enum Flow { case normal, breakLoop, continueLoop }

    let limits: JinjaLimits
    private let started = ContinuousClock.now
    private var steps = 0
    private var depth = 0
    private var outputBytes = 0
    private var buffers: [String] = [""]
    var frames: [Frame]

    init(globals: [String: JinjaValue], limits: JinjaLimits) {
        self.limits = limits
        frames = [Frame(globals)]
    }

    /// Renders `nodes` and returns the text.
    func render(_ nodes: [JinjaNode]) throws(JinjaError) -> String {
        _ = try execute(nodes)
        return buffers[0]
    }

    // MARK: - Limits

    /// Counts `n` units of work against the step limit, and checks the clock now and then.
    func charge(_ n: Int = 1) throws(JinjaError) {
        let (sum, overflow) = steps.addingReportingOverflow(n)
        steps = overflow ? .max : sum
        if steps > limits.maxSteps { throw .limitExceeded(.steps, limit: limits.maxSteps) }
        if steps & 1023 < n || n > 1024 {
            let elapsed = ContinuousClock.now - started
            if elapsed > .milliseconds(limits.maxMilliseconds) {
                throw .limitExceeded(.time, limit: limits.maxMilliseconds)
            }
        }
    }

    /// Refuses a string or list of `bytes` bytes that would pass the output limit.
    func checkSize(_ bytes: Int) throws(JinjaError) {
        if bytes > limits.maxOutputBytes { throw .limitExceeded(.outputSize, limit: limits.maxOutputBytes) }
    }

    /// Refuses a value nested deeper than `maxValueDepth`, or a namespace that would contain
    /// itself (`into`): only containers are walked, each counted as a step.
    func checkNesting(_ value: JinjaValue, into target: JinjaNamespace? = nil) throws(JinjaError) {
        func walk(_ v: JinjaValue, _ depth: Int) throws(JinjaError) {
            switch v {
            case .list(let l):
                guard depth < limits.maxValueDepth else { throw .limitExceeded(.depth, limit: limits.maxValueDepth) }
                try charge()
                for e in l { if case .list = e { try walk(e, depth + 1) } else if case .dict = e { try walk(e, depth + 1) } else if case .namespace = e { try walk(e, depth + 1) } }
            case .dict(let d):
                guard depth < limits.maxValueDepth else { throw .limitExceeded(.depth, limit: limits.maxValueDepth) }
                try charge()
                for (_, e) in d.entries { try walk(e, depth + 1) }
            case .namespace(let ns):
                if let target, ns === target { throw .runtime("a namespace cannot contain itself") }
                guard depth < limits.maxValueDepth else { throw .limitExceeded(.depth, limit: limits.maxValueDepth) }
                try charge()
                for (_, e) in ns.attributes.entries { try walk(e, depth + 1) }
            default:
                break
            }
        }
        try walk(value, 0)
    }

    /// Enters one level of nesting (a macro call, a statement, an expression).
    func enter() throws(JinjaError) {
        depth += 1
        if depth > limits.maxDepth { throw .limitExceeded(.depth, limit: limits.maxDepth) }
    }
    func leave() { depth -= 1 }

    // MARK: - Output

    func write(_ s: String) throws(JinjaError) {
        outputBytes += s.utf8.count
        if outputBytes > limits.maxOutputBytes { throw .limitExceeded(.outputSize, limit: limits.maxOutputBytes) }
        buffers[buffers.count - 1] += s
    }

    /// Runs `body` with its output captured and returned instead of written.
    func capture(_ body: () throws(JinjaError) -> Void) throws(JinjaError) -> String {
        buffers.append("")
        defer { buffers.removeLast() }
        try body()
        return buffers[buffers.count - 1]
    }

    // MARK: - Variables

    func lookup(_ name: String) -> JinjaValue {
        for f in frames.reversed() {
            if let v = f.vars[name] { return v }
        }
        return .missing(name)
    }

    func assign(_ target: JinjaTarget, _ value: JinjaValue) throws(JinjaError) {
        switch target {
        case .name(let n):
            frames[frames.count - 1].vars[n] = value
        case .tuple(let names):
            let items = try value.iterate()
            guard items.count == names.count else {
                throw .runtime("cannot unpack \(items.count) values into \(names.count) names (\(names.joined(separator: ", ")))")
            }
            for (n, v) in zip(names, items) { frames[frames.count - 1].vars[n] = v }
        case .attribute(let object, let attr):
            guard case .namespace(let ns) = lookup(object) else {
                throw .runtime("cannot assign attribute '\(attr)' on '\(object)': only a namespace() takes attributes")
            }
            try checkNesting(value, into: ns)
            ns.attributes[attr] = value
        }
    }

    /// Runs `body` in a new scope whose variables start as `vars`.
    func withFrame<T>(_ vars: [String: JinjaValue], _ body: () throws(JinjaError) -> T) throws(JinjaError) -> T {
        frames.append(Frame(vars))
        defer { frames.removeLast() }
        return try body()
    }

    // MARK: - Statements

    func execute(_ nodes: [JinjaNode]) throws(JinjaError) -> Flow {
        try enter()
        defer { leave() }
        for node in nodes {
            try charge()
            switch node {
            case .text(let t):
                try write(t)
            case .output(let e):
                try write(try evaluate(e).pythonString)
            case .ifChain(let branches, let otherwise):
                var taken = false
                for (cond, body) in branches where try evaluate(cond).truthy {
                    taken = true
                    let flow = try execute(body)
                    if flow != .normal { return flow }
                    break
                }
                if !taken {
                    let flow = try execute(otherwise)
                    if flow != .normal { return flow }
                }
            case .forLoop(let target, let iterable, let filter, let body, let otherwise):
                try runLoop(target, iterable, filter, body, otherwise)
            case .set(let target, let e):
                try assign(target, try evaluate(e))
            case .setBlock(let target, let filters, let body):
                var value = JinjaValue.string(try capture { () throws(JinjaError) in _ = try execute(body) })
                for (name, args) in filters {
                    let (pos, kw) = try evaluateArguments(args)
                    value = try applyFilter(name, value, pos, kw)
                }
                try assign(target, value)
            case .macro(let name, let params, let body):
                frames[frames.count - 1].vars[name] = .function(makeMacro(name, params, body, captured: frames))
            case .callBlock(let call, let params, let body):
                let caller = makeMacro("caller", params, body, captured: frames)
                guard case .call(let callee, let args) = call else { break }
                let f = try evaluate(callee)
                var (pos, kw) = try evaluateArguments(args)
                kw.append(("caller", .function(caller)))
                guard case .function(let fn) = f else { throw .runtime("{% call %}: '\(f.typeName)' object is not callable") }
                try write(try fn.call(pos, kw).pythonString)
            case .filterBlock(let filters, let body):
                var value = JinjaValue.string(try capture { () throws(JinjaError) in _ = try execute(body) })
                for (name, args) in filters {
                    let (pos, kw) = try evaluateArguments(args)
                    value = try applyFilter(name, value, pos, kw)
                }
                try write(value.pythonString)
            case .with(let assignments, let body):
                var vars: [String: JinjaValue] = [:]
                for (n, e) in assignments { vars[n] = try evaluate(e) }
                let flow = try withFrame(vars) { () throws(JinjaError) in try execute(body) }
                if flow != .normal { return flow }
            case .expression(let e):
                _ = try evaluate(e)
            case .breakLoop:
                return .breakLoop
            case .continueLoop:
                return .continueLoop
            }
        }
        return .normal
    }

    private func runLoop(_ target: JinjaTarget, _ iterable: JinjaExpr, _ filter: JinjaExpr?,
                         _ body: [JinjaNode], _ otherwise: [JinjaNode]) throws(JinjaError) {
        var items = try evaluate(iterable).iterate()
        if let filter {
            var kept: [JinjaValue] = []
            for item in items {
                try charge()
                let keep = try withFrame([:]) { () throws(JinjaError) in
                    try assign(target, item)
                    return try evaluate(filter).truthy
                }
                if keep { kept.append(item) }
            }
            items = kept
        }
        if items.isEmpty {
            _ = try execute(otherwise)
            return
        }
        // One loop object per loop; its attributes follow the current index.
        let loop = JinjaNamespace(loopOver: items)
        for (index, item) in items.enumerated() {
            try charge()
            loop.loop?.index = index
            let flow = try withFrame(["loop": .namespace(loop)]) { () throws(JinjaError) in
                try assign(target, item)
                return try execute(body)
            }
            if flow == .breakLoop { break }
        }
    }

    // MARK: - Built-in functions

    /// Python's `range(stop)`, `range(start, stop[, step])`; its length is charged as steps
    /// before the list is built.
    var rangeFunction: JinjaFunction {
        JinjaFunction(name: "range") { [unowned self] args, _ throws(JinjaError) in
            let ints = args.compactMap(\.integer)
            guard ints.count == args.count, (1 ... 3).contains(ints.count) else { throw .runtime("range() takes 1 to 3 integers") }
            let (start, stop, step) = ints.count == 1 ? (0, ints[0], 1) : (ints[0], ints[1], ints.count == 3 ? ints[2] : 1)
            guard step != 0 else { throw .runtime("range() arg 3 must not be zero") }
            let span = step > 0 ? Double(stop) - Double(start) : Double(start) - Double(stop)
            let count = max(0, (span / Double(abs(step))).rounded(.up))
            guard count <= Double(limits.maxSteps) else { throw .limitExceeded(.steps, limit: limits.maxSteps) }
            try charge(Int(count))
            return .list(stride(from: start, to: stop, by: step).map { .int($0) })
        }
    }

    // MARK: - Macros

    /// A macro as a callable: binds positional and keyword arguments to its parameters
    /// (defaults evaluated at call time), extra ones to `varargs` and `kwargs`, and renders
    /// its body in a new scope over the scopes where it was defined.
    private func makeMacro(_ name: String, _ params: [JinjaParameter], _ body: [JinjaNode],
                           captured: [Frame]) -> JinjaFunction {
        JinjaFunction(name: name) { [unowned self] args, kwargs throws(JinjaError) in
            try enter()
            defer { leave() }
            let saved = frames
            frames = captured + [Frame()]
            defer { frames = saved }
            var extraKw = JinjaDict()
            var bound: [String: JinjaValue] = [:]
            for (k, v) in kwargs {
                if params.contains(where: { $0.name == k }) || k == "caller" { bound[k] = v } else { extraKw[k] = v }
            }
            for (i, p) in params.enumerated() {
                if i < args.count {
                    frames[frames.count - 1].vars[p.name] = args[i]
                } else if let v = bound[p.name] {
                    frames[frames.count - 1].vars[p.name] = v
                } else if let d = p.defaultValue {
                    frames[frames.count - 1].vars[p.name] = try evaluate(d)
                } else {
                    frames[frames.count - 1].vars[p.name] = .undefined(hint: "parameter '\(p.name)' of macro '\(name)' was not given")
                }
            }
            if let c = bound["caller"] { frames[frames.count - 1].vars["caller"] = c }
            frames[frames.count - 1].vars["varargs"] = .list(args.count > params.count ? Array(args[params.count...]) : [])
            frames[frames.count - 1].vars["kwargs"] = .dict(extraKw)
            let text = try capture { () throws(JinjaError) in _ = try execute(body) }
            return .string(text)
        }
    }
}
