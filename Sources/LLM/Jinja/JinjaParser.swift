/// Parses tokens into statements and expressions with Jinja2's grammar and precedence:
/// conditional < or < and < not < comparison/`in`/`is` < `+ -` < `~` < `* / // %` < `**` <
/// unary minus < filters, attributes, items and calls.
struct JinjaParser {
    private let tokens: [JinjaToken]
    private var i = 0
    private var depth = 0
    private let maxDepth: Int

    static func parse(_ tokens: [JinjaToken], maxDepth: Int) throws(JinjaError) -> [JinjaNode] {
        var p = JinjaParser(tokens: tokens, maxDepth: maxDepth)
        let (body, end) = try p.parseBody(until: [])
        if let end { throw .syntax("unexpected {% \(end) %}", line: p.line) }
        return body
    }

    private init(tokens: [JinjaToken], maxDepth: Int) {
        self.tokens = tokens
        self.maxDepth = maxDepth
    }

    // MARK: - Token helpers

    private var current: JinjaToken.Kind { tokens[i].kind }
    private var line: Int { tokens[min(i, tokens.count - 1)].line }

    private mutating func advance() { if i < tokens.count - 1 { i += 1 } }

    private func isOp(_ s: String) -> Bool { current == .op(s) }
    private func isName(_ s: String) -> Bool { current == .name(s) }

    private mutating func skip(op s: String) -> Bool {
        if isOp(s) { advance(); return true }
        return false
    }
    private mutating func skip(name s: String) -> Bool {
        if isName(s) { advance(); return true }
        return false
    }
    private mutating func expect(op s: String) throws(JinjaError) {
        guard skip(op: s) else { throw .syntax("expected '\(s)', found \(describe(current))", line: line) }
    }
    private mutating func expectName() throws(JinjaError) -> String {
        guard case .name(let n) = current else { throw .syntax("expected a name, found \(describe(current))", line: line) }
        advance()
        return n
    }
    private mutating func expectStatementEnd() throws(JinjaError) {
        guard current == .statementEnd else { throw .syntax("expected %}, found \(describe(current))", line: line) }
        advance()
    }

    private func describe(_ k: JinjaToken.Kind) -> String {
        switch k {
        case .text: "text"
        case .expressionStart: "{{"
        case .expressionEnd: "}}"
        case .statementStart: "{%"
        case .statementEnd: "%}"
        case .name(let n): "'\(n)'"
        case .string: "a string"
        case .int(let v): "\(v)"
        case .float(let v): "\(v)"
        case .op(let o): "'\(o)'"
        case .end: "the end of the template"
        }
    }

    private mutating func nest() throws(JinjaError) {
        depth += 1
        if depth > maxDepth { throw .limitExceeded(.depth, limit: maxDepth) }
    }

    // MARK: - Statements

    /// Nodes up to one of the `until` tags (returned, with the tag's name consumed) or the end.
    private mutating func parseBody(until: Set<String>) throws(JinjaError) -> ([JinjaNode], String?) {
        try nest()
        defer { depth -= 1 }
        var nodes: [JinjaNode] = []
        while true {
            switch current {
            case .end:
                if !until.isEmpty {
                    throw .syntax("missing {% \(until.sorted().joined(separator: " or ")) %}", line: line)
                }
                return (nodes, nil)
            case .text(let t):
                nodes.append(.text(t)); advance()
            case .expressionStart:
                advance()
                let e = try parseExpression()
                guard current == .expressionEnd else { throw .syntax("expected }}, found \(describe(current))", line: line) }
                advance()
                nodes.append(.output(e))
            case .statementStart:
                advance()
                guard case .name(let tag) = current else { throw .syntax("expected a tag name after {%", line: line) }
                if until.contains(tag) { advance(); return (nodes, tag) }
                advance()
                nodes.append(try parseStatement(tag))
            default:
                throw .syntax("unexpected \(describe(current))", line: line)
            }
        }
    }

