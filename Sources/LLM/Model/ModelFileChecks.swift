import GGUF

/// Checks that a model file's metadata agrees with its tensors, as llama.cpp's loader does,
/// so a file that says one thing and holds another is refused with the keys named instead of
/// being run (issue 13, finding 6).
enum ModelFileChecks {
    /// Products of hyperparameters that size tensors and buffers must not wrap around.
    static func checkProducts(_ c: ModelConfiguration) throws(ModelError) {
        let pairs: [(String, Int, String, Int)] = [
            ("attention.head_count", c.headCount, "attention.key_length", c.headDim),
            ("attention.head_count", c.headCount, "attention.value_length", c.valueDim),
            ("attention.head_count_kv", c.headCountKV, "attention.key_length", c.headDim),
            ("attention.head_count_kv", c.headCountKV, "attention.value_length", c.valueDim),
            ("embedding_length", c.embeddingLength, "feed_forward_length", c.feedForwardLength),
            ("embedding_length", c.embeddingLength, "vocabulary size (token_embd.weight rows)", c.vocabularySize),
            ("context_length", c.contextLength, "embedding_length", c.embeddingLength),
        ]
        for (ka, a, kb, b) in pairs {
            let (p, overflow) = a.multipliedReportingOverflow(by: b)
            // Each factor is positive (validate); a product past 2^48 elements fits no machine.
            if overflow || p > 1 << 48 {
                throw .invalidHyperparameter(key: "\(c.architecture).\(ka)", value: "\(a)",
                                             reason: "\(ka) x \(kb) = \(a) x \(b) is too large (\(overflow ? "overflows" : "more than 2^48 elements"))")
            }
        }
    }

    /// `block_count` must match the `blk.N.*` tensors, and the tokenizer's vocabulary the rows
    /// of `token_embd.weight`.
    static func checkAgainstTensors(_ c: ModelConfiguration, file: GGUFFile) throws(ModelError) {
        var highest = -1
        for t in file.tensors where t.name.hasPrefix("blk.") {
            let rest = t.name.dropFirst(4)
            guard let dot = rest.firstIndex(of: "."), let i = Int(rest[..<dot]) else { continue }
            highest = max(highest, i)
        }
        // No block tensors at all: the loader names the first one missing.
        if highest >= 0, highest + 1 != c.layerCount {
            throw .invalidHyperparameter(key: "\(c.architecture).block_count", value: "\(c.layerCount)",
                                         reason: "the file's tensors are for \(highest + 1) blocks (blk.0 to blk.\(highest)); llama.cpp refuses this too")
        }
        if case .array(_, let tokens)? = file.metadata["tokenizer.ggml.tokens"], tokens.count != c.vocabularySize,
           file.tensorInfo("token_embd.weight") != nil {
            throw .invalidHyperparameter(key: "tokenizer.ggml.tokens", value: "\(tokens.count) tokens",
                                         reason: "token_embd.weight has \(c.vocabularySize) rows: the vocabulary and the embedding table must be the same size (llama.cpp refuses this too)")
        }
    }

    /// A metadata value as a user reads it: `an array of 3 uint32`, a quoted string, a number.
    static func describe(_ v: GGUFValue) -> String {
        switch v {
        case .array(let t, let a): return "an array of \(a.count) \(t) values"
        case .string(let s): return "the string \"\(s.prefix(40))\(s.count > 40 ? "..." : "")\""
        case .bool(let b): return "the boolean \(b)"
        default:
            if let i = v.intValue { return "\(i)" }
            return v.doubleValue.map { "\($0)" } ?? "a \(v.type) value"
        }
    }
}
