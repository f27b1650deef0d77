import Foundation
import GGUF
import XCTest
@testable import LLM

/// The model's own template through the interpreter inside `ChatTemplate`: fallback to the
/// family with a warning, BOS handling, reasoning passed as `reasoning_content`.
final class ChatTemplateJinjaTests: XCTestCase {
    func fixtureTemplate(_ name: String) throws -> String {
        String(decoding: try Data(contentsOf: try Fixtures.require("templates/\(name).jinja")), as: UTF8.self)
    }

    func testTemplateThatFailsToParseFallsBackToTheFamilyWithAWarning() {
        var t = ChatTemplate(family: .chatml, source: .templateText)
        t.attachJinja("<|im_start|>{% for m in messages %}{{ m.content }")
        XCTAssertNil(t.jinja)
        let w = try? XCTUnwrap(t.warning)
        XCTAssertTrue(w?.contains("could not be used") ?? false, w ?? "")
        XCTAssertTrue(w?.contains("line 1") ?? false, w ?? "")
        XCTAssertTrue(w?.contains("chatml") ?? false, w ?? "")
        XCTAssertFalse(w?.contains("\n") ?? true, "one line")
        XCTAssertEqual(t.render([.user("Hi")], addGenerationPrompt: true),
                       "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    }

    func testTemplateThatFailsOnEveryConversationFallsBackAtLoad() {
        var t = ChatTemplate(family: .chatml, source: .templateText)
        t.attachJinja("{{ messages[0].content.nosuchmethod() }}")
        XCTAssertNil(t.jinja)
        XCTAssertTrue(t.warning?.contains("nosuchmethod") ?? false, t.warning ?? "")
        // A deliberate refusal of the probe conversation keeps the template; that render falls back.
        t.attachJinja("{% if messages|length < 2 %}{{ raise_exception('needs two') }}{% endif %}ok")
        XCTAssertNotNil(t.jinja)
        XCTAssertEqual(t.renderReporting([.user("a"), .user("b")], addGenerationPrompt: true).text, "ok")
        XCTAssertTrue(t.renderReporting([.user("a")], addGenerationPrompt: true).warning?.contains("needs two") ?? false)
        // A template that recurses forever is stopped by its limits, then falls back.
        t.attachJinja("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}")
        XCTAssertNil(t.jinja)
        XCTAssertTrue(t.warning?.contains("limit") ?? false, t.warning ?? "")
    }

    func testTemplateThatRaisesOnOneConversationFallsBackForThatOne() throws {
        // Gemma 2 refuses a system message; the family format folds it into the user turn.
        var t = ChatTemplate(family: .gemma, source: .templateText)
        t.bosToken = "<bos>"
        t.attachJinja(try fixtureTemplate("google-gemma-2-2b-it"))
        XCTAssertNotNil(t.jinja)
        XCTAssertNil(t.warning)
        let plain = t.renderReporting([.user("Hi")], addGenerationPrompt: true)
        XCTAssertNil(plain.warning)
        XCTAssertEqual(plain.text, "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n", "BOS left to the tokenizer")
        let withSystem = t.renderReporting([.system("Be brief."), .user("Hi")], addGenerationPrompt: true)
        XCTAssertEqual(withSystem.text, "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\n")
        XCTAssertTrue(withSystem.warning?.contains("System role not supported") ?? false, withSystem.warning ?? "")
    }

    func testLeadingBOSIsKeptOnlyWhenTheTokenizerDoesNotAddIt() throws {
        var t = ChatTemplate(family: .llama3, source: .templateText)
        t.bosToken = "<|begin_of_text|>"
        t.attachJinja(try fixtureTemplate("meta-llama-Llama-3.1-8B-Instruct"))
        let date = JinjaDate(year: 2026, month: 1, day: 15)
        let stripped = try t.renderModelTemplate([.user("Hi")], addGenerationPrompt: true, now: date)
        XCTAssertTrue(stripped.hasPrefix("<|start_header_id|>system"), stripped)
        XCTAssertTrue(try t.renderModelTemplate([.user("Hi")], addGenerationPrompt: true, keepingBOS: true, now: date)
            .hasPrefix("<|begin_of_text|><|start_header_id|>"))
        t.tokenizerAddsBOS = false
        XCTAssertTrue(try t.renderModelTemplate([.user("Hi")], addGenerationPrompt: true, now: date).hasPrefix("<|begin_of_text|>"))
    }

    func testReasoningReachesTheTemplateAndThinkingSwitches() throws {
        var t = ChatTemplate(family: .chatml, source: .templateText)
        t.attachJinja(try fixtureTemplate("Qwen-Qwen3-0.6B"))
        let reply = ReasonedReply("<think>\n17 x 23: 17 x 20 + 17 x 3.\n</think>\n\n391.")
        XCTAssertEqual(reply.reasoning, "17 x 23: 17 x 20 + 17 x 3.\n")
        XCTAssertEqual(reply.answer, "391.")
        // Qwen3 prints reasoning_content of the last assistant turn and drops it from earlier ones.
        let last = t.render([.user("17 x 23?"), reply.message], addGenerationPrompt: false)
        XCTAssertTrue(last.contains("<think>\n17 x 23: 17 x 20 + 17 x 3.\n</think>\n\n391."), last)
        let earlier = t.render([.user("17 x 23?"), reply.message, .user("Thanks")], addGenerationPrompt: true)
        XCTAssertFalse(earlier.contains("17 x 20"), earlier)
        // enable_thinking = false closes the thinking block in the generation prompt.
        XCTAssertTrue(t.render([.user("Hi")], addGenerationPrompt: true, variables: ["enable_thinking": false])
            .hasSuffix("<|im_start|>assistant\n<think>\n\n</think>\n\n"))
        XCTAssertTrue(t.render([.user("Hi")], addGenerationPrompt: true).hasSuffix("<|im_start|>assistant\n"))
        XCTAssertTrue(t.hasThinkingSwitch)
        var smol = ChatTemplate(family: .chatml, source: .templateText)
        smol.attachJinja(try fixtureTemplate("Qwen-Qwen2.5-7B-Instruct"))
        XCTAssertFalse(smol.hasThinkingSwitch)
    }

    // MARK: - Real models

    func testSmolLM2RendersItsOwnTemplateWithTheDefaultSystemPrompt() throws {
        let file = try GGUFFile(path: try Fixtures.model("SmolLM2-135M-Instruct.Q4_1.gguf"))
        let t = try ChatTemplate(file: file)
        XCTAssertNotNil(t.jinja, t.warning ?? "")
        XCTAssertNil(t.warning)
        let expected = "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
            + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"
        XCTAssertEqual(try t.renderModelTemplate([.user("What is 2+2?")], addGenerationPrompt: true), expected)
        // The interpreter and the family format agree on this template.
        let chat: [ChatMessage] = [.system("Be terse."), .user("Hi"), .assistant("Hello."), .user("Bye")]
        XCTAssertEqual(try t.renderModelTemplate(chat, addGenerationPrompt: true), t.renderFamily(chat, addGenerationPrompt: true))
        // A forced family ignores the model's template.
        let forced = try ChatTemplate(file: file, override: "llama3")
        XCTAssertNil(forced.jinja)
        XCTAssertEqual(forced.family, .llama3)
    }

    func testGemma3BaseHasNoTemplateAndUsesItsFamily() throws {
        let file = try GGUFFile(path: try Fixtures.model("gemma-3-270m-q4_k_m.gguf"))
        let t = try ChatTemplate(file: file)
        if file.metadata["tokenizer.chat_template"]?.stringValue == nil {
            XCTAssertNil(t.jinja)
            XCTAssertEqual(t.family, .gemma)
            XCTAssertEqual(t.render([.user("Hi")], addGenerationPrompt: true), "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n")
        } else {
            XCTAssertNotNil(t.jinja, t.warning ?? "")
        }
    }
}
