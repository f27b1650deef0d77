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
        case .unsupportedModel(let m): return "tokenizer: unsupported tokenizer.ggml.model '\(m)'"
        case .unsupportedPreTokenizer(let p): return "tokenizer: unsupported tokenizer.ggml.pre '\(p)'"
        }
    }

    init(_ error: GGUFError) {
        switch error {
        case .missingKey(let k): self = .missingKey(k)
        case .wrongType(let k, let expected, let found):
            self = .invalidValue(key: k, reason: "expected \(expected), found \(found)")
        default: self = .invalidValue(key: "?", reason: error.description)
        }
    }
}