    private mutating func parseStatement(_ tag: String) throws(JinjaError) -> JinjaNode {
        let tagLine = line
        switch tag {
        case "if":
            var branches: [(JinjaExpr, [JinjaNode])] = []
            var cond = try parseExpression()
            try expectStatementEnd()
            while true {
                let (body, end) = try parseBody(until: ["elif", "else", "endif"])
                branches.append((cond, body))
                if end == "elif" {
                    cond = try parseExpression()
                    try expectStatementEnd()
                    continue
                }
                try expectStatementEnd()
                if end == "else" {
                    let (other, _) = try parseBody(until: ["endif"])
                    try expectStatementEnd()
                    return .ifChain(branches, otherwise: other)
                }
                return .ifChain(branches, otherwise: [])
            }
        case "for":
            let target = try parseTarget(allowAttribute: false)
            guard skip(name: "in") else { throw .syntax("expected 'in' in a for loop", line: line) }
            let iterable = try parseExpression(conditional: false)
            var filter: JinjaExpr?
            if skip(name: "if") { filter = try parseExpression() }
            if skip(name: "recursive") { throw .syntax("recursive for loops are not supported", line: tagLine) }
            try expectStatementEnd()
            let (body, end) = try parseBody(until: ["else", "endfor"])
            try expectStatementEnd()
            var other: [JinjaNode] = []
            if end == "else" {
                (other, _) = try parseBody(until: ["endfor"])
                try expectStatementEnd()
            }
            return .forLoop(target, iterable, filter: filter, body: body, otherwise: other)
        case "set":
            let target = try parseTarget(allowAttribute: true)
            if skip(op: "=") {
                let value = try parseExpressionOrTuple()
                try expectStatementEnd()
                return .set(target, value)
            }
            var filters: [(String, [JinjaArgument])] = []
            while skip(op: "|") { filters.append(try parseFilterCall()) }
            try expectStatementEnd()
            let (body, _) = try parseBody(until: ["endset"])
            try expectStatementEnd()
            return .setBlock(target, filters, body)
        case "macro":
            let name = try expectName()
            let params = try parseParameters()
            try expectStatementEnd()
            let (body, _) = try parseBody(until: ["endmacro"])
            if case .name = current { advance() }   // {% endmacro name %}
            try expectStatementEnd()
            return .macro(name, params, body)
        case "call":
            let params = isOp("(") ? try parseParameters() : []
            let call = try parseExpression()
            guard case .call = call else { throw .syntax("{% call %} needs a macro call", line: tagLine) }
            try expectStatementEnd()
            let (body, _) = try parseBody(until: ["endcall"])
            try expectStatementEnd()
            return .callBlock(call, params, body)
        case "filter":
            var filters = [try parseFilterCall()]
            while skip(op: "|") { filters.append(try parseFilterCall()) }
            try expectStatementEnd()
            let (body, _) = try parseBody(until: ["endfilter"])
            try expectStatementEnd()
            return .filterBlock(filters, body)
        case "with":
            var assignments: [(String, JinjaExpr)] = []
            while current != .statementEnd {
                if !assignments.isEmpty { try expect(op: ",") }
                let n = try expectName()
                try expect(op: "=")
                assignments.append((n, try parseExpression()))
            }
            try expectStatementEnd()
            let (body, _) = try parseBody(until: ["endwith"])
            try expectStatementEnd()
            return .with(assignments, body)
        case "do":
            let e = try parseExpressionOrTuple()
            try expectStatementEnd()
            return .expression(e)
        case "break":
            try expectStatementEnd()
            return .breakLoop
        case "continue":
            try expectStatementEnd()
            return .continueLoop
        case "generation", "endgeneration":
            // transformers' AssistantTracker marker: no output of its own.
            try expectStatementEnd()
            return .text("")
        default:
            throw .syntax("unknown tag '\(tag)'", line: tagLine)
        }
    }

    private mutating func parseTarget(allowAttribute: Bool) throws(JinjaError) -> JinjaTarget {
        let first = try expectName()
        if allowAttribute, skip(op: ".") {
            return .attribute(first, try expectName())
        }
        if isOp(",") {
            var names = [first]
            while skip(op: ",") {
                guard case .name = current else { break }
                names.append(try expectName())
            }
            return .tuple(names)
        }
        return .name(first)
    }

    private mutating func parseParameters() throws(JinjaError) -> [JinjaParameter] {
        try expect(op: "(")
        var params: [JinjaParameter] = []
        while !skip(op: ")") {
            if !params.isEmpty { try expect(op: ",") }
            if skip(op: ")") { break }
            let n = try expectName()
            params.append(JinjaParameter(name: n, defaultValue: skip(op: "=") ? try parseExpression() : nil))
        }
        return params
    }

