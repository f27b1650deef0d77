import GGUF

/// Why a tokenizer could not be built from a model's metadata. Every case names the GGUF key
/// (or the value) at fault, so the message can be shown to a user as is.
public enum TokenizerError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A required key is absent, e.g. `tokenizer.ggml.tokens`.
    case missingKey(String)
    /// A key is present but has the wrong type or an unusable value.
    case invalidValue(key: String, reason: String)
    /// `tokenizer.ggml.model` names a tokenizer family we do not implement.
    case unsupportedModel(String)
    /// `tokenizer.ggml.pre` names a pre-tokenizer we do not implement.
    case unsupportedPreTokenizer(String)

    public var description: String {
        switch self {
        case .missingKey(let k): return "tokenizer: missing metadata key \(k)"
        case .invalidValue(let k, let r): return "tokenizer: invalid value for \(k): \(r)"
        case .unsupportedModel(let m):
            let kind = TokenizerError.modelKinds[m].map { " (\($0))" } ?? ""
            return "tokenizer: unsupported tokenizer.ggml.model '\(m)'\(kind); supported: gpt2 (byte-level BPE), llama (SentencePiece), gemma4 (BPE on UTF-8)"
        case .unsupportedPreTokenizer(let p): return "tokenizer: unsupported tokenizer.ggml.pre '\(p)'"
        }
    }

    /// What llama.cpp's other `tokenizer.ggml.model` values are, for the message.
    private static let modelKinds = ["bert": "WordPiece, BERT", "t5": "Unigram, T5", "rwkv": "RWKV",
                                     "plamo2": "PLaMo 2", "hybriddna": "DNA k-mers", "whitespace": "whitespace BPE"]

    init(_ error: GGUFError) {
        switch error {
        case .missingKey(let k): self = .missingKey(k)
        case .wrongType(let k, let expected, let found):
            self = .invalidValue(key: k, reason: "expected \(expected), found \(found)")
        default: self = .invalidValue(key: "?", reason: error.description)
        }
    }
}
