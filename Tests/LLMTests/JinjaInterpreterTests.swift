import XCTest
@testable import LLM

/// The interpreter against Jinja2 3.1.6 (transformers' settings): each case's expected text
/// was printed by Jinja2 for the same template and variables. Plus the limits and the sandbox.
final class JinjaInterpreterTests: XCTestCase {
    enum Expect { case text(String), raised(String), failure }

    static let jinja2Cases: [(String, String, Expect)] = [
        ("{% for x in xs if x > 1 %}{{ loop.index }}/{{ loop.length }}{{ ',' if not loop.last }}{% else %}none{% endfor %}",
         "{\"xs\": [1, 2, 3]}",
         .text("1/2,2/2")),
        ("{% for x in xs %}{{ x }}{% else %}empty{% endfor %}",
         "{\"xs\": []}",
         .text("empty")),
        ("{% for x in xs %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}",
         "{\"xs\": [1, 2, 3, 4, 5]}",
         .text("13")),
        ("{% set ns = namespace(found=false, n=0) %}{% for x in xs %}{% if x is odd %}{% set ns.found = true %}{% set ns.n = ns.n + x %}{% endif %}{% endfor %}{{ ns.found }} {{ ns.n }}",
         "{\"xs\": [1, 2, 3]}",
         .text("True 4")),
        ("{% set x %}  block {{ 1 + 1 }}  {% endset %}[{{ x }}]{% set y | upper %}abc{% endset %}{{ y }}",
         "{}",
         .text("[  block 2  ]ABC")),
        ("{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('a') }} {{ greet('b', punct='?') }} {{ greet(name='c') }}",
         "{}",
         .text("Hi a! Hi b? Hi c!")),
        ("{% macro wrap() %}<{{ caller() }}>{% endmacro %}{% call wrap() %}inner{% endcall %}",
         "{}",
         .text("<inner>")),
        ("{% macro wrap2() %}<{{ caller(5) }}>{% endmacro %}{% call(v) wrap2() %}v={{ v }}{% endcall %}",
         "{}",
         .text("<v=5>")),
        ("{% filter upper %}hello {{ 'x' }}{% endfilter %}",
         "{}",
         .text("HELLO X")),
        ("{{ '  a b  '|trim }}|{{ ' x '.strip() }}|{{ 'xxhixx'.strip('x') }}|{{ '\\n\\nab'.lstrip('\\n') }}|{{ 'ab  '.rstrip() }}",
         "{}",
         .text("a b|x|hi|ab|ab")),
        ("{{ d|tojson }} {{ d|tojson(indent=2) }} {{ '\u{e9}\"\\n'|tojson }} {{ [1, 2.5, none, true]|tojson(separators=(',', ':')) }}",
         "{\"d\": {\"b\": 1, \"a\": [1, {\"x\": null}]}}",
         .text("{\"b\": 1, \"a\": [1, {\"x\": null}]} {\n  \"b\": 1,\n  \"a\": [\n    1,\n    {\n      \"x\": null\n    }\n  ]\n} \"\u{e9}\\\"\\n\" [1,2.5,null,true]")),
        ("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{% for k, v in d|items %}{{ k }}{% endfor %}{{ d|length }}",
         "{\"d\": {\"z\": 1, \"a\": 2}}",
         .text("z=1;a=2;za2")),
        ("{{ u|default('dflt') }} {{ ''|default('e', true) }} {{ none|default('n') }} {{ xs|join(', ') }} {{ 'a-b-c'.replace('-', '+') }} {{ 'a,b,,c'.split(',') }} {{ 'a b  c'.split() }}",
         "{\"xs\": [1, \"b\"]}",
         .text("dflt e None 1, b a+b+c ['a', 'b', '', 'c'] ['a', 'b', 'c']")),
        ("{{ 'abc'.startswith('ab') }} {{ 'abc'.endswith('bc') }} {{ 'abc'.startswith(('x', 'a')) }} {{ 'HeLLo'|upper }} {{ 'HeLLo'|lower }} {{ 'hello world-x'|title }} {{ 'hELLO'|capitalize }} {{ 'hello world'.title() }}",
         "{}",
         .text("True True True HELLO hello Hello World-X Hello Hello World")),
        ("{{ ms|selectattr('role', 'equalto', 'user')|map(attribute='content')|list }} {{ ms|rejectattr('role', 'equalto', 'user')|list|length }} {{ ms|selectattr('x')|list }}",
         "{\"ms\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}, {\"role\": \"user\", \"content\": \"c\", \"x\": 1}]}",
         .text("['a', 'c'] 1 [{'role': 'user', 'content': 'c', 'x': 1}]")),
        ("{{ xs[1:] }} {{ xs[:-1] }} {{ xs[::-1] }} {{ xs[::2] }} {{ 'hello'[1:3] }} {{ xs|first }} {{ xs|last }} {{ [3,1,3,2,1]|unique|list }} {{ ['B','a','A']|unique|list }}",
         "{\"xs\": [1, 2, 3, 4]}",
         .text("[2, 3, 4] [1, 2, 3] [4, 3, 2, 1] [1, 3] el 1 4 [3, 1, 2] ['B', 'a']")),
        ("{{ '3'|int + 1 }} {{ 'x'|int }} {{ 2|float }} {{ 1.5|string }} {{ 7|string ~ 'a' }} {{ none|string }} {{ true ~ '' }}",
         "{}",
         .text("4 0 2.0 1.5 7a None True")),
        ("{{ 'a' in 'cat' }} {{ 2 in [1,2] }} {{ 'k' in d }} {{ 'z' not in d }} {{ x is not none }} {{ y is not defined }}",
         "{\"d\": {\"k\": 1}, \"x\": 1}",
         .text("True True True True True True")),
        ("{{ 'yes' if t else 'no' }} {{ 'yes' if f else 'no' }} [{{ 'only' if f }}]",
         "{\"t\": true, \"f\": false}",
         .text("yes no []")),
        ("{{ x is defined }} {{ x is none }} {{ 's' is string }} {{ d is mapping }} {{ xs is iterable }} {{ 's' is iterable }} {{ 3 is equalto 3 }} {{ 4 is divisibleby 2 }} {{ xs is sequence }} {{ 1 is number }} {{ 'a' is lower }}",
         "{\"x\": null, \"d\": {}, \"xs\": [1]}",
         .text("True True True True True True True True True True True")),
        ("{{ raise_exception('boom ' ~ 1) }}",
         "{}",
         .raised("boom 1")),
        ("{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%B %d, %Y') }}|{{ strftime_now('%Y-%m-%d %A %j') }}",
         "{}",
         .text("15 Jan 2026|January 15, 2026|2026-01-15 Thursday 015")),
        ("a\n  {% if true %}\n    x\n  {% endif %}\nb\n{# c #}\nd {{- ' e ' -}} f\n   {%- if true %} g{% endif %}\n",
         "{}",
         .text("a\n    x\nb\nd e f g")),
        ("{{ [1, 'a', none, true, 2.0, {'k': [1]}] }} {{ {'a': 'it\\'s'} }} {{ 1e20 }} {{ 1/3 }} {{ 10 // 3 }} {{ -7 // 2 }} {{ 2 ** 3 }} {{ 'ab' * 2 }} {{ 7 % 3 }}",
         "{}",
         .text("[1, 'a', None, True, 2.0, {'k': [1]}] {'a': \"it's\"} 1e+20 0.3333333333333333 3 -4 8 abab 1")),
        ("{{ m.content }}|{{ m['content'] }}|{{ m.missing }}|{{ m.get('role') }}|{{ m.get('nope', 'dflt') }}|{{ m.keys()|list }}",
         "{\"m\": {\"role\": \"user\", \"content\": \"hi {{ x }} {% y %}\"}}",
         .text("hi {{ x }} {% y %}|hi {{ x }} {% y %}||user|dflt|['role', 'content']")),
        ("{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set xs = [3, 4] %}{% for i in range(2) %}{{ xs[i] }}{% endfor %}{{ range(1, 7, 2)|list }}",
         "{}",
         .text("1234[1, 3, 5]")),
        ("{% for m in ms %}{{ loop.index0 }}{{ loop.first }}{{ loop.revindex }}{{ loop.cycle('a','b') }}{% if loop.previtem is defined %}p{{ loop.previtem }}{% endif %} {% endfor %}",
         "{\"ms\": [10, 20, 30]}",
         .text("0True3a 1False2bp10 2False1ap20 ")),
        ("{{ xs|sort|list }} {{ xs|sort(reverse=true)|list }} {{ ds|sort(attribute='n')|map(attribute='n')|list }} {{ d|dictsort|map('first')|list }} {{ xs|max }} {{ xs|min }} {{ xs|sum }}",
         "{\"xs\": [3, 1, 2], \"ds\": [{\"n\": 2}, {\"n\": 1}], \"d\": {\"b\": 1, \"A\": 2}}",
         .text("[1, 2, 3] [3, 2, 1] [1, 2] ['A', 'b'] 3 1 6")),
        ("{% with a = 5 %}{{ a }}{% endwith %}{{ a }}|{{ 'x\ny'|indent(2) }}|{{ 'x\ny'|indent(2, true) }}",
         "{}",
         .text("5|x\n  y|  x\n  y")),
        ("{{ 'h\u{e9}llo w\u{f6}rld'|length }} {{ 'a\\r\\nb'.split('\\n') }} {{ 'A\\u00a0'.strip()|length }} {{ '\\u3000x\\u3000'|trim }}",
         "{}",
         .text("11 ['a\\r', 'b'] 1 x")),
    ]

