import XCTest
import TestSupport
import GGUF
@testable import LLM

/// llama.cpp's `tests/test-chat-template.cpp` conversation: a system prompt, three user turns,
/// two replies (one padded with spaces to show which formats trim).
private let conversation: [ChatMessage] = [
    .system("You are a helpful assistant"),
    .user("Hello"),
    .assistant("Hi there"),
    .user("Who are you"),
    .assistant("   I am an assistant   "),
    .user("Another question"),
]

/// The directory holding the test models, or nil.
private func modelsDirectory() -> String? {
    let env = ProcessInfo.processInfo.environment
    let cache = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache")
    return cache + "/quantty/models"
}

private func openModel(_ name: String) throws -> GGUFFile {
    let path = (modelsDirectory() ?? "") + "/" + name
    guard FileManager.default.fileExists(atPath: path) else {
        print("skipping: \(path) not found (download it to run this test)")
        throw TestEnvironment.missing("\(name) not found under \(modelsDirectory() ?? "?")")
    }
    return try GGUFFile(path: path)
}

final class ChatTemplateTests: XCTestCase {

    // MARK: Rendering: llama.cpp's expected strings

    /// Expected outputs of `llm_chat_apply_template` for `conversation` with the generation
    /// prompt, from llama.cpp's test-chat-template.cpp (and its code for the ones it does
    /// not list: llama2-sys, falcon3, zephyr).
    private let expected: [ChatTemplateFamily: String] = [
        .chatml: "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n<|im_start|>assistant\n   I am an assistant   <|im_end|>\n<|im_start|>user\nAnother question<|im_end|>\n<|im_start|>assistant\n",
        .phi4: "<|im_start|>system<|im_sep|>You are a helpful assistant<|im_end|><|im_start|>user<|im_sep|>Hello<|im_end|><|im_start|>assistant<|im_sep|>Hi there<|im_end|><|im_start|>user<|im_sep|>Who are you<|im_end|><|im_start|>assistant<|im_sep|>   I am an assistant   <|im_end|><|im_start|>user<|im_sep|>Another question<|im_end|><|im_start|>assistant<|im_sep|>",
        .llama2: "[INST] You are a helpful assistant\nHello [/INST]Hi there</s>[INST] Who are you [/INST]   I am an assistant   </s>[INST] Another question [/INST]",
        .llama2Sys: "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s>[INST] Who are you [/INST]   I am an assistant   </s>[INST] Another question [/INST]",
        .llama2SysBOS: "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s><s>[INST] Who are you [/INST]   I am an assistant   </s><s>[INST] Another question [/INST]",
        .llama2SysStrip: "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s>[INST] Who are you [/INST]I am an assistant</s>[INST] Another question [/INST]",
        .mistralV1: " [INST] You are a helpful assistant\n\nHello [/INST] Hi there</s> [INST] Who are you [/INST]    I am an assistant   </s> [INST] Another question [/INST]",
        .mistralV3: "[INST] You are a helpful assistant\n\nHello[/INST] Hi there</s>[INST] Who are you[/INST] I am an assistant</s>[INST] Another question[/INST]",
        .mistralV3Tekken: "[INST]You are a helpful assistant\n\nHello[/INST]Hi there</s>[INST]Who are you[/INST]   I am an assistant   </s>[INST]Another question[/INST]",
        .mistralV7: "[SYSTEM_PROMPT] You are a helpful assistant[/SYSTEM_PROMPT][INST] Hello[/INST] Hi there</s>[INST] Who are you[/INST]    I am an assistant   </s>[INST] Another question[/INST]",
        .mistralV7Tekken: "[SYSTEM_PROMPT]You are a helpful assistant[/SYSTEM_PROMPT][INST]Hello[/INST]Hi there</s>[INST]Who are you[/INST]   I am an assistant   </s>[INST]Another question[/INST]",
        .phi3: "<|system|>\nYou are a helpful assistant<|end|>\n<|user|>\nHello<|end|>\n<|assistant|>\nHi there<|end|>\n<|user|>\nWho are you<|end|>\n<|assistant|>\n   I am an assistant   <|end|>\n<|user|>\nAnother question<|end|>\n<|assistant|>\n",
        .falcon3: "<|system|>\nYou are a helpful assistant\n<|user|>\nHello\n<|assistant|>\nHi there\n<|user|>\nWho are you\n<|assistant|>\n   I am an assistant   \n<|user|>\nAnother question\n<|assistant|>\n",
        .zephyr: "<|system|>\nYou are a helpful assistant<|endoftext|>\n<|user|>\nHello<|endoftext|>\n<|assistant|>\nHi there<|endoftext|>\n<|user|>\nWho are you<|endoftext|>\n<|assistant|>\n   I am an assistant   <|endoftext|>\n<|user|>\nAnother question<|endoftext|>\n<|assistant|>\n",
        .gemma: "<start_of_turn>user\nYou are a helpful assistant\n\nHello<end_of_turn>\n<start_of_turn>model\nHi there<end_of_turn>\n<start_of_turn>user\nWho are you<end_of_turn>\n<start_of_turn>model\nI am an assistant<end_of_turn>\n<start_of_turn>user\nAnother question<end_of_turn>\n<start_of_turn>model\n",
        .llama3: "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWho are you<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nI am an assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnother question<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
    ]

