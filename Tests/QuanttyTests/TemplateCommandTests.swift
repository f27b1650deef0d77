import Foundation
import XCTest
import TestSupport

/// `quantty template` through the real binary: fixture templates, the model's own template,
/// and clear errors for bad input.
final class TemplateCommandTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("quantty-template-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let u = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: u)
        return u.path
    }

    func fixture(_ relative: String) throws -> String {
        let path = CLI.fixtures + "/" + relative
        guard FileManager.default.fileExists(atPath: path) else { throw TestEnvironment.missing("\(path) is absent") }
        return path
    }

    func testQwen3CaseMatchesTransformers() throws {
        // cases.json's Qwen3 f case: reasoning in the history, enable_thinking false.
        let casesPath = try fixture("templates/cases.json")
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: casesPath))) as? [String: Any])
        let cases = try XCTUnwrap(root["cases"] as? [[String: Any]])
        let c = try XCTUnwrap(cases.first { ($0["id"] as? String) == "Qwen-Qwen3-0.6B/f_reasoning" })
        let messages = try write("m.json", String(decoding: try JSONSerialization.data(withJSONObject: c["messages"]!), as: UTF8.self))
        let r = try CLI.run(["template", "--template", try fixture("templates/Qwen-Qwen3-0.6B.jinja"), "--messages", messages,
                             "--var", "enable_thinking=false", "--var", "tools=null"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, c["expected"] as? String)
    }

    func testGenerationPromptBOSAndVariables() throws {
        let messages = try write("m.json", #"[{"role": "user", "content": "Hi"}]"#)
        let tmpl = try write("t.jinja", "{{ bos_token }}{% for m in messages %}[{{ m.role }}:{{ m.content }}]{% endfor %}"
            + "{% if add_generation_prompt %}>{% endif %}{{ extra | tojson }}{{ eos_token }}\n")
        let r = try CLI.run(["template", "--template", tmpl, "--messages", messages, "--bos", "<s>", "--eos", "</s>",
                             "--var", #"extra={"b": [1, "é"], "a": null}"#])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, #"<s>[user:Hi]>{"b": [1, "é"], "a": null}</s>"#)
        let n = try CLI.run(["template", "--template", tmpl, "--messages", messages, "--no-generation-prompt", "--var", "extra=1"])
        XCTAssertEqual(n.status, 0, n.stderr)
        XCTAssertEqual(n.stdout, "[user:Hi]1")
        // Undefined `extra` cannot be turned into JSON, as in Jinja2.
        let u = try CLI.run(["template", "--template", tmpl, "--messages", messages])
        XCTAssertEqual(u.status, 1)
        XCTAssertTrue(u.stderr.contains("not JSON serializable"), u.stderr)
    }

    func testSmolLM2TemplateInjectsItsSystemPrompt() throws {
        let model = try CLI.requireModel(CLI.smolFile)
        let messages = try write("m.json", #"[{"role": "user", "content": "What is 2+2?"}]"#)
        let r = try CLI.run(["template", "-m", model, "--messages", messages])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
            + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n")
        XCTAssertEqual(r.stderr, "")
    }

    func testBadInputIsNamed() throws {
        let messages = try write("m.json", #"[{"role": "user", "content": "Hi"}]"#)
        let gemma2 = try fixture("templates/google-gemma-2-2b-it.jinja")
        let system = try write("s.json", #"[{"role": "system", "content": "x"}, {"role": "user", "content": "Hi"}]"#)
        let raised = try CLI.run(["template", "--template", gemma2, "--messages", system])
        XCTAssertEqual(raised.status, 1)
        XCTAssertTrue(raised.stderr.contains("System role not supported") && raised.stderr.contains(gemma2), raised.stderr)

        let broken = try write("broken.jinja", "line one\n{% if x %}never closed")
        let syntax = try CLI.run(["template", "--template", broken, "--messages", messages])
        XCTAssertEqual(syntax.status, 1)
        XCTAssertTrue(syntax.stderr.contains(broken) && syntax.stderr.contains("line 2"), syntax.stderr)

        let badJSON = try write("bad.json", "[{\"role\": \"user\",\n \"content\": }]")
        let json = try CLI.run(["template", "--template", gemma2, "--messages", badJSON])
        XCTAssertEqual(json.status, 1)
        XCTAssertTrue(json.stderr.contains(badJSON) && json.stderr.contains("line 2"), json.stderr)

        let noRole = try write("norole.json", #"[{"content": "Hi"}]"#)
        let role = try CLI.run(["template", "--template", gemma2, "--messages", noRole])
        XCTAssertTrue(role.stderr.contains("message 0") && role.stderr.contains("role"), role.stderr)

        let badVar = try CLI.run(["template", "--template", gemma2, "--messages", messages, "--var", "enable_thinking=flase"])
        XCTAssertEqual(badVar.status, 1)
        XCTAssertTrue(badVar.stderr.contains("--var enable_thinking=flase"), badVar.stderr)

        let both = try CLI.run(["template", "--messages", messages])
        XCTAssertNotEqual(both.status, 0)
        XCTAssertTrue(both.stderr.contains("-m MODEL") && both.stderr.contains("--template FILE"), both.stderr)

        let missing = try CLI.run(["template", "--template", dir.appendingPathComponent("nope.jinja").path, "--messages", messages])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("nope.jinja"), missing.stderr)
    }

    func testRunawayTemplateStopsWithTheLimitNamed() throws {
        let messages = try write("m.json", #"[{"role": "user", "content": "Hi"}]"#)
        let tmpl = try write("loop.jinja", "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}")
        let r = try CLI.run(["template", "--template", tmpl, "--messages", messages])
        XCTAssertEqual(r.status, 1)
        XCTAssertFalse(r.uncaughtSignal)
        XCTAssertTrue(r.stderr.contains("depth limit"), r.stderr)
    }
}

/// `run`: a thinking model's reasoning goes to stderr (nowhere with `--no-thinking`), the
/// answer to stdout. SmolLM2 does not think by itself; a raw prompt ending in `<think>` puts
/// its reply inside the reasoning, as R1's generation prompt does.
final class RunThinkingTests: XCTestCase {
    func testReasoningGoesToStderrOrNowhere() throws {
        _ = try CLI.requireModel(CLI.smolFile)
        let args = ["run", "-m", "smollm2-135m-instruct", "-p", "Question: what is 2+2? Think step by step.<think>",
                    "-n", "12", "--temp", "0"]
        let json = try CLI.run(args + ["--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let text = try XCTUnwrap(o["text"] as? String)
        let reasoning = try XCTUnwrap(o["reasoning"] as? String, "the reply started inside <think>")
        XCTAssertFalse(reasoning.isEmpty)
        XCTAssertTrue(text.contains(reasoning.trimmingCharacters(in: .whitespacesAndNewlines)), text)

        let shown = try CLI.run(args)
        XCTAssertEqual(shown.status, 0, shown.stderr)
        XCTAssertTrue(shown.stderr.hasPrefix(reasoning), shown.stderr)
        let hidden = try CLI.run(args + ["--no-thinking"])
        XCTAssertEqual(hidden.status, 0, hidden.stderr)
        XCTAssertFalse(hidden.stderr.contains(reasoning), hidden.stderr)
        XCTAssertTrue(hidden.stderr.contains("tok/s"), hidden.stderr)
        // Whatever followed a </think> is the answer, on stdout in both runs.
        XCTAssertEqual(shown.stdout, hidden.stdout)
    }

    func testChatWithoutThinkingIsUnchanged() throws {
        _ = try CLI.requireModel(CLI.smolFile)
        let args = ["run", "--chat", "-m", "smollm2-135m-instruct", "-p", "What is the capital of France?", "-n", "16", "--temp", "0"]
        let plain = try CLI.run(args)
        let flagged = try CLI.run(args + ["--no-thinking"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertEqual(plain.stdout, flagged.stdout, "SmolLM2's template ignores enable_thinking")
        XCTAssertTrue(plain.stdout.contains("Paris"), plain.stdout)
        XCTAssertFalse(plain.stderr.contains("warning"), plain.stderr)
    }
}