    func render(_ source: String, _ vars: [String: JinjaValue] = [:], limits: JinjaLimits = JinjaLimits()) throws -> String {
        try JinjaTemplate(source, limits: limits).render(vars, now: JinjaDate(year: 2026, month: 1, day: 15))
    }

    func testAgainstJinja2() throws {
        for (source, json, expect) in Self.jinja2Cases {
            guard case .dict(let d) = try JinjaValue.parseJSON(json) else { XCTFail("bad vars"); continue }
            var vars: [String: JinjaValue] = [:]
            for (k, v) in d.entries { vars[k.value.pythonString] = v }
            switch expect {
            case .text(let want):
                XCTAssertEqual(try render(source, vars), want, source)
            case .raised(let message):
                XCTAssertThrowsError(try render(source, vars), source) { XCTAssertEqual($0 as? JinjaError, .raised(message)) }
            case .failure:
                XCTAssertThrowsError(try render(source, vars), source)
            }
        }
    }

    func testToJSONTakesTransformersArgumentsInOrder() throws {
        // json.dumps({'b': 'é', 'a': 1}, True, 1, None, True), as transformers' tojson passes them.
        XCTAssertEqual(try render("{{ d|tojson(true, 1, none, true) }}", ["d": ["b": "é", "a": 1]]),
                       "{\n \"a\": 1,\n \"b\": \"\\u00e9\"\n}")
        XCTAssertEqual(try render("{{ d|tojson(indent=2, sort_keys=true) }}", ["d": ["b": 1, "a": []]]),
                       "{\n  \"a\": [],\n  \"b\": 1\n}")
    }

