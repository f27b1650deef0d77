// MARK: - Expressions

/// An expression of the template language.
indirect enum JinjaExpr: Sendable {
    case literal(JinjaValue)
    case name(String)
    case list([JinjaExpr])
    case tuple([JinjaExpr])
    case dict([(JinjaExpr, JinjaExpr)])
    /// `a.b`
    case attribute(JinjaExpr, String)
    /// `a[b]`
    case item(JinjaExpr, JinjaExpr)
    /// `a[start:stop:step]`
    case slice(JinjaExpr, JinjaExpr?, JinjaExpr?, JinjaExpr?)
    case call(JinjaExpr, [JinjaArgument])
    /// `value | name(args)`
    case filter(JinjaExpr, String, [JinjaArgument])
    /// `value is [not] name(args)`
    case test(JinjaExpr, String, [JinjaArgument], negated: Bool)
    case unary(String, JinjaExpr)
    case binary(String, JinjaExpr, JinjaExpr)
    /// `and` / `or`, evaluated lazily
    case logical(String, JinjaExpr, JinjaExpr)
    /// `a if cond else b` (`else` optional: undefined)
    case conditional(JinjaExpr, JinjaExpr, JinjaExpr?)
}

/// A call argument: positional (`name == nil`) or keyword.
struct JinjaArgument: Sendable {
    let name: String?
    let value: JinjaExpr
}

// MARK: - Statements

/// Where a `set` or `for` stores values.
enum JinjaTarget: Sendable {
    case name(String)
    case tuple([String])
    /// `ns.attr`
    case attribute(String, String)
}

/// A macro's parameter with its default.
struct JinjaParameter: Sendable {
    let name: String
    let defaultValue: JinjaExpr?
}

/// A node of the template body.
indirect enum JinjaNode: Sendable {
    case text(String)
    case output(JinjaExpr)
    case ifChain([(JinjaExpr, [JinjaNode])], otherwise: [JinjaNode])
    case forLoop(JinjaTarget, JinjaExpr, filter: JinjaExpr?, body: [JinjaNode], otherwise: [JinjaNode])
    case set(JinjaTarget, JinjaExpr)
    /// `{% set x | filters %}...{% endset %}`
    case setBlock(JinjaTarget, [(String, [JinjaArgument])], [JinjaNode])
    case macro(String, [JinjaParameter], [JinjaNode])
    /// `{% call(params) macro(args) %}body{% endcall %}`
    case callBlock(JinjaExpr, [JinjaParameter], [JinjaNode])
    /// `{% filter name(args) | ... %}...{% endfilter %}`
    case filterBlock([(String, [JinjaArgument])], [JinjaNode])
    /// `{% with a = 1 %}...{% endwith %}`
    case with([(String, JinjaExpr)], [JinjaNode])
    /// `{% do expr %}`
    case expression(JinjaExpr)
    case breakLoop
    case continueLoop
}
