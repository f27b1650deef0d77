import GGUF

/// Kind of a vocabulary entry, as stored in `tokenizer.ggml.token_type` (llama.cpp's
/// `LLAMA_TOKEN_TYPE_*`).
public enum TokenType: Int32, Sendable {
    case undefined = 0, normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
}

/// One BPE merge rule; its rank is its index in `Vocabulary.merges`.
public struct BPEMerge: Sendable, Equatable {
    public var left: String
    public var right: String
    public init(left: String, right: String) { self.left = left; self.right = right }
}

/// The tokenizer's plain data, read from GGUF metadata with llama.cpp's defaults applied.
///
/// Nothing here tokenizes; `Tokenizer` builds its lookup tables from this once.
public struct Vocabulary: Sendable {
    /// Tokenizer family, from `tokenizer.ggml.model`.
    public enum Model: String, Sendable {
        /// Byte-level BPE (`gpt2`): GPT-2, Llama 3, Qwen, SmolLM... Gemma 4's `gemma4` (BPE on
        /// plain UTF-8) reads as this with the `gemma4` pre-tokenizer, as in llama.cpp.
        case bpe = "gpt2"
        /// SentencePiece BPE (`llama`): Llama 1/2, Mistral v1, Gemma.
        case spm = "llama"
    }

    public var model: Model
    /// `tokenizer.ggml.pre` as written in the file ("default" when absent).
    public var preTokenizerName: String
    /// The pre-tokenizer rules it selects (byte-level BPE only).
    public var preTokenizer: PreTokenizer
    public var tokens: PackedStrings
    /// SentencePiece scores (0 when absent).
    public var scores: [Float]
    public var types: [TokenType]
    /// BPE merges in rank order (empty for SentencePiece).
    public var merges: [BPEMerge]

    public var bos: Int32?
    public var eos: Int32?
    /// End of turn (`<|im_end|>`, `<end_of_turn>`, `<|eot_id|>`...): from metadata, else found by text.
    public var eot: Int32?
    public var eom: Int32?
    public var unk: Int32?
    public var pad: Int32?
    public var sep: Int32?
    /// Every token that ends generation (EOS, EOT, EOM and the usual suspects found by text).
    public var endOfGeneration: Set<Int32>

    /// Prepend BOS when encoding with `addSpecial` (llama.cpp default: true for SPM and Llama 3,
    /// false for other BPE; `tokenizer.ggml.add_bos_token` overrides).
    public var addBOS: Bool
    public var addEOS: Bool
    /// SentencePiece: prefix raw text with a space (default true; `tokenizer.ggml.add_space_prefix` overrides).
    public var addSpacePrefix: Bool
    /// BPE: a word that is itself a token skips merging (Llama 3).
    public var ignoreMerges: Bool
    /// Detokenizer removes spaces before punctuation (`clean_up_tokenization_spaces`).
    public var cleanSpaces: Bool

    public var count: Int { tokens.count }

    /// Memberwise initializer, for tests and synthetic vocabularies.
    public init(model: Model, preTokenizerName: String = "default", tokens: [String],
                scores: [Float]? = nil, types: [TokenType]? = nil, merges: [BPEMerge] = [],
                bos: Int32? = nil, eos: Int32? = nil, eot: Int32? = nil, eom: Int32? = nil,
                unk: Int32? = nil, pad: Int32? = nil, sep: Int32? = nil,
                addBOS: Bool? = nil, addEOS: Bool = false, addSpacePrefix: Bool? = nil) throws(TokenizerError) {
        try self.init(model: model, preTokenizerName: preTokenizerName, packedTokens: PackedStrings(tokens),
                      scores: scores, types: types, merges: merges, bos: bos, eos: eos, eot: eot, eom: eom,
                      unk: unk, pad: pad, sep: sep, addBOS: addBOS, addEOS: addEOS, addSpacePrefix: addSpacePrefix)
    }