    // MARK: - Errors

    func testSyntaxErrorsNameTheLine() {
        for (source, line) in [("a\n{% if x %}b", 2), ("{{ 1 + }}", 1), ("x\ny\n{% for %}", 3), ("{% endif %}", 1),
                               ("{{ 'abc }}", 1), ("{% frobnicate %}", 1), ("{# never closed", 1)] {
            XCTAssertThrowsError(try JinjaTemplate(source), source) { e in
                guard case .syntax(_, let l)? = e as? JinjaError else { return XCTFail("\(source): \(e)") }
                XCTAssertEqual(l, line, source)
            }
        }
    }

    func testUndefinedIsLenientUntilItsAttributesAreRead() throws {
        XCTAssertEqual(try render("[{{ nope }}]{{ nope is defined }}{% for x in nope %}x{% endfor %}{{ nope|length }}"), "[]False0")
        XCTAssertThrowsError(try render("{{ nope.attr }}")) { XCTAssertEqual($0 as? JinjaError, .runtime("'nope' is undefined")) }
        XCTAssertThrowsError(try render("{{ m.content.strip() }}", ["m": ["role": "user"]])) {
            XCTAssertEqual($0 as? JinjaError, .runtime("'dict object' has no attribute 'content'"))
        }
        XCTAssertThrowsError(try render("{{ 'a' + 1 }}"))
        XCTAssertThrowsError(try render("{{ x|nosuchfilter }}")) { XCTAssertEqual($0 as? JinjaError, .runtime("no filter named 'nosuchfilter'")) }
    }