    private mutating func parseFilterCall() throws(JinjaError) -> (String, [JinjaArgument]) {
        var name = try expectName()
        while skip(op: ".") { name += "." + (try expectName()) }
        let args = isOp("(") ? try parseArguments() : []
        return (name, args)
    }

    // MARK: - Expressions

    /// An expression, or a bare tuple `a, b` (as in `{% set a, b = 1, 2 %}`).
    private mutating func parseExpressionOrTuple() throws(JinjaError) -> JinjaExpr {
        let first = try parseExpression()
        guard isOp(",") else { return first }
        var items = [first]
        while skip(op: ",") {
            if current == .statementEnd || current == .expressionEnd { break }
            items.append(try parseExpression())
        }
        return .tuple(items)
    }

    mutating func parseExpression(conditional: Bool = true) throws(JinjaError) -> JinjaExpr {
        try nest()
        defer { depth -= 1 }
        let value = try parseOr()
        guard conditional, skip(name: "if") else { return value }
        let cond = try parseOr()
        let other = skip(name: "else") ? try parseExpression() : nil
        return .conditional(value, cond, other)
    }

    private mutating func parseOr() throws(JinjaError) -> JinjaExpr {
        var left = try parseAnd()
        while skip(name: "or") { left = .logical("or", left, try parseAnd()) }
        return left
    }

    private mutating func parseAnd() throws(JinjaError) -> JinjaExpr {
        var left = try parseNot()
        while skip(name: "and") { left = .logical("and", left, try parseNot()) }
        return left
    }

    private mutating func parseNot() throws(JinjaError) -> JinjaExpr {
        if skip(name: "not") {
            try nest()
            defer { depth -= 1 }
            return .unary("not", try parseNot())
        }
        return try parseCompare()
    }

    private mutating func parseCompare() throws(JinjaError) -> JinjaExpr {
        var left = try parseMath1()
        while true {
            if case .op(let o) = current, ["==", "!=", "<", ">", "<=", ">="].contains(o) {
                advance()
                left = .binary(o, left, try parseMath1())
            } else if skip(name: "in") {
                left = .binary("in", left, try parseMath1())
            } else if isName("not"), i + 1 < tokens.count, tokens[i + 1].kind == .name("in") {
                advance(); advance()
                left = .binary("not in", left, try parseMath1())
            } else {
                return left
            }
        }
    }

    private mutating func parseMath1() throws(JinjaError) -> JinjaExpr {
        var left = try parseConcat()
        while case .op(let o) = current, o == "+" || o == "-" {
            advance()
            left = .binary(o, left, try parseConcat())
        }
        return left
    }

    private mutating func parseConcat() throws(JinjaError) -> JinjaExpr {
        var left = try parseMath2()
        while skip(op: "~") { left = .binary("~", left, try parseMath2()) }
        return left
    }

    private mutating func parseMath2() throws(JinjaError) -> JinjaExpr {
        var left = try parsePow()
        while case .op(let o) = current, ["*", "/", "//", "%"].contains(o) {
            advance()
            left = .binary(o, left, try parsePow())
        }
        return left
    }

    private mutating func parsePow() throws(JinjaError) -> JinjaExpr {
        var left = try parseUnary(withFilters: true)
        while skip(op: "**") { left = .binary("**", left, try parseUnary(withFilters: true)) }
        return left
    }

    private mutating func parseUnary(withFilters: Bool) throws(JinjaError) -> JinjaExpr {
        try nest()
        defer { depth -= 1 }
        var node: JinjaExpr
        if skip(op: "-") {
            node = .unary("-", try parseUnary(withFilters: false))
        } else if skip(op: "+") {
            node = .unary("+", try parseUnary(withFilters: false))
        } else {
            node = try parsePrimary()
        }
        node = try parsePostfix(node)
        if withFilters { node = try parseFilters(node) }
        return node
    }

