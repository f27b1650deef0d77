import GGUF

/// Text <-> token ids for a GGUF model, matching llama.cpp's `llama_tokenize` and
/// `llama_detokenize` (byte-level BPE and SentencePiece).
///
/// Lookup tables are built once in `init`; encoding and decoding are then read-only, so one
/// value can be shared across tasks.
public struct Tokenizer: Sendable {
    public let vocabulary: Vocabulary

    private enum Engine: Sendable {
        case bpe(BPEEncoder)
        case spm(SPMEncoder)
    }

    private let engine: Engine
    private let specials: SpecialTokenMatcher
    /// Bytes of every token's piece (llama.cpp's `token_to_piece(special: true)` cache).
    private let pieceBytes: [UInt8]
    private let pieceOffsets: [Int32]

    public init(vocabulary: Vocabulary) {
        self.vocabulary = vocabulary
        switch vocabulary.model {
        case .bpe: engine = .bpe(BPEEncoder(vocabulary: vocabulary))
        case .spm: engine = .spm(SPMEncoder(vocabulary: vocabulary))
        }
        specials = SpecialTokenMatcher(vocabulary: vocabulary)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(vocabulary.tokens.bytes.count)
        var offsets: [Int32] = [0]
        offsets.reserveCapacity(vocabulary.count + 1)
        for i in 0..<vocabulary.count {
            Tokenizer.appendPiece(vocabulary, i, to: &bytes)
            offsets.append(Int32(bytes.count))
        }
        pieceBytes = bytes
        pieceOffsets = offsets
    }

    /// Reads the vocabulary from a GGUF file's metadata and builds the tokenizer.
    public init(gguf: GGUFFile) throws(TokenizerError) {
        self.init(vocabulary: try Vocabulary(gguf: gguf))
    }

    public var count: Int { vocabulary.count }
    public var bos: Int32? { vocabulary.bos }
    public var eos: Int32? { vocabulary.eos }

    /// True for tokens that end generation (EOS, EOT, `<|im_end|>`, `<end_of_turn>`...).
    public func isEndOfGeneration(_ id: Int32) -> Bool { vocabulary.endOfGeneration.contains(id) }

    // MARK: - Encoding

    /// Token ids for `text`.
    /// - Parameters:
    ///   - addSpecial: add BOS/EOS as the model's metadata says (`add_bos_token`, `add_eos_token`).
    ///   - parseSpecial: control tokens written in the text (`<|im_start|>`) become their ids;
    ///     otherwise they are tokenized as plain text. User-defined tokens always match.
    public func encode(_ text: String, addSpecial: Bool = true, parseSpecial: Bool = false) -> [Int32] {
        var text = text
        return text.withUTF8 { encode(utf8: $0, addSpecial: addSpecial, parseSpecial: parseSpecial) }
    }

    /// `encode` on raw UTF-8 bytes.
    public func encode(utf8 text: UnsafeBufferPointer<UInt8>, addSpecial: Bool = true, parseSpecial: Bool = false) -> [Int32] {
        var output: [Int32] = []
        output.reserveCapacity(text.count / 3 + 2)
        let fragments = specials.partition(text, parseSpecial: parseSpecial)
        let v = vocabulary
        if addSpecial && v.addBOS, let bos = v.bos { output.append(bos) }
        switch engine {
        case .bpe(let bpe):
            for f in fragments {
                switch f {
                case .token(let id): output.append(id)
                case .text(let r): bpe.encode(UnsafeBufferPointer(rebasing: text[r]), into: &output)
                }
            }
        case .spm(let spm):
            var prevSpecial = true
            var buffer: [UInt8] = []
            for f in fragments {
                switch f {
                case .token(let id):
                    output.append(id)
                    prevSpecial = true
                case .text(let r):
                    buffer.removeAll(keepingCapacity: true)
                    if v.addSpacePrefix && prevSpecial { buffer.append(contentsOf: [0xE2, 0x96, 0x81]) }
                    for b in text[r] {
                        if b == 0x20 { buffer.append(contentsOf: [0xE2, 0x96, 0x81]) } else { buffer.append(b) }
                    }
                    buffer.withUnsafeBufferPointer { spm.encode($0, into: &output) }
                    prevSpecial = false
                }
            }
        }
        if addSpecial && v.addEOS, let eos = v.eos { output.append(eos) }
        return output
    }

    // MARK: - Decoding

    /// The bytes a token stands for. Control and unknown tokens give their text only when
    /// `renderSpecial`; ids out of range give nothing. May be part of a UTF-8 character.
    public func piece(for id: Int32, renderSpecial: Bool = true) -> ArraySlice<UInt8> {
        guard id >= 0 && Int(id) < vocabulary.count else { return [] }
        if !renderSpecial {
            let t = vocabulary.types[Int(id)]
            if t == .control || t == .unknown { return [] }
        }
        return pieceBytes[Int(pieceOffsets[Int(id)])..<Int(pieceOffsets[Int(id) + 1])]
    }

    /// The piece as text (invalid UTF-8 shown as U+FFFD), for display and debugging.
    public func pieceText(for id: Int32, renderSpecial: Bool = true) -> String {
        String(decoding: piece(for: id, renderSpecial: renderSpecial), as: UTF8.self)
    }