    func testMessageTextIsDataNeverTemplate() throws {
        let text = "{{ 7 * 6 }} {% raise_exception('no') %} {# c #}"
        XCTAssertEqual(try render("{{ m }}", ["m": .string(text)]), text)
    }

    // MARK: - Sandbox

    func testTemplatesSeeNoFilesEnvironmentOrPython() throws {
        // Jinja2 sandbox escapes go nowhere: there are no such attributes, functions or filters.
        XCTAssertEqual(try render("{{ ''.__class__ }}{{ self }}{{ config }}{{ request }}{{ cycler }}"), "")
        XCTAssertThrowsError(try render("{{ ''.__class__.__mro__ }}"))
        XCTAssertThrowsError(try render("{{ open('/etc/passwd') }}"))
        XCTAssertThrowsError(try render("{% include '/etc/passwd' %}"))
        XCTAssertThrowsError(try render("{% import 'os' as os %}"))
        XCTAssertThrowsError(try render("{{ lipsum() }}"))
        XCTAssertThrowsError(try render("{{ env('HOME') }}"))
        // Values passed in cannot be changed (the immutable sandbox): no append, pop or update.
        XCTAssertThrowsError(try render("{{ xs.append(1) }}", ["xs": [1]]))
        XCTAssertThrowsError(try render("{{ d.update({'a': 2}) }}", ["d": ["a": 1]]))
    }

    // MARK: - Limits

    func testRunawayLoopStopsAtTheStepLimit() {
        let limits = JinjaLimits(maxSteps: 20_000)
        let source = "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}"
        XCTAssertThrowsError(try render(source, limits: limits)) {
            XCTAssertEqual($0 as? JinjaError, .limitExceeded(.steps, limit: 20_000))
            XCTAssert("\($0)".contains("steps limit"))
        }
        XCTAssertThrowsError(try render("{{ range(100000000000)|length }}"))
    }

    func testRunawayRenderStopsAtTheTimeLimit() {
        // A step budget too large to matter: only the clock stops it.
        let limits = JinjaLimits(maxSteps: .max, maxMilliseconds: 50)
        let source = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
        XCTAssertThrowsError(try render(source, limits: limits)) {
            XCTAssertEqual($0 as? JinjaError, .limitExceeded(.time, limit: 50))
        }
    }

