/// The prompt formats quantty renders, named as llama.cpp names them (`LLM_CHAT_TEMPLATES`
/// in `src/llama-chat.cpp`), so a `template = "..."` key in `models.toml` takes the same
/// names as llama.cpp's `--chat-template`.
public enum ChatTemplateFamily: String, CaseIterable, Codable, Sendable {
    /// `<|im_start|>role\n...<|im_end|>\n` (SmolLM2, Qwen, OpenHermes).
    case chatml = "chatml"
    /// ChatML with `<|im_sep|>` after the role (Phi-4).
    case phi4 = "phi4"
    /// `[INST] ... [/INST]`, system text as a plain line inside the first `[INST]`
    /// (Mistral-7B-Instruct v0.1/v0.2's own template).
    case llama2 = "llama2"
    /// `[INST] <<SYS>>\n...\n<</SYS>>\n\n... [/INST]` (Llama-2-chat).
    case llama2Sys = "llama2-sys"
    /// `llama2-sys` with `<s>` before every `[INST]` after the first.
    case llama2SysBOS = "llama2-sys-bos"
    /// `llama2-sys` with every message trimmed.
    case llama2SysStrip = "llama2-sys-strip"
    /// Mistral's official "v1" template (` [INST] ... [/INST]`).
    case mistralV1 = "mistral-v1"
    /// Mistral's official "v3" template (`[INST] ...[/INST]`, assistant replies trimmed).
    case mistralV3 = "mistral-v3"
    /// Mistral's "v3-tekken" template (no spaces around `[INST]`).
    case mistralV3Tekken = "mistral-v3-tekken"
    /// Mistral's "v7" template (`[SYSTEM_PROMPT] ...[/SYSTEM_PROMPT]`).
    case mistralV7 = "mistral-v7"
    /// Mistral's "v7-tekken" template (v7 without the spaces).
    case mistralV7Tekken = "mistral-v7-tekken"
    /// `<|role|>\n...<|end|>\n` (Phi-3).
    case phi3 = "phi3"
    /// `<|role|>\n...\n` (Falcon 3).
    case falcon3 = "falcon3"
    /// `<|role|>\n...<|endoftext|>\n` (Zephyr, StableLM-2-Zephyr).
    case zephyr = "zephyr"
    /// `<start_of_turn>user\n...<end_of_turn>\n`, assistant is "model", no system role (Gemma 1-3).
    case gemma = "gemma"
    /// `<|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|>` (Llama 3.x).
    case llama3 = "llama3"

    /// A family from a name in `models.toml` or on the command line: llama.cpp's names plus a
    /// few spellings people use ("llama-3", "phi-3", "qwen", "gemma3"...). Case-insensitive.
    /// `"mistral"` means what it means to llama.cpp: the `[INST]` format without `<<SYS>>`.
    public init?(name: String) {
        let n = name.lowercased().trimmingASCIIWhitespace()
        if let f = ChatTemplateFamily(rawValue: n) { self = f; return }
        switch n {
        case "chat-ml", "qwen", "qwen2", "qwen3", "smollm", "smollm2": self = .chatml
        case "mistral", "llama-2", "llama_2": self = .llama2
        case "llama2-chat", "llama-2-chat": self = .llama2Sys
        case "llama-3", "llama_3", "llama3.1", "llama3.2", "llama-3.1", "llama-3.2": self = .llama3
        case "phi-3", "phi_3", "phi3.5": self = .phi3
        case "phi-4", "phi_4": self = .phi4
        case "falcon-3": self = .falcon3
        case "gemma2", "gemma3", "gemma-2", "gemma-3": self = .gemma
        default: return nil
        }
    }

    /// Strings that end an assistant turn in this format. Generation stops when one is
    /// produced (the tokenizer maps them to ids; ones missing from a vocabulary are ignored),
    /// in addition to the model's own end-of-generation tokens.
    public var endOfTurnStrings: [String] {
        switch self {
        case .chatml, .phi4: ["<|im_end|>"]
        case .llama2, .llama2Sys, .llama2SysBOS, .llama2SysStrip,
             .mistralV1, .mistralV3, .mistralV3Tekken, .mistralV7, .mistralV7Tekken: ["</s>"]
        case .phi3: ["<|end|>", "<|endoftext|>"]
        case .falcon3: ["<|endoftext|>"]
        case .zephyr: ["<|endoftext|>", "</s>"]
        case .gemma: ["<end_of_turn>"]
        case .llama3: ["<|eot_id|>", "<|end_of_text|>"]
        }
    }

    /// `false` when the format has no system turn and the system text is folded into the
    /// first user turn instead (Gemma, and `[INST]` formats without `<<SYS>>`).
    public var hasSystemRole: Bool {
        switch self {
        case .gemma, .llama2, .mistralV1, .mistralV3, .mistralV3Tekken: false
        default: true
        }
    }

    /// `false` when the format ignores `addGenerationPrompt` because a user turn already
    /// ends with the assistant's cue (`[/INST]`), as in llama.cpp.
    public var honorsGenerationPrompt: Bool {
        switch self {
        case .llama2, .llama2Sys, .llama2SysBOS, .llama2SysStrip,
             .mistralV1, .mistralV3, .mistralV3Tekken, .mistralV7, .mistralV7Tekken: false
        default: true
        }
    }
}

// MARK: - Whitespace

extension String {
    /// Trims the bytes C's `isspace` accepts (space, \t, \n, \v, \f, \r) from both ends, as
    /// llama-chat.cpp's `trim` does (Jinja's `trim` differs only on exotic Unicode spaces).
    func trimmingASCIIWhitespace() -> String {
        let u = Array(utf8)
        func space(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
        var start = 0
        var end = u.count
        while start < end && space(u[start]) { start += 1 }
        while end > start && space(u[end - 1]) { end -= 1 }
        if start == 0 && end == u.count { return self }
        return String(decoding: u[start..<end], as: UTF8.self)
    }
}
