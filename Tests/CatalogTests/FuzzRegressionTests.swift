import XCTest
@testable import Catalog

/// Inputs found by `make fuzz` (FuzzCatalog), minimized, each with the fix it needed.
final class CatalogFuzzRegressionTests: XCTestCase {
    /// FuzzCatalog crash: toml++ (under TOMLKit) aborted the process with a failed assertion in
    /// `parse_key()` on a table header whose first character cannot start a key. The minimized
    /// input is the two bytes `[~` (5B 7E). Fix: `TOMLPrecheck` refuses such headers first.
    func testTableHeaderThatCannotStartAKeyIsAnErrorNotAnAbort() {
        let minimized = String(decoding: [0x5B, 0x7E] as [UInt8], as: UTF8.self)
        let inputs: [(String, Int)] = [
            (minimized, 1), ("default = \"m\"\n[~/dels.m]\n", 2), ("[ \t\u{4}x]", 1), ("\n\n  [[ é ]]", 3),
            ("[\n", 1), ("[[\r\n", 1), ("a = 1\n[\u{7F}", 2),
        ]
        for (text, line) in inputs {
            XCTAssertThrowsError(try Catalog.parse(text: text, path: "m.toml"), "\(Array(text.utf8))") { e in
                let e = e as? CatalogError
                XCTAssertEqual(e?.line, line, "\(Array(text.utf8))")
                XCTAssertTrue(e?.message.contains("header must start with a key") ?? false, "\(String(describing: e))")
            }
        }
    }

    /// FuzzCatalog crash: toml++ failed `parse_value()`'s assertion on an array value starting
    /// with `}`. Minimized input: `i=[}` (69 3D 5B 7D). Fix: `TOMLPrecheck` refuses it first.
    func testArrayValueStartingWithABraceIsAnErrorNotAnAbort() {
        let minimized = String(decoding: [0x69, 0x3D, 0x5B, 0x7D] as [UInt8], as: UTF8.self)
        let inputs: [(String, Int)] = [
            (minimized, 1), ("a = [1,\n # c\n }", 3), ("a = [\u{2028}]", 1), ("a = [ [ \u{85} ] ]", 1),
        ]
        for (text, line) in inputs {
            XCTAssertThrowsError(try Catalog.parse(text: text, path: "m.toml"), "\(Array(text.utf8))") { e in
                XCTAssertEqual((e as? CatalogError)?.line, line, "\(Array(text.utf8))")
            }
        }
    }

    func testPrecheckLeavesValidTOMLAlone() {
        let valid = [
            "[a]\n", "[ 'b c' ]\n", "[[c]]\n", "[\"e\".f]\n", "[_-9]", "x = [\n  [1, 2],\n  ['s'],\n]\n",
            "# [~ in a comment\n", "k = \"[~\"\n", "", "s = \"\"\"\n[~ }\n\"\"\"\n[t]\n", "s = '''\n[~\n'''\n",
            "a = [ { x = 1 }, {} ]\n", "t = { a = [1], b = \"}\" }\n", "c = \"\u{2028}\" # \u{2029}\n",
            "x = [\n  [{ a = 1 }],\n]\n", "e = \"a\\\"[~\"\n[t]\n",
        ]
        for text in valid {
            XCTAssertNil(TOMLPrecheck.problem(in: text), text)
        }
    }
}
