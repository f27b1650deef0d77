import GGUF

/// How a model wants a conversation written out as a prompt: the model's own Jinja template
/// (`jinja`, run by quantty's interpreter) when it has a usable one, and a family whose output
/// strings follow llama.cpp's `llm_chat_apply_template` (for stop strings, and as the fallback
/// when the template fails), plus what we learned from the template text (its default system
/// prompt).
public struct ChatTemplate: Sendable, Equatable {
    /// Where the family came from.
    public enum Source: String, Sendable, Equatable {
        /// Forced by name (`template = "..."` in `models.toml`).
        case override
        /// Recognised in the model's `tokenizer.chat_template`.
        case templateText
        /// The file has no template; guessed from `general.architecture`.
        case architecture
        /// Nothing recognisable; ChatML as a last resort (see `warning`).
        case fallback
    }

    public let family: ChatTemplateFamily
    /// Inserted as the first message when a conversation does not start with a system
    /// message, as the model's template does (SmolLM2: "You are a helpful AI assistant named
    /// SmolLM, trained by Hugging Face").
    public var defaultSystemPrompt: String?
    /// The model's end-of-sequence text (`tokenizer.ggml.tokens[eos_token_id]`), used where the
    /// template writes `eos_token` into the prompt (Zephyr). Nil: the family's usual text.
    public var eosToken: String?
    /// The model's beginning-of-sequence text (`tokenizer.ggml.tokens[bos_token_id]`), the
    /// template's `bos_token`.
    public var bosToken: String?
    /// Whether the tokenizer adds BOS itself; then a leading `bos_token` the template writes is
    /// dropped from the prompt (as llama.cpp does). Set it from the vocabulary.
    public var tokenizerAddsBOS = true
    /// The model's `tokenizer.chat_template`, parsed, when it parses and renders a plain
    /// conversation (nil with an override, without a template, or when it fails: see `warning`).
    public var jinja: JinjaTemplate?
    public let source: Source
    /// A sentence the UI can show when the format is a guess (nil when confident).
    public internal(set) var warning: String?

    public init(family: ChatTemplateFamily, defaultSystemPrompt: String? = nil,
                source: Source = .override, warning: String? = nil, jinja: JinjaTemplate? = nil) {
        self.jinja = jinja
        self.family = family
        self.defaultSystemPrompt = defaultSystemPrompt
        self.source = source
        self.warning = warning
    }

    /// The family for `templateText` (llama.cpp's detection); ChatML when the text is nil or
    /// unrecognised. Use `init(templateText:architecture:override:)` to also get the warning.
    public static func detect(from templateText: String?) -> ChatTemplateFamily {
        ChatTemplate(templateText: templateText).family
    }

    /// Resolves the template of a model.
    ///
    /// Order: `override` (a family name, e.g. from `models.toml`) wins; then the model's
    /// `tokenizer.chat_template` text; then, when the file carries no template, its
    /// architecture (gemma* -> gemma, qwen* -> chatml, phi3 -> phi3); else ChatML with a
    /// warning. An unknown override name is an error, not a silent fallback.
    public init(templateText: String?, architecture: String? = nil, override: String? = nil)
        throws(ChatTemplateError) {
        let prompt = templateText.flatMap(Self.extractDefaultSystemPrompt)
        if let override {
            guard let family = ChatTemplateFamily(name: override) else {
                throw .unknownTemplateName(override)
            }
            self.init(family: family, defaultSystemPrompt: prompt, source: .override)
            return
        }
        self.init(templateText: templateText, architecture: architecture)
    }

    /// `init(templateText:architecture:override:)` without an override (cannot fail).
    public init(templateText: String?, architecture: String? = nil) {
        let prompt = templateText.flatMap(Self.extractDefaultSystemPrompt)
        if let text = templateText, !text.isEmpty {
            switch Self.detectFamily(in: text) {
            case .family(let f):
                self.init(family: f, defaultSystemPrompt: prompt, source: .templateText)
            case .unsupported(let name):
                self.init(family: .chatml, defaultSystemPrompt: prompt, source: .fallback,
                          warning: "the model's chat template looks like llama.cpp's \"\(name)\" format, which quantty "
                              + "does not render; using ChatML. Set template = \"...\" in models.toml to choose one of: "
                              + Self.familyNames)
            case .unknown:
                self.init(family: .chatml, defaultSystemPrompt: prompt, source: .fallback,
                          warning: "unrecognised chat template in the model; using ChatML. Set template = \"...\" in "
                              + "models.toml to choose one of: " + Self.familyNames)
            }
            return
        }
        if let arch = architecture, let f = Self.family(forArchitecture: arch) {
            self.init(family: f, source: .architecture)
            return
        }
        self.init(family: .chatml, source: .fallback,
                  warning: "the model has no chat template; using ChatML. Set template = \"...\" in models.toml "
                      + "to choose one of: " + Self.familyNames)
    }

    /// Reads `tokenizer.chat_template` and `general.architecture` from a GGUF file, and the
    /// BOS and EOS texts the template writes as `bos_token` and `eos_token`. Without an
    /// override, the template text is run by the Jinja interpreter (`jinja`) when it works;
    /// when it fails to parse or render, the detected family is used with a `warning`.
    public init(file: GGUFFile, override: String? = nil) throws(ChatTemplateError) {
        let text = file.metadata["tokenizer.chat_template"]?.stringValue
        try self.init(templateText: text, architecture: file.architecture, override: override)
        func token(_ key: String) -> String? {
            guard let id = file.metadata[key]?.intValue, let tokens = file.metadata["tokenizer.ggml.tokens"]?.arrayValue,
                  id >= 0, id < tokens.count else { return nil }
            return tokens[id].stringValue
        }
        eosToken = token("tokenizer.ggml.eos_token_id")
        bosToken = token("tokenizer.ggml.bos_token_id")
        // What the tokenizer will do (LoadedModel sets it from the vocabulary, which also knows
        // the pre-tokenizers' defaults): the flag, else SentencePiece adds BOS and BPE does not.
        tokenizerAddsBOS = file.metadata["tokenizer.ggml.add_bos_token"]?.boolValue
            ?? (file.metadata["tokenizer.ggml.model"]?.stringValue == "llama")
        if override == nil, let text, !text.isEmpty { attachJinja(text) }
    }

    /// The end-of-turn strings of the family (see `ChatTemplateFamily.endOfTurnStrings`),
    /// plus the model's EOS text where the format writes it (Zephyr).
    public var endOfTurnStrings: [String] {
        var out = family.endOfTurnStrings
        if family == .zephyr, let eos = eosToken {
            out.removeAll { $0 == eos }
            out.insert(eos, at: 0)
        }
        return out
    }

    static let familyNames = ChatTemplateFamily.allCases.map(\.rawValue).joined(separator: ", ")

    /// A family implied by an architecture name, for files that carry no template.
    /// Only where the architecture has a single chat format; "llama" does not (2 or 3).
    static func family(forArchitecture arch: String) -> ChatTemplateFamily? {
        let a = arch.lowercased()
        if a.hasPrefix("gemma") { return .gemma }
        if a.hasPrefix("qwen") { return .chatml }
        if a == "phi3" { return .phi3 }
        return nil
    }
}

/// A chat template name the user gave that quantty does not know.
public enum ChatTemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownTemplateName(String)

    public var description: String {
        switch self {
        case .unknownTemplateName(let n):
            "unknown chat template \"\(n)\"; expected one of: \(ChatTemplate.familyNames)"
        }
    }
}