    init(model: Model, preTokenizerName: String, packedTokens tokens: PackedStrings,
         scores: [Float]?, types: [TokenType]?, merges: [BPEMerge],
         bos: Int32?, eos: Int32?, eot: Int32?, eom: Int32?, unk: Int32?, pad: Int32?, sep: Int32?,
         addBOS: Bool?, addEOS: Bool, addSpacePrefix: Bool?) throws(TokenizerError) {
        self.model = model
        self.preTokenizerName = preTokenizerName
        self.tokens = tokens
        self.scores = scores ?? [Float](repeating: 0, count: tokens.count)
        self.types = types ?? [TokenType](repeating: .normal, count: tokens.count)
        self.merges = merges
        self.bos = bos; self.eos = eos; self.eot = eot; self.eom = eom
        self.unk = unk; self.pad = pad; self.sep = sep
        self.addEOS = addEOS
        self.endOfGeneration = []
        switch model {
        case .spm:
            preTokenizer = .default
            self.addBOS = addBOS ?? true
            self.addSpacePrefix = addSpacePrefix ?? true
            ignoreMerges = false
            cleanSpaces = false
        case .bpe:
            guard let pre = PreTokenizer(name: preTokenizerName) else {
                throw .unsupportedPreTokenizer(preTokenizerName)
            }
            preTokenizer = pre
            self.addBOS = pre.alwaysAddsBOS || (addBOS ?? pre.addsBOSByDefault)
            self.addSpacePrefix = addSpacePrefix ?? false
            ignoreMerges = pre.ignoresMerges
            cleanSpaces = pre.cleansSpaces
        }
        guard self.scores.count >= tokens.count else {
            throw .invalidValue(key: "tokenizer.ggml.scores", reason: "\(self.scores.count) scores for \(tokens.count) tokens")
        }
        guard self.types.count >= tokens.count else {
            throw .invalidValue(key: "tokenizer.ggml.token_type", reason: "\(self.types.count) types for \(tokens.count) tokens")
        }
        try finishSpecials()
    }

    /// Reads the vocabulary of a GGUF file. Keys that llama.cpp treats as optional fall back to
    /// its defaults; required keys missing or of the wrong type throw, naming the key.
    /// The most tokens a vocabulary may have: 4x the largest in use (Gemma 3: 262,144).
    public static let maxTokens = 1 << 20

    public init(gguf f: GGUFFile) throws(TokenizerError) {
        do {
            let modelName = try f.string("tokenizer.ggml.model")
            // Gemma 4's BPE on plain UTF-8 is llama.cpp's BPE with the "gemma4" pre-tokenizer.
            let gemma4 = modelName == "gemma4"
            guard let model = gemma4 ? .bpe : Model(rawValue: modelName) else { throw TokenizerError.unsupportedModel(modelName) }
            let pre = gemma4 ? "gemma4" : f.metadata["tokenizer.ggml.pre"] == nil ? "default" : try f.string("tokenizer.ggml.pre")
            // Bounded before any per-token work: a crafted file may ask for millions.
            if case .array(_, let a)? = f.metadata["tokenizer.ggml.tokens"], a.count > Self.maxTokens {
                throw TokenizerError.invalidValue(key: "tokenizer.ggml.tokens", reason: "\(a.count) tokens; quantty reads at most \(Self.maxTokens) (the largest vocabularies in use have about 262,000)")
            }
            var tokens = try f.packedStrings("tokenizer.ggml.tokens")
            guard !tokens.isEmpty else { throw TokenizerError.invalidValue(key: "tokenizer.ggml.tokens", reason: "empty") }
            // llama.cpp names empty tokens so that none is the empty string.
            if tokens.indices.contains(where: { tokens.utf8Count($0) == 0 }) {
                tokens = PackedStrings(tokens.indices.map { tokens.utf8Count($0) == 0 ? "[EMPTY_\($0)]" : tokens[$0] })
            }
            let scores = f.metadata["tokenizer.ggml.scores"] == nil ? nil : try f.floatArray("tokenizer.ggml.scores")
            var types: [TokenType]? = nil
            if f.metadata["tokenizer.ggml.token_type"] != nil {
                types = try f.intArray("tokenizer.ggml.token_type").map { TokenType(rawValue: Int32(truncatingIfNeeded: $0)) ?? .undefined }
            }
            var merges: [BPEMerge] = []
            if model == .bpe {
                let raw = try f.stringArray("tokenizer.ggml.merges")
                merges.reserveCapacity(raw.count)
                for m in raw {
                    // llama.cpp splits at the first space after the first byte; no space -> empty pair.
                    let u = Array(m.utf8)
                    if let sp = u.dropFirst().firstIndex(of: 0x20) {
                        merges.append(BPEMerge(left: String(decoding: u[..<sp], as: UTF8.self),
                                               right: String(decoding: u[(sp + 1)...], as: UTF8.self)))
                    } else {
                        merges.append(BPEMerge(left: "", right: ""))
                    }
                }
            }
            let n = tokens.count
            // Special ids: metadata wins when in range; otherwise llama.cpp's per-model defaults.
            func special(_ key: String, _ fallback: Int32?) throws -> Int32? {
                var id = fallback.flatMap { $0 >= 0 && Int($0) < n ? $0 : nil }
                if f.metadata[key] != nil {
                    let v = try f.int(key)
                    if v >= 0 && v < n { id = Int32(v) }
                }
                return id
            }
            let spm = model == .spm
            let bos = try special("tokenizer.ggml.bos_token_id", spm ? 1 : gemma4 ? nil : 11)
            let eos = try special("tokenizer.ggml.eos_token_id", spm ? 2 : gemma4 ? nil : 11)
            let eot = try special("tokenizer.ggml.eot_token_id", nil)
            let eom = try special("tokenizer.ggml.eom_token_id", nil)
            let unk = try special("tokenizer.ggml.unknown_token_id", spm ? 0 : nil)
            let pad = try special("tokenizer.ggml.padding_token_id", nil)
            let sep = try special("tokenizer.ggml.seperator_token_id", nil)
            func flag(_ key: String) throws -> Bool? { f.metadata[key] == nil ? nil : try f.bool(key) }
            try self.init(model: model, preTokenizerName: pre, packedTokens: tokens, scores: scores, types: types,
                          merges: merges, bos: bos, eos: eos, eot: eot, eom: eom, unk: unk, pad: pad, sep: sep,
                          addBOS: try flag("tokenizer.ggml.add_bos_token"),
                          addEOS: try flag("tokenizer.ggml.add_eos_token") ?? false,
                          addSpacePrefix: try flag("tokenizer.ggml.add_space_prefix"))
        } catch let e as GGUFError {
            throw TokenizerError(e)
        } catch let e as TokenizerError {
            throw e
        } catch {
            throw .invalidValue(key: "?", reason: "\(error)")
        }
    }

