import Foundation
import XCTest
import TestSupport

/// `run`, `tokenize` and `perplexity` through the real binary on the real models.
final class InferenceCommandTests: XCTestCase {
    func json(_ s: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any], s)
    }

    func testChatAnswersTheCapitalOfFrance() throws {
        _ = try CLI.requireModel(CLI.smolFile)
        let r = try CLI.run(["run", "--chat", "-m", "smollm2-135m-instruct", "-p", "What is the capital of France?",
                             "-n", "48", "--temp", "0", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try json(r.stdout)
        let text = try XCTUnwrap(o["text"] as? String)
        XCTAssertTrue(text.contains("Paris"), text)
        let ids = try XCTUnwrap(o["tokens"] as? [Int])
        let lps = try XCTUnwrap(o["logprobs"] as? [Double])
        XCTAssertEqual(ids.count, lps.count)
        XCTAssertFalse(ids.isEmpty)
        XCTAssertTrue(lps.allSatisfy { $0 <= 0 })
        let stats = try XCTUnwrap(o["stats"] as? [String: Any])
        XCTAssertGreaterThan(stats["promptTokens"] as? Int ?? 0, 20, "the template and system prompt were applied")
    }

    func testRunStreamsPlainText() throws {
        _ = try CLI.requireModel(CLI.smolFile)
        let r = try CLI.run(["run", "-p", "Once upon a time", "-n", "8", "--temp", "0"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        XCTAssertTrue(r.stderr.contains("tok/s"), r.stderr)
    }

    func testTokenizeMatchesLlamaCpp() throws {
        _ = try CLI.requireModel(CLI.smolFile)
        let path = CLI.fixtures + "/tokenizer/smollm2.json"
        guard let data = FileManager.default.contents(atPath: path) else { throw TestEnvironment.missing("\(path) is absent") }
        let fixture = try json(String(decoding: data, as: UTF8.self))
        let cases = try XCTUnwrap(fixture["cases"] as? [[String: Any]])
        for c in cases.prefix(6) {
            let text = try XCTUnwrap(c["text"] as? String)
            var args = ["tokenize", "-m", "smollm2-135m-instruct", "--json"]
            if c["add_special"] as? Bool == false { args.append("--no-add-special") }
            if c["parse_special"] as? Bool == false { args.append("--no-parse-special") }
            args += ["--", text]
            let r = try CLI.run(args)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(try json(r.stdout)["ids"] as? [Int], c["ids"] as? [Int], "text: \(text)")
        }
    }

    func testPerplexityMatchesLlamaCpp() throws {
        _ = try CLI.requireModel(CLI.smolFile)
        let text = CLI.fixtures + "/perplexity/gpl3.txt"
        guard FileManager.default.fileExists(atPath: text) else { throw TestEnvironment.missing("\(text) is absent") }
        let r = try CLI.run(["perplexity", "-m", "smollm2-135m-instruct", "-f", text, "-c", "256", "--json"], timeout: 900)
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try json(r.stdout)
        XCTAssertEqual(o["chunks"] as? Int, 29)
        XCTAssertEqual(o["n_ctx"] as? Int, 256)
        XCTAssertEqual(o["tokens_scored"] as? Int, 29 * 127)
        let ppl = try XCTUnwrap(o["ppl"] as? Double)
        XCTAssertEqual(ppl, 20.8565, accuracy: 20.8565 * 0.01, "llama.cpp: 20.8565")
        XCTAssertGreaterThan(o["ppl_err"] as? Double ?? 0, 0)
    }

    func testBadRequestsAreMessages() throws {
        _ = try CLI.requireModel(CLI.smolFile)
        let cases: [([String], String)] = [
            (["run", "-p", "x", "--temp=-1"], "--temp -1.0 is out of range: expected 0...100"),
            (["run", "-m", "smollm2-135m-instruct:Q9_9", "-p", "x"], "has no level 'Q9_9'"),
            (["run", "-p", String(repeating: "word ", count: 3000), "-c", "256"], "more than the context"),
            (["perplexity", "-f", "/nonexistent.txt"], "cannot read /nonexistent.txt"),
        ]
        for (args, expected) in cases {
            let r = try CLI.run(args)
            XCTAssertFalse(r.uncaughtSignal, "\(args.prefix(4)) died by a signal")
            XCTAssertEqual(r.status, 1, "\(args.prefix(4)): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(expected), "\(args.prefix(4)): expected '\(expected)' in \(r.stderr)")
        }
    }
}
