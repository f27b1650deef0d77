// MARK: - The model's own Jinja template

extension ChatTemplate {
    /// Parses the model's template text and renders a one-message conversation with it, so a
    /// template that cannot work at all is known at load time. Returns the parsed template,
    /// or the error that stopped it. A template that deliberately refuses that conversation
    /// (`raise_exception`) is kept: it may accept others, and refusals fall back per render.
    static func loadJinja(_ text: String, bosToken: String?, eosToken: String?) -> Result<JinjaTemplate, JinjaError> {
        let t: JinjaTemplate
        do { t = try JinjaTemplate(text) } catch { return .failure(error) }
        do {
            _ = try renderJinja(t, [.user("Hello")], addGenerationPrompt: true, bosToken: bosToken, eosToken: eosToken, variables: [:])
        } catch .raised {
            return .success(t)
        } catch {
            return .failure(error)
        }
        return .success(t)
    }

    /// Uses the model's template text through the Jinja interpreter when it parses and renders;
    /// otherwise keeps the detected family and says why in `warning` (one line).
    mutating func attachJinja(_ text: String) {
        switch Self.loadJinja(text, bosToken: bosToken, eosToken: eosToken) {
        case .success(let t):
            jinja = t
            warning = nil
        case .failure(let error):
            jinja = nil
            let reason = "the model's chat template could not be used (\(error)); using the \(family.rawValue) format instead"
            warning = warning.map { reason + ". " + $0 } ?? reason
        }
    }

    /// The variables a chat template is rendered with, as transformers' `apply_chat_template`
    /// passes them: `messages`, `add_generation_prompt`, `bos_token`, `eos_token`, `tools`
    /// (none), then `variables` (such as `enable_thinking`), which may replace any of them.
    static func renderJinja(_ t: JinjaTemplate, _ messages: [ChatMessage], addGenerationPrompt: Bool,
                            bosToken: String?, eosToken: String?, variables: [String: JinjaValue],
                            now: JinjaDate = .now()) throws(JinjaError) -> String {
        var vars: [String: JinjaValue] = [
            "messages": .list(messages.map(\.jinjaValue)),
            "add_generation_prompt": .bool(addGenerationPrompt),
            "bos_token": .string(bosToken ?? ""),
            "eos_token": .string(eosToken ?? ""),
            "tools": .none,
        ]
        for (k, v) in variables { vars[k] = v }
        return try t.render(vars, now: now)
    }

    /// The model's template applied to `messages` (it must have one: `jinja` not nil).
    /// `keepingBOS: false` drops a leading `bos_token` when the tokenizer adds BOS itself
    /// (as llama.cpp does), so the prompt does not start with two.
    public func renderModelTemplate(_ messages: [ChatMessage], addGenerationPrompt: Bool,
                                    variables: [String: JinjaValue] = [:], keepingBOS: Bool = false,
                                    now: JinjaDate = .now()) throws(JinjaError) -> String {
        guard let jinja else { throw .runtime("the model has no usable Jinja chat template") }
        var s = try Self.renderJinja(jinja, messages, addGenerationPrompt: addGenerationPrompt, bosToken: bosToken,
                                     eosToken: eosToken, variables: variables, now: now)
        if !keepingBOS, tokenizerAddsBOS, let bos = bosToken, !bos.isEmpty, s.utf8.starts(with: bos.utf8) {
            s = String(decoding: s.utf8.dropFirst(bos.utf8.count), as: UTF8.self)
        }
        return s
    }

    /// The prompt for `messages` and, when the model's template failed on this conversation
    /// (a `raise_exception`, an error, a limit) and the family's format was used instead,
    /// a one-line warning saying so.
    public func renderReporting(_ messages: [ChatMessage], addGenerationPrompt: Bool,
                                variables: [String: JinjaValue] = [:]) -> (text: String, warning: String?) {
        guard jinja != nil else { return (renderFamily(messages, addGenerationPrompt: addGenerationPrompt), nil) }
        do {
            return (try renderModelTemplate(messages, addGenerationPrompt: addGenerationPrompt, variables: variables), nil)
        } catch {
            return (renderFamily(messages, addGenerationPrompt: addGenerationPrompt),
                    "the model's chat template failed on this conversation (\(error)); used the \(family.rawValue) format instead")
        }
    }
}

extension ChatTemplate {
    /// Whether the model's template has a thinking switch the UI can offer: it reads
    /// `enable_thinking` (Qwen3, QwQ, R1-Distill-Qwen as llama.cpp ships them, SmolLM3...).
    public var hasThinkingSwitch: Bool {
        jinja?.source.contains("enable_thinking") ?? false
    }
}

extension ChatMessage {
    /// The message as a chat template sees it: `role`, `content`, and `reasoning_content`
    /// when the message carries reasoning.
    public var jinjaValue: JinjaValue {
        var d = JinjaDict([("role", .string(role.rawValue)), ("content", .string(content))])
        if let reasoning { d["reasoning_content"] = .string(reasoning) }
        return .dict(d)
    }
}

extension JinjaTemplate: Equatable {
    public static func == (a: JinjaTemplate, b: JinjaTemplate) -> Bool {
        a.source.utf8.elementsEqual(b.source.utf8) && a.limits == b.limits
    }
}