    func testEveryFamilyRendersLlamaCppOutput() {
        XCTAssertEqual(Set(expected.keys), Set(ChatTemplateFamily.allCases), "a test string per family")
        for family in ChatTemplateFamily.allCases {
            let out = ChatTemplate(family: family).render(conversation, addGenerationPrompt: true)
            XCTAssertEqual(out, expected[family], "\(family.rawValue)")
        }
    }

    func testWithoutGenerationPrompt() {
        let chat: [ChatMessage] = [.user("Hi"), .assistant("Hello!")]
        XCTAssertEqual(ChatTemplate(family: .chatml).render(chat, addGenerationPrompt: false),
                       "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n")
        XCTAssertEqual(ChatTemplate(family: .gemma).render(chat, addGenerationPrompt: false),
                       "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n")
        XCTAssertEqual(ChatTemplate(family: .llama3).render(chat, addGenerationPrompt: false),
                       "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>")
        XCTAssertEqual(ChatTemplate(family: .phi3).render(chat, addGenerationPrompt: false),
                       "<|user|>\nHi<|end|>\n<|assistant|>\nHello!<|end|>\n")
        XCTAssertEqual(ChatTemplate(family: .zephyr).render(chat, addGenerationPrompt: false),
                       "<|user|>\nHi<|endoftext|>\n<|assistant|>\nHello!<|endoftext|>\n")
        // [INST] formats end user turns with the cue, so the flag changes nothing.
        for f in ChatTemplateFamily.allCases where !f.honorsGenerationPrompt {
            XCTAssertEqual(ChatTemplate(family: f).render(conversation, addGenerationPrompt: false), expected[f], f.rawValue)
        }
    }

