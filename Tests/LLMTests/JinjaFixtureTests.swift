import Foundation
import XCTest
import TestSupport
@testable import LLM

/// `../shared/fixtures/templates/`: 16 real chat templates, 6 conversations each, rendered by
/// Jinja2 as transformers' `apply_chat_template` does. Every case must match byte for byte.
final class JinjaFixtureTests: XCTestCase {
    /// One case of `cases.json`, read with its key order kept.
    struct Case {
        let id: String
        let template: String
        let variables: [String: JinjaValue]
        let expected: String?
        let error: String?
    }

    static func loadCases() throws -> (URL, [Case]) {
        let url = try Fixtures.require("templates/cases.json")
        let root = try JinjaValue.parseJSON(String(decoding: try Data(contentsOf: url), as: UTF8.self))
        guard case .dict(let top) = root, case .list(let cases)? = top["cases"] else {
            throw TestEnvironment.missing("templates/cases.json has no cases list")
        }
        var out: [Case] = []
        for c in cases {
            guard case .dict(let d) = c, let id = d["id"]?.stringValue, let file = d["template"]?.stringValue else {
                XCTFail("templates/cases.json: a case without id or template"); continue
            }
            var vars: [String: JinjaValue] = [
                "messages": d["messages"] ?? .list([]),
                "add_generation_prompt": d["add_generation_prompt"] ?? .bool(false),
                "bos_token": d["bos_token"] ?? .string(""),
                "eos_token": d["eos_token"] ?? .string(""),
            ]
            if case .dict(let extra)? = d["variables"] {
                for (k, v) in extra.entries { vars[k.value.pythonString] = v }
            }
            out.append(Case(id: id, template: file, variables: vars, expected: d["expected"]?.stringValue,
                            error: d["error"]?.stringValue))
        }
        return (url.deletingLastPathComponent(), out)
    }

    /// Where two renderings first differ, with the text around it.
    static func firstDifference(_ got: String, _ want: String) -> String {
        let a = Array(got.utf8), b = Array(want.utf8)
        var i = 0
        while i < a.count, i < b.count, a[i] == b[i] { i += 1 }
        func around(_ x: [UInt8]) -> String {
            let s = max(0, i - 40)
            return String(decoding: x[s ..< min(x.count, i + 40)], as: UTF8.self).debugDescription
        }
        return "first difference at byte \(i) (got \(a.count) bytes, expected \(b.count)):\n  got      \(around(a))\n  expected \(around(b))"
    }

    func testEveryTemplateCaseRendersAsTransformers() throws {
        let (dir, cases) = try Self.loadCases()
        XCTAssertEqual(cases.count, 96, "templates/cases.json should hold 16 templates x 6 cases")
        var parsed: [String: JinjaTemplate] = [:]
        var failures: [String] = []
        var matched = 0, raised = 0
        let date = JinjaDate(year: 2026, month: 1, day: 15)
        for c in cases {
            do {
                let t: JinjaTemplate
                if let p = parsed[c.template] {
                    t = p
                } else {
                    let source = String(decoding: try Data(contentsOf: dir.appendingPathComponent(c.template)), as: UTF8.self)
                    t = try JinjaTemplate(source)
                    parsed[c.template] = t
                }
                let out = try t.render(c.variables, now: date)
                if let want = c.expected {
                    if !out.utf8.elementsEqual(want.utf8) {
                        failures.append("\(c.id): \(Self.firstDifference(out, want))")
                    } else {
                        matched += 1
                    }
                } else {
                    failures.append("\(c.id): rendered, but the reference raised \"\(c.error ?? "?")\"")
                }
            } catch JinjaError.raised(let message) where c.error != nil {
                if message != c.error { failures.append("\(c.id): raised \"\(message)\", expected \"\(c.error!)\"") } else { raised += 1 }
            } catch {
                failures.append("\(c.id): \(error)")
            }
        }
        XCTAssertEqual(parsed.count, 16)
        XCTAssertEqual(matched + raised, cases.count)
        print("templates: \(matched) cases byte-identical, \(raised) raised as recorded, \(failures.count) failed")
        XCTAssert(failures.isEmpty, "\(failures.count) of \(cases.count) cases differ:\n" + failures.joined(separator: "\n"))
    }
}
