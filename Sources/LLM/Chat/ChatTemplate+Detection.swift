// MARK: - Detection from template text

extension ChatTemplate {
    /// What llama.cpp's `llm_chat_detect_template` would say about a template.
    enum Detection: Equatable {
        case family(ChatTemplateFamily)
        /// A format llama.cpp knows and quantty does not render (its llama.cpp name).
        case unsupported(String)
        case unknown
    }

    /// llama.cpp's `llm_chat_detect_template`, in its order: an exact template name first,
    /// then substring heuristics. Branches for formats we do not render are kept so a
    /// template is never mistaken for a later family in the list.
    static func detectFamily(in tmpl: String) -> Detection {
        if let f = ChatTemplateFamily(rawValue: tmpl) { return .family(f) }
        func has(_ s: String) -> Bool { tmpl.contains(s) }

        if has("<|im_start|>") {
            if has("<|im_sep|>") { return .family(.phi4) }
            if has("<end_of_utterance>") { return .unsupported("smolvlm") }
            return .family(.chatml)
        }
        if tmpl.hasPrefix("mistral") || has("[INST]") {
            if has("[SYSTEM_PROMPT]") { return .family(.mistralV7) }
            if has("' [INST] ' + system_message") || has("[AVAILABLE_TOOLS]") {
                if has(" [INST]") { return .family(.mistralV1) }
                if has("\"[INST]\"") { return .family(.mistralV3Tekken) }
                return .family(.mistralV3)
            }
            if has("content.strip()") { return .family(.llama2SysStrip) }
            if has("bos_token + '[INST]") { return .family(.llama2SysBOS) }
            if has("<<SYS>>") { return .family(.llama2Sys) }
            return .family(.llama2)
        }
        if has("<|assistant|>") && has("<|end|>") { return .family(.phi3) }
        if has("[gMASK]<sop>") { return .unsupported("chatglm4") }
        if has("<|assistant|>") && has("<|user|>") {
            if has("</s>") { return .family(.falcon3) }
            // quantty addition: Zephyr's own template (HuggingFaceH4/zephyr-7b-beta,
            // stablelm-2-zephyr) ends turns with `eos_token`, which GLM-Edge's never uses;
            // llama.cpp calls it glmedge.
            if has("eos_token") { return .family(.zephyr) }
            return .unsupported("glmedge")
        }
        if has("<|{{ item['role'] }}|>") && has("<|begin_of_image|>") { return .unsupported("glmedge") }
        if has("<|user|>") && has("<|endoftext|>") { return .family(.zephyr) }
        if has("bos_token + message['role']") { return .unsupported("monarch") }
        if has("<start_of_turn>") { return .family(.gemma) }
        if has("'\\n\\nAssistant: ' + eos_token") { return .unsupported("orion") }
        if has("GPT4 Correct ") { return .unsupported("openchat") }
        if has("USER: ") && has("ASSISTANT: ") { return .unsupported(has("SYSTEM: ") ? "vicuna-orca" : "vicuna") }
        if has("### Instruction:") && has("<|EOT|>") { return .unsupported("deepseek") }
        if has("<|START_OF_TURN_TOKEN|>") && has("<|USER_TOKEN|>") { return .unsupported("command-r") }
        if has("<|start_header_id|>") && has("<|end_header_id|>") { return .family(.llama3) }
        if has("[gMASK]sop") { return .unsupported("chatglm3") }
        if has("<|start_of_role|>") { return .unsupported("granite") }
        if has("<|header_start|>") && has("<|header_end|>") { return .unsupported("llama4") }
        return .unknown
    }

    // MARK: - Default system prompt

    /// The system prompt a template inserts when the conversation has none, when it is a
    /// plain string literal in the template: ChatML's `'<|im_start|>system\n...<|im_end|>'`
    /// (SmolLM2, Qwen 2.5), Llama 3's `system<|end_header_id|>\n\n...<|eot_id|>` and
    /// Llama 2's `<<SYS>>\n...\n<</SYS>>`. The newline may be a real one or Jinja's `\n`.
    /// Text containing Jinja (`{{`, `{%`) or quotes is not a literal and is ignored.
    static func extractDefaultSystemPrompt(from tmpl: String) -> String? {
        let patterns: [(open: String, close: String)] = [
            ("<|im_start|>system", "<|im_end|>"),
            ("<|start_header_id|>system<|end_header_id|>", "<|eot_id|>"),
            ("<<SYS>>", "<</SYS>>"),
        ]
        for (open, close) in patterns {
            var search = tmpl.startIndex
            while let o = tmpl[search...].firstRange(of: open) {
                search = o.upperBound
                guard let c = tmpl[o.upperBound...].firstRange(of: close) else { break }
                var body = String(tmpl[o.upperBound..<c.lowerBound])
                // Strip the separator newlines, real or escaped, on both sides.
                for sep in ["\\n", "\n"] {
                    while body.hasPrefix(sep) { body.removeFirst(sep.count) }
                    while body.hasSuffix(sep) { body.removeLast(sep.count) }
                }
                let literal = !body.isEmpty && !body.contains("{{") && !body.contains("{%")
                    && !body.contains("'") && !body.contains("\"")
                if literal { return body.replacingEscapedNewlines() }
            }
        }
        return nil
    }
}

extension String {
    fileprivate func replacingEscapedNewlines() -> String {
        var out = ""
        var it = makeIterator()
        while let ch = it.next() {
            if ch == "\\" {
                if let next = it.next() {
                    out.append(next == "n" ? "\n" : next)
                } else {
                    out.append(ch)
                }
            } else {
                out.append(ch)
            }
        }
        return out
    }
}