    func testWithoutSystemMessage() {
        let chat: [ChatMessage] = [.user("Hi"), .assistant("Hello!"), .user("Bye")]
        XCTAssertEqual(ChatTemplate(family: .gemma).render(chat, addGenerationPrompt: true),
                       "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n")
        XCTAssertEqual(ChatTemplate(family: .llama2Sys).render(chat, addGenerationPrompt: true),
                       "[INST] Hi [/INST]Hello!</s>[INST] Bye [/INST]")
        XCTAssertEqual(ChatTemplate(family: .mistralV7).render(chat, addGenerationPrompt: true),
                       "[INST] Hi[/INST] Hello!</s>[INST] Bye[/INST]")
        XCTAssertEqual(ChatTemplate(family: .llama3).render([.user("  Hi \n")], addGenerationPrompt: true),
                       "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
    }

    func testGemmaFoldsSystemIntoFirstUserTurnOnly() {
        let chat: [ChatMessage] = [.system("  Be brief. "), .user("Q1"), .assistant("A1"), .user("Q2")]
        XCTAssertEqual(ChatTemplate(family: .gemma).render(chat, addGenerationPrompt: true),
                       "<start_of_turn>user\nBe brief.\n\nQ1<end_of_turn>\n<start_of_turn>model\nA1<end_of_turn>\n<start_of_turn>user\nQ2<end_of_turn>\n<start_of_turn>model\n")
    }

    func testZephyrUsesModelEOS() {
        var t = ChatTemplate(family: .zephyr)
        t.eosToken = "</s>"
        XCTAssertEqual(t.render([.user("Hi")], addGenerationPrompt: true), "<|user|>\nHi</s>\n<|assistant|>\n")
        XCTAssertEqual(t.endOfTurnStrings, ["</s>", "<|endoftext|>"])
    }

    func testEndOfTurnStrings() {
        XCTAssertEqual(ChatTemplateFamily.chatml.endOfTurnStrings, ["<|im_end|>"])
        XCTAssertEqual(ChatTemplateFamily.gemma.endOfTurnStrings, ["<end_of_turn>"])
        XCTAssertTrue(ChatTemplateFamily.llama3.endOfTurnStrings.contains("<|eot_id|>"))
        XCTAssertEqual(ChatTemplateFamily.llama2Sys.endOfTurnStrings, ["</s>"])
        XCTAssertTrue(ChatTemplateFamily.phi3.endOfTurnStrings.contains("<|end|>"))
        XCTAssertTrue(ChatTemplateFamily.zephyr.endOfTurnStrings.contains("</s>"))
        for f in ChatTemplateFamily.allCases { XCTAssertFalse(f.endOfTurnStrings.isEmpty, f.rawValue) }
    }

    // MARK: Detection from hand-written snippets of each family's template

    func testDetectionFromSnippets() {
        let cases: [(String, ChatTemplateFamily)] = [
            // teknium/OpenHermes-2.5-Mistral-7B
            (#"{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"#, .chatml),
            // Qwen2.5 (abridged)
            (#"{%- else %}{{- '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n' }}{%- endif %}"#, .chatml),
            // phi-4
            (#"{% for message in messages %}{% if (message['role'] == 'system') %}{{'<|im_start|>system<|im_sep|>' + message['content'] + '<|im_end|>'}}{% endif %}{% endfor %}"#, .phi4),
            // Mistral-7B-Instruct-v0.2 (old, no system prompt)
            (#"{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% endif %}{% endfor %}"#, .llama2),
            // Llama-2-chat style with <<SYS>>
            (#"{% if message['role'] == 'system' %}{{ '[INST] <<SYS>>\n' + message['content'] + '\n<</SYS>>\n\n' }}{% elif message['role'] == 'user' %}{{ message['content'] + ' [/INST]' }}{% endif %}"#, .llama2Sys),
            // TheBloke/FusionNet_34Bx2_MoE-AWQ
            (#"{{- bos_token + '[INST] ' + messages[idx]['content'] + ' [/INST]' -}}{{- '[INST] <<SYS>>\n' + messages[idx]['content'] + '\n<</SYS>>\n\n' -}}"#, .llama2SysBOS),
            // meta-llama/Llama-2-7b-chat-hf (abridged)
            (#"{% set content = '<<SYS>>\n' + system_message + '\n<</SYS>>\n\n' + message['content'] %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% endif %}"#, .llama2SysStrip),
            // Mistral 'v1' official
            (#"{%- if loop.first and system_message is defined %}{{- ' [INST] ' + system_message + '\n\n' + message['content'] + ' [/INST]' }}{%- else %}{{- ' [INST] ' + message['content'] + ' [/INST]' }}{%- endif %}"#, .mistralV1),
            // Mistral-Large-Instruct-2407 'v3' (abridged)
            (#"{{- "[AVAILABLE_TOOLS] [" }}{{- "[INST] " + message["content"] + "[/INST]" }}"#, .mistralV3),
            // Mistral-Nemo 'v3-tekken' (abridged)
            (#"{{- "[AVAILABLE_TOOLS][" }}{{- "[INST]" + message["content"] + "[/INST]" }}"#, .mistralV3Tekken),
            // Mistral-Large-Instruct-2411 'v7'
            (#"{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + '[/INST]' }}{% elif message['role'] == 'system' %}{{ '[SYSTEM_PROMPT] ' + message['content'] + '[/SYSTEM_PROMPT]' }}{% endif %}"#, .mistralV7),
            // Phi-3-small
            ("{{ bos_token }}{% for message in messages %}{{'<|' + message['role'] + '|>' + '\n' + message['content'] + '<|end|>\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}", .phi3),
            // Falcon 3 (abridged)
            (#"{{ '<|user|>\n' + message['content'] + '\n' }}{{ '<|assistant|>\n' + message['content'] + '</s>\n' }}"#, .falcon3),
            // HuggingFaceH4/zephyr-7b-beta
            ("{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}", .zephyr),
            // a Zephyr-style template spelling the end token out (llama.cpp's own zephyr rule)
            (#"{{ '<|user|>\n' + message['content'] + '<|endoftext|>\n' }}"#, .zephyr),
            // google/gemma-7b-it
            (#"{% for message in messages %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}"#, .gemma),
            // Llama-3
            ("{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}", .llama3),
        ]
        for (text, family) in cases {
            let t = ChatTemplate(templateText: text)
            XCTAssertEqual(t.family, family, text)
            XCTAssertEqual(t.source, .templateText, text)
            XCTAssertNil(t.warning, text)
            XCTAssertEqual(ChatTemplate.detect(from: text), family)
        }
    }

    func testDetectionByExactName() {
        for f in ChatTemplateFamily.allCases {
            XCTAssertEqual(ChatTemplate.detect(from: f.rawValue), f)
        }
        // llama.cpp: text starting with "mistral" is an [INST] template without <<SYS>>.
        XCTAssertEqual(ChatTemplate.detect(from: "mistral"), .llama2)
    }

    func testUnknownTemplateFallsBackToChatMLWithWarning() {
        let t = ChatTemplate(templateText: "{{ messages }} something new")
        XCTAssertEqual(t.family, .chatml)
        XCTAssertEqual(t.source, .fallback)
        XCTAssertNotNil(t.warning)
        XCTAssertTrue(t.warning!.contains("models.toml"))
        // A format llama.cpp knows but we do not render is named in the warning.
        let vicuna = ChatTemplate(templateText: "{{-'USER: ' + message['content'] + '\n'-}}{{-'ASSISTANT: ' + message['content'] + '</s>\n' -}}")
        XCTAssertEqual(vicuna.family, .chatml)
        XCTAssertTrue(vicuna.warning?.contains("vicuna") ?? false, vicuna.warning ?? "")
        let none = ChatTemplate(templateText: nil)
        XCTAssertEqual(none.family, .chatml)
        XCTAssertNotNil(none.warning)
        XCTAssertEqual(ChatTemplate.detect(from: nil), .chatml)
    }

    func testArchitectureFallbackWhenFileHasNoTemplate() {
        let g = ChatTemplate(templateText: nil, architecture: "gemma3")
        XCTAssertEqual(g.family, .gemma)
        XCTAssertEqual(g.source, .architecture)
        XCTAssertNil(g.warning)
        XCTAssertEqual(ChatTemplate(templateText: nil, architecture: "qwen2").family, .chatml)
        let llama = ChatTemplate(templateText: nil, architecture: "llama")
        XCTAssertEqual(llama.source, .fallback, "llama could be 2 or 3: do not guess")
        XCTAssertNotNil(llama.warning)
    }

    func testOverrideByName() throws {
        let names: [String: ChatTemplateFamily] = [
            "chatml": .chatml, "gemma": .gemma, "llama3": .llama3, "llama2": .llama2, "mistral": .llama2,
            "phi3": .phi3, "zephyr": .zephyr, "LLAMA-3": .llama3, "mistral-v7": .mistralV7, "llama2-sys": .llama2Sys,
        ]
        for (name, family) in names {
            let t = try ChatTemplate(templateText: "<|im_start|>", architecture: nil, override: name)
            XCTAssertEqual(t.family, family, name)
            XCTAssertEqual(t.source, .override)
            XCTAssertNil(t.warning)
        }
        XCTAssertThrowsError(try ChatTemplate(templateText: nil, architecture: nil, override: "vicuna")) { error in
            XCTAssertEqual(error as? ChatTemplateError, .unknownTemplateName("vicuna"))
            XCTAssertTrue("\(error)".contains("chatml"))
        }
    }

    // MARK: Default system prompt

    private let smolTemplate = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"

    func testDefaultSystemPromptExtraction() {
        XCTAssertEqual(ChatTemplate.extractDefaultSystemPrompt(from: smolTemplate),
                       "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        // Qwen 2.5 writes Jinja's escaped newline, and a non-literal system block comes first.
        let qwen = #"{%- if tools %}{{- '<|im_start|>system\n' }}{%- if messages[0]['role'] == 'system' %}{{- messages[0]['content'] }}{%- endif %}{%- else %}{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}{%- else %}{{- '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n' }}{%- endif %}{%- endif %}"#
        XCTAssertEqual(ChatTemplate.extractDefaultSystemPrompt(from: qwen),
                       "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.")
        // Templates that only pass the user's system message through have none.
        XCTAssertNil(ChatTemplate.extractDefaultSystemPrompt(from: #"{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"#))
        XCTAssertNil(ChatTemplate.extractDefaultSystemPrompt(from: "{{ '<start_of_turn>' + role }}"))
    }

    func testDefaultSystemPromptIsInsertedOnlyWithoutSystemMessage() {
        let t = ChatTemplate(templateText: smolTemplate)
        XCTAssertEqual(t.render([.user("Hi")], addGenerationPrompt: true),
                       "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
        XCTAssertEqual(t.render([.system("Be terse."), .user("Hi")], addGenerationPrompt: false),
                       "<|im_start|>system\nBe terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n")
        XCTAssertEqual(t.render([], addGenerationPrompt: false), "", "the template's loop never runs")
    }

    // MARK: Real models

    func testSmolLM2TemplateFromGGUF() throws {
        let file = try openModel("SmolLM2-135M-Instruct.Q4_1.gguf")
        let text = try file.string("tokenizer.chat_template")
        XCTAssertEqual(ChatTemplate.detect(from: text), .chatml)
        let t = try ChatTemplate(file: file)
        XCTAssertEqual(t.family, .chatml)
        XCTAssertEqual(t.source, .templateText)
        XCTAssertNil(t.warning)
        XCTAssertEqual(t.defaultSystemPrompt, "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        XCTAssertEqual(t.endOfTurnStrings, ["<|im_end|>"])
        XCTAssertEqual(t.render([.user("What is 2+2?")], addGenerationPrompt: true),
                       "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n")
    }

    func testGemma3FromGGUF() throws {
        let file = try openModel("gemma-3-270m-q4_k_m.gguf")
        let text = file.metadata["tokenizer.chat_template"]?.stringValue
        let t = try ChatTemplate(file: file)
        XCTAssertEqual(t.family, .gemma)
        if let text {
            // A file that carries Gemma's template is detected from its text.
            XCTAssertEqual(ChatTemplate.detect(from: text), .gemma)
            XCTAssertEqual(t.source, .templateText)
        } else {
            // This quantization ships without tokenizer.chat_template: the architecture decides.
            print("note: \(file.path) has no tokenizer.chat_template; detected from general.architecture")
            XCTAssertEqual(t.source, .architecture)
        }
        XCTAssertNil(t.warning)
        XCTAssertNil(t.defaultSystemPrompt)
        XCTAssertEqual(t.endOfTurnStrings, ["<end_of_turn>"])
        XCTAssertEqual(t.render([.system("Be brief."), .user("Hi")], addGenerationPrompt: true),
                       "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\n")
    }

    func testGemma3RealTemplateTextDetects() {
        // google/gemma-3-270m-it's tokenizer.chat_template (abridged to its distinctive parts).
        let gemma3 = "{{ bos_token }}\n{%- if messages[0]['role'] == 'system' -%}\n    {%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}\n{%- endif -%}\n{%- for message in loop_messages -%}\n    {%- if (message['role'] == 'assistant') -%}\n        {%- set role = \"model\" -%}\n    {%- endif -%}\n    {{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else \"\") }}\n    {{ '<end_of_turn>\n' }}\n{%- endfor -%}\n{%- if add_generation_prompt -%}\n    {{'<start_of_turn>model\n'}}\n{%- endif -%}\n"
        XCTAssertEqual(ChatTemplate.detect(from: gemma3), .gemma)
    }
}