    private mutating func parsePrimary() throws(JinjaError) -> JinjaExpr {
        switch current {
        case .name(let n):
            advance()
            switch n {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(n)
            }
        case .string(var s):
            advance()
            while case .string(let more) = current { s += more; advance() }   // adjacent literals join
            return .literal(.string(s))
        case .int(let v):
            advance(); return .literal(.int(v))
        case .float(let v):
            advance(); return .literal(.float(v))
        case .op("("):
            advance()
            if skip(op: ")") { return .tuple([]) }
            let first = try parseExpression()
            if skip(op: ")") { return first }
            var items = [first]
            while skip(op: ",") {
                if isOp(")") { break }
                items.append(try parseExpression())
            }
            try expect(op: ")")
            return .tuple(items)
        case .op("["):
            advance()
            var items: [JinjaExpr] = []
            while !skip(op: "]") {
                if !items.isEmpty { try expect(op: ","); if skip(op: "]") { break } }
                items.append(try parseExpression())
            }
            return .list(items)
        case .op("{"):
            advance()
            var pairs: [(JinjaExpr, JinjaExpr)] = []
            while !skip(op: "}") {
                if !pairs.isEmpty { try expect(op: ","); if skip(op: "}") { break } }
                let k = try parseExpression()
                try expect(op: ":")
                pairs.append((k, try parseExpression()))
            }
            return .dict(pairs)
        default:
            throw .syntax("unexpected \(describe(current)) in an expression", line: line)
        }
    }

    private mutating func parsePostfix(_ base: JinjaExpr) throws(JinjaError) -> JinjaExpr {
        var node = base
        while true {
            if skip(op: ".") {
                switch current {
                case .name(let n): advance(); node = .attribute(node, n)
                case .int(let v): advance(); node = .item(node, .literal(.int(v)))
                default: throw .syntax("expected an attribute name after '.'", line: line)
                }
            } else if skip(op: "[") {
                node = try parseSubscript(node)
            } else if isOp("(") {
                node = .call(node, try parseArguments())
            } else {
                return node
            }
        }
    }

    private mutating func parseSubscript(_ base: JinjaExpr) throws(JinjaError) -> JinjaExpr {
        var parts: [JinjaExpr?] = [nil]
        var sawColon = false
        while !skip(op: "]") {
            if skip(op: ":") {
                sawColon = true
                parts.append(nil)
                guard parts.count <= 3 else { throw .syntax("too many ':' in a slice", line: line) }
                continue
            }
            guard parts[parts.count - 1] == nil else { throw .syntax("expected ']' or ':' in a subscript", line: line) }
            parts[parts.count - 1] = try parseExpression()
        }
        if !sawColon {
            guard let index = parts[0] else { throw .syntax("empty subscript", line: line) }
            return .item(base, index)
        }
        while parts.count < 3 { parts.append(nil) }
        return .slice(base, parts[0], parts[1], parts[2])
    }

    private mutating func parseArguments() throws(JinjaError) -> [JinjaArgument] {
        try expect(op: "(")
        var args: [JinjaArgument] = []
        while !skip(op: ")") {
            if !args.isEmpty { try expect(op: ","); if skip(op: ")") { break } }
            if case .name(let n) = current, i + 1 < tokens.count, tokens[i + 1].kind == .op("=") {
                advance(); advance()
                args.append(JinjaArgument(name: n, value: try parseExpression()))
            } else {
                args.append(JinjaArgument(name: nil, value: try parseExpression()))
            }
        }
        return args
    }

    private mutating func parseFilters(_ base: JinjaExpr) throws(JinjaError) -> JinjaExpr {
        var node = base
        while true {
            if skip(op: "|") {
                let (name, args) = try parseFilterCall()
                node = .filter(node, name, args)
            } else if skip(name: "is") {
                let negated = skip(name: "not")
                var name = try expectName()
                while skip(op: ".") { name += "." + (try expectName()) }
                var args: [JinjaArgument] = []
                if isOp("(") {
                    args = try parseArguments()
                } else if startsTestArgument {
                    args = [JinjaArgument(name: nil, value: try parsePostfix(try parsePrimary()))]
                }
                node = .test(node, name, args, negated: negated)
            } else if isOp("(") {
                node = .call(node, try parseArguments())
            } else {
                return node
            }
        }
    }

    /// `x is divisibleby 3`: a test takes one argument without parentheses when one follows.
    private var startsTestArgument: Bool {
        switch current {
        case .name(let n): !["else", "or", "and", "if", "in", "not", "is"].contains(n)
        case .string, .int, .float: true
        case .op(let o): o == "[" || o == "{" || o == "("
        default: false
        }
    }
}
