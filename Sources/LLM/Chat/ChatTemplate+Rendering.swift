// MARK: - Rendering

extension ChatTemplate {
    /// The prompt text for `messages`: the model's own template through the Jinja interpreter
    /// when it has a usable one (`jinja`), with `variables` such as `enable_thinking`; else, or
    /// when that template fails on this conversation, the family's format (`renderFamily`).
    /// BOS is not included when the tokenizer adds it. See `renderReporting` for the warning.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool,
                       variables: [String: JinjaValue] = [:]) -> String {
        renderReporting(messages, addGenerationPrompt: addGenerationPrompt, variables: variables).text
    }

    /// The prompt text for `messages`, as llama.cpp's `llm_chat_apply_template` writes it for
    /// this family. BOS is not included (the tokenizer adds it). When the conversation does not
    /// start with a system message and the template has a default system prompt, that prompt is
    /// inserted first, as the model's own template does.
    ///
    /// `addGenerationPrompt` appends the assistant's cue (`<|im_start|>assistant\n`, ...);
    /// `[INST]` formats ignore it, their user turns already end with `[/INST]`.
    public func renderFamily(_ messages: [ChatMessage], addGenerationPrompt: Bool) -> String {
        var chat = messages
        if let prompt = defaultSystemPrompt, let first = chat.first, first.role != .system {
            chat.insert(.system(prompt), at: 0)
        }
        return Self.render(family, chat, addGenerationPrompt: addGenerationPrompt, eosToken: eosToken)
    }

    /// Rendering without the default system prompt. `eosToken` replaces Zephyr's
    /// `<|endoftext|>` (llama.cpp's fixed choice) with the model's own EOS text.
    public static func render(_ family: ChatTemplateFamily, _ chat: [ChatMessage],
                              addGenerationPrompt add: Bool, eosToken: String? = nil) -> String {
        var s = ""
        func trim(_ t: String) -> String { t.trimmingASCIIWhitespace() }
        switch family {
        case .chatml:
            for m in chat { s += "<|im_start|>\(m.role.rawValue)\n\(m.content)<|im_end|>\n" }
            if add { s += "<|im_start|>assistant\n" }

        case .phi4:
            for m in chat { s += "<|im_start|>\(m.role.rawValue)<|im_sep|>\(m.content)<|im_end|>" }
            if add { s += "<|im_start|>assistant<|im_sep|>" }

        case .mistralV7, .mistralV7Tekken:
            let sp = family == .mistralV7 ? " " : ""
            for m in chat {
                switch m.role {
                case .system: s += "[SYSTEM_PROMPT]\(sp)\(m.content)[/SYSTEM_PROMPT]"
                case .user: s += "[INST]\(sp)\(m.content)[/INST]"
                case .assistant: s += "\(sp)\(m.content)</s>"
                }
            }

        case .mistralV1, .mistralV3, .mistralV3Tekken:
            let leading = family == .mistralV1 ? " " : ""
            let trailing = family == .mistralV3Tekken ? "" : " "
            let trimAssistant = family == .mistralV3
            var insideTurn = false
            for m in chat {
                if !insideTurn {
                    s += "\(leading)[INST]\(trailing)"
                    insideTurn = true
                }
                switch m.role {
                case .system: s += m.content + "\n\n"
                case .user: s += m.content + leading + "[/INST]"
                case .assistant:
                    s += trailing + (trimAssistant ? trim(m.content) : m.content) + "</s>"
                    insideTurn = false
                }
            }

        case .llama2, .llama2Sys, .llama2SysBOS, .llama2SysStrip:
            let systemBlock = family != .llama2
            let bosInHistory = family == .llama2SysBOS
            let strip = family == .llama2SysStrip
            var insideTurn = true  // the first [INST] is written up front, after BOS
            s += "[INST] "
            for m in chat {
                let content = strip ? trim(m.content) : m.content
                if !insideTurn {
                    insideTurn = true
                    s += bosInHistory ? "<s>[INST] " : "[INST] "
                }
                switch m.role {
                case .system:
                    s += systemBlock ? "<<SYS>>\n\(content)\n<</SYS>>\n\n" : content + "\n"
                case .user: s += content + " [/INST]"
                case .assistant:
                    s += content + "</s>"
                    insideTurn = false
                }
            }

        case .phi3:
            for m in chat { s += "<|\(m.role.rawValue)|>\n\(m.content)<|end|>\n" }
            if add { s += "<|assistant|>\n" }

        case .falcon3:
            for m in chat { s += "<|\(m.role.rawValue)|>\n\(m.content)\n" }
            if add { s += "<|assistant|>\n" }

        case .zephyr:
            let end = eosToken ?? "<|endoftext|>"
            for m in chat { s += "<|\(m.role.rawValue)|>\n\(m.content)\(end)\n" }
            if add { s += "<|assistant|>\n" }

        case .gemma:
            // No system role: the system text opens the next user turn.
            var system = ""
            for m in chat {
                if m.role == .system {
                    system += trim(m.content)
                    continue
                }
                let role = m.role == .assistant ? "model" : m.role.rawValue
                s += "<start_of_turn>\(role)\n"
                if !system.isEmpty && m.role != .assistant {
                    s += system + "\n\n"
                    system = ""
                }
                s += trim(m.content) + "<end_of_turn>\n"
            }
            if add { s += "<start_of_turn>model\n" }

        case .llama3:
            for m in chat {
                s += "<|start_header_id|>\(m.role.rawValue)<|end_header_id|>\n\n\(trim(m.content))<|eot_id|>"
            }
            if add { s += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
        }
        return s
    }
}