    /// Finds EOT/EOG tokens by text as llama.cpp does, marks them CONTROL, checks add_bos/add_eos.
    private mutating func finishSpecials() throws(TokenizerError) {
        let eotNames = ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                        "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>"]
        let eogNames: Set<String> = ["<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>",
                                     "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>",
                                     "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>",
                                     "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~["]
        // Look at a token's first byte and length before hashing it: a Set<String> lookup
        // normalizes Unicode, and Gemma has 262k tokens.
        var firstByte = [Bool](repeating: false, count: 256)
        for n in eogNames { firstByte[Int(n.utf8.first!)] = true }
        let longest = eogNames.map(\.utf8.count).max()!
        var byText: [String: Int32] = [:]
        for i in tokens.indices {
            let r = tokens.range(i)
            guard r.count > 0, r.count <= longest, firstByte[Int(tokens.bytes[r.lowerBound])] else { continue }
            let t = tokens[i]
            if eogNames.contains(t) || t == "<|eom_id|>", byText[t] == nil { byText[t] = Int32(i) }
        }
        func markControl(_ id: Int32) {
            if types[Int(id)] != .control { types[Int(id)] = .control }
        }
        // llama.cpp walks an unordered map here, so which name wins is unspecified; we take the
        // list order, which prefers the chat template's turn end (`<|im_end|>` over `<|endoftext|>`).
        if eot == nil, let id = eotNames.lazy.compactMap({ byText[$0] }).first {
            eot = id
            markControl(id)
        }
        if eom == nil, let id = byText["<|eom_id|>"] {
            eom = id
            markControl(id)
        }
        var eog = Set<Int32>()
        for (name, id) in byText where eogNames.contains(name) {
            eog.insert(id)
            markControl(id)
        }
        for id in [eos, eot, eom].compactMap({ $0 }) { eog.insert(id) }
        // o200k_harmony / solar-open: <|end|> is not an end of generation there.
        if let end = byText["<|end|>"], (byText["<|return|>"] != nil && byText["<|call|>"] != nil)
            || (byText["<|calls|>"] != nil && byText["<|flush|>"] != nil) {
            eog.remove(end)
            types[Int(end)] = .userDefined
        }
        // Gemma 4 and PLaMo: </s> is an ordinary token there.
        if let s = byText["</s>"], eog.contains(s),
           eog.contains(where: { tokens[Int($0)] == "<|tool_response>" || tokens[Int($0)] == "<|plamo:eos|>" }) {
            eog.remove(s)
            types[Int(s)] = .normal
        }
        endOfGeneration = eog
        if addBOS && bos == nil {
            throw .invalidValue(key: "tokenizer.ggml.add_bos_token", reason: "true, but tokenizer.ggml.bos_token_id is not set")
        }
        if addEOS && eos == nil {
            throw .invalidValue(key: "tokenizer.ggml.add_eos_token", reason: "true, but tokenizer.ggml.eos_token_id is not set")
        }
    }
}