    func testUnboundedRecursionStopsAtTheDepthLimit() {
        let source = "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"
        XCTAssertThrowsError(try render(source)) {
            XCTAssertEqual($0 as? JinjaError, .limitExceeded(.depth, limit: JinjaLimits().maxDepth))
            XCTAssert("\($0)".contains("depth limit"))
        }
        // Deep nesting in the source is refused by the parser, before any recursion blows the stack.
        let deep = "{{ " + String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000) + " }}"
        XCTAssertThrowsError(try JinjaTemplate(deep)) { XCTAssertEqual($0 as? JinjaError, .limitExceeded(.depth, limit: 200)) }
        let nested = String(repeating: "{% if true %}", count: 10_000) + String(repeating: "{% endif %}", count: 10_000)
        XCTAssertThrowsError(try JinjaTemplate(nested)) { XCTAssertEqual($0 as? JinjaError, .limitExceeded(.depth, limit: 200)) }
    }

    func testGrowingOutputStopsAtTheSizeLimit() {
        let limits = JinjaLimits(maxOutputBytes: 1 << 20)
        XCTAssertThrowsError(try render("{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}", limits: limits)) {
            XCTAssertEqual($0 as? JinjaError, .limitExceeded(.outputSize, limit: 1 << 20))
        }
        // A single huge string is refused before it is built.
        XCTAssertThrowsError(try render("{{ 'x' * 1000000000000 }}", limits: limits)) {
            XCTAssertEqual($0 as? JinjaError, .limitExceeded(.outputSize, limit: 1 << 20))
        }
        // Doubling a string in a namespace: exponential growth, stopped at the size limit.
        let doubling = "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}"
        XCTAssertThrowsError(try render(doubling, limits: limits)) {
            XCTAssertEqual($0 as? JinjaError, .limitExceeded(.outputSize, limit: 1 << 20))
        }
        XCTAssertThrowsError(try JinjaTemplate(String(repeating: "x", count: 100), limits: JinjaLimits(maxSourceBytes: 10))) {
            XCTAssertEqual($0 as? JinjaError, .limitExceeded(.sourceSize, limit: 10))
        }
    }

    func testValuesCannotNestWithoutBoundOrContainThemselves() {
        let wrap = "{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x }}"
        XCTAssertThrowsError(try render(wrap)) { XCTAssertEqual($0 as? JinjaError, .limitExceeded(.depth, limit: 512)) }
        let chain = "{% set h = namespace(n=none) %}{% for i in range(100000) %}{% set h.n = namespace(p=h.n) %}{% endfor %}"
        XCTAssertThrowsError(try render(chain)) { XCTAssertEqual($0 as? JinjaError, .limitExceeded(.depth, limit: 512)) }
        XCTAssertThrowsError(try render("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}"))
        XCTAssertThrowsError(try render("{% set ns = namespace(l=[]) %}{% set ns.l = [1, [ns]] %}"))
        // Arithmetic at the edges of Int is an error or a float, never a trap.
        XCTAssertEqual(try render("{{ -9223372036854775807 - 1 }}"), "-9223372036854775808")
        XCTAssertThrowsError(try render("{{ 9223372036854775807 + 1 }}"))
        XCTAssertEqual(try render("{{ (-9223372036854775807 - 1) % -1 }}"), "0")
        XCTAssertThrowsError(try render("{{ (-9223372036854775807 - 1) // -1 }}"))
        XCTAssertEqual(try render("{{ [1, 2, 3][::9223372036854775807] }}"), "[1]")
        XCTAssertThrowsError(try render("{{ '1'|int(base=99) }}"))
    }

    // MARK: - JSON

    func testJSONKeepsKeyOrderAndIntegers() throws {
        let v = try JinjaValue.parseJSON(#"{"z": 1, "a": [1.5, 2, null, true, "\u00e9\ud83d\ude00"]}"#)
        XCTAssertEqual(try v.toJSON(), #"{"z": 1, "a": [1.5, 2, null, true, "é😀"]}"#)
        XCTAssertEqual(try v.toJSON(ensureASCII: true), #"{"z": 1, "a": [1.5, 2, null, true, "\u00e9\ud83d\ude00"]}"#)
        XCTAssertThrowsError(try JinjaValue.parseJSON("{\"a\": }")) { e in
            guard case .json(_, line: 1)? = e as? JinjaError else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try JinjaValue.parseJSON(String(repeating: "[", count: 10_000)))
    }
}