    /// Text for `ids`, as llama.cpp's `llama_detokenize`.
    /// - Parameters:
    ///   - removeSpecial: drop a leading BOS and trailing EOS that `addSpecial` would add.
    ///   - renderSpecial: write control tokens' text (`<|im_end|>`) instead of nothing.
    public func decode(_ ids: [Int32], removeSpecial: Bool = false, renderSpecial: Bool = false) -> String {
        String(decoding: decodeBytes(ids, removeSpecial: removeSpecial, renderSpecial: renderSpecial), as: UTF8.self)
    }

    /// `decode` without the final UTF-8 interpretation.
    public func decodeBytes(_ ids: [Int32], removeSpecial: Bool = false, renderSpecial: Bool = false) -> [UInt8] {
        let v = vocabulary
        var ids = ids[...]
        var removeSpace = v.addSpacePrefix
        if removeSpecial && v.addBOS, let bos = v.bos, ids.first == bos {
            removeSpace = false
            ids = ids.dropFirst()
        }
        if removeSpecial && v.addEOS, let eos = v.eos, ids.last == eos { ids = ids.dropLast() }
        var out: [UInt8] = []
        for id in ids {
            var p = piece(for: id, renderSpecial: renderSpecial)
            if removeSpace && p.first == 0x20 { p = p.dropFirst() }
            removeSpace = false
            out.append(contentsOf: p)
        }
        if v.cleanSpaces { out = Tokenizer.cleanSpaces(out) }
        return out
    }

    /// A decoder that turns ids into text one at a time, never splitting a UTF-8 character.
    public func makeStreamingDecoder(renderSpecial: Bool = false) -> StreamingDecoder {
        StreamingDecoder(tokenizer: self, renderSpecial: renderSpecial)
    }

    // MARK: - Internals

    /// Appends llama.cpp's `token_to_piece(special: true)` for one token.
    private static func appendPiece(_ v: Vocabulary, _ i: Int, to out: inout [UInt8]) {
        let text = v.tokens.bytes[v.tokens.range(i)]
        switch v.types[i] {
        case .control, .unknown, .userDefined:
            out.append(contentsOf: text)
        case .normal:
            switch v.model {
            case .spm:
                if text.contains(0xE2) {
                    appendUnescapingSpaces(text, to: &out)
                } else {
                    out.append(contentsOf: text)
                }
            case .bpe where v.preTokenizer.escapesSpaces:
                appendUnescapingSpaces(text, to: &out)
            case .bpe:
                // Printable ASCII stands for itself in GPT-2's byte mapping.
                if text.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) {
                    out.append(contentsOf: text)
                } else {
                    out.append(contentsOf: ByteLevel.decode(v.tokens[i]))
                }
            }
        case .byte:
            let u = Array(text)   // <0xXX>
            if u.count == 6, let b = UInt8(String(decoding: u[3..<5], as: UTF8.self), radix: 16) { out.append(b) }
        case .undefined, .unused:
            break
        }
    }

    /// Appends `b` with U+2581 (the SentencePiece space) turned into ' '.
    static func appendUnescapingSpaces(_ b: ArraySlice<UInt8>, to out: inout [UInt8]) {
        var pending = 0   // bytes of a possible E2 96 81 seen so far
        for c in b {
            switch (pending, c) {
            case (0, 0xE2), (1, 0x96):
                pending += 1
            case (2, 0x81):
                out.append(0x20)
                pending = 0
            default:
                if pending > 0 {
                    out.append(0xE2)
                    if pending == 2 { out.append(0x96) }
                    pending = 0
                }
                if c == 0xE2 { pending = 1 } else { out.append(c) }
            }
        }
        if pending > 0 {
            out.append(0xE2)
            if pending == 2 { out.append(0x96) }
        }
    }

    /// llama.cpp's `clean_spaces` passes: " ?" " !" " ." " ," lose the space, " ' " loses both
    /// spaces, and " 's" " 'm" " 're" " 've" lose the space.
    static func cleanSpaces(_ t: [UInt8]) -> [UInt8] {
        if t.isEmpty { return t }
        var text = t
        // 1: space before ? ! . ,
        var total = 1
        for i in 1..<text.count {
            let x = text[i]
            if text[i - 1] == 0x20 && (x == 0x3F || x == 0x21 || x == 0x2E || x == 0x2C) { total -= 1 }
            text[total] = x
            total += 1
        }
        text.removeLast(text.count - total)
        // 2: " ' " -> "'"
        if text.count > 1 {
            let n = text.count
            total = 1
            var i = 1
            while i < n {
                let x = text[i]
                if x == 0x27 && i + 1 < n && text[i - 1] == 0x20 && text[i + 1] == 0x20 {
                    total -= 1
                    i += 1
                    text[i] = 0
                }
                text[total] = x
                total += 1
                i += 1
            }
            text.removeLast(text.count - total)
        }
        // 3: contractions
        if text.count > 1 {
            let n = text.count
            total = 1
            for i in 1..<n {
                let x = text[i]
                if text[i - 1] == 0x20 && x == 0x27 && i + 1 < n {
                    let x1 = text[i + 1]
                    if x1 == 0x73 || x1 == 0x6D {
                        total -= 1
                    } else if x1 != 0x74 && x1 != 0x64 && i + 2 < n {
                        let x2 = text[i + 2]
                        if (x1 == 0x72 && x2 == 0x65) || (x1 == 0x76 && x2 == 0x65) { total -= 1 }
                    }
                }
                text[total] = x
                total += 1
            }
            text.removeLast(text.count - total)
        }
        return text
    }
}
