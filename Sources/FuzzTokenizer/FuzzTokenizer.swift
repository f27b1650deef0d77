// libFuzzer target: the tokenizers. Built once from the real vocabularies (SmolLM2's
// byte-level BPE, Gemma 3's SentencePiece) in $XDG_CACHE_HOME/quantty/models, or from small
// synthetic vocabularies when those files are absent. The first input byte chooses the
// tokenizer and the mode; the rest is text to encode, or token ids to decode.
// Built by `make fuzz` only.
import FuzzSupport
import Foundation
import GGUF
import LLM

struct Loaded: @unchecked Sendable {
    let tokenizers: [Tokenizer]
    let files: [GGUFFile]   // keeps the mappings alive
    /// Per tokenizer, the bytes whose byte-level BPE token is not in the vocabulary (SmolLM2
    /// lacks 21 of them, e.g. 0x04 and 0x14): text with those bytes cannot round-trip, and
    /// quantty drops them where llama.cpp's byte_to_token would throw.
    let missingBytes: [Set<UInt8>]
}

/// GPT-2's bytes_to_unicode: the vocabulary text of each byte.
let byteChars: [String] = (0 ..< 256).map { b -> String in
    func printable(_ c: Int) -> Bool { (33 ... 126).contains(c) || (161 ... 172).contains(c) || (174 ... 255).contains(c) }
    if printable(b) { return String(UnicodeScalar(UInt8(b))) }
    let n = (0 ..< b).filter { !printable($0) }.count
    return String(UnicodeScalar(UInt32(256 + n))!)
}

let loaded: Loaded = {
    let env = ProcessInfo.processInfo.environment
    let cache = env["XDG_CACHE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? (NSHomeDirectory() + "/.cache")
    var toks: [Tokenizer] = []
    var files: [GGUFFile] = []
    for name in ["SmolLM2-135M-Instruct.Q4_1.gguf", "gemma-3-270m-q4_k_m.gguf"] {
        let path = cache + "/quantty/models/" + name
        if let f = try? GGUFFile(path: path), let t = try? Tokenizer(gguf: f) {
            toks.append(t); files.append(f)
            FileHandle.standardError.write("FuzzTokenizer: \(name): \(t.vocabulary.model) vocabulary of \(t.count)\n".data(using: .utf8)!)
        }
    }
    if toks.isEmpty {
        FileHandle.standardError.write("FuzzTokenizer: real models absent; synthetic vocabularies\n".data(using: .utf8)!)
        toks = syntheticTokenizers()
    }
    let missing = toks.map { t -> Set<UInt8> in
        guard t.vocabulary.model == .bpe else { return [] }
        let known = Set(t.vocabulary.tokens)
        return Set((0 ..< 256).filter { !known.contains(byteChars[$0]) }.map { UInt8($0) })
    }
    return Loaded(tokenizers: toks, files: files, missingBytes: missing)
}()

/// A byte-level BPE vocabulary (256 byte tokens, a few merges, ChatML specials) and an SPM one
/// (byte fallback tokens, a few words), enough to reach every code path without a model.
func syntheticTokenizers() -> [Tokenizer] {
    var bpeTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] + byteChars
    let merges = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("Ġ", "a")]
    for (l, r) in merges { bpeTokens.append(l + r) }
    var bpeTypes = [TokenType](repeating: .normal, count: bpeTokens.count)
    bpeTypes[0] = .control; bpeTypes[1] = .control; bpeTypes[2] = .control
    var spmTokens = ["<unk>", "<s>", "</s>"] + (0 ..< 256).map { String(format: "<0x%02X>", $0) }
    let words = ["▁", "▁the", "▁a", "he", "llo", "▁hello", "▁world", "▁ü", "🙂"]
    spmTokens += words
    var spmTypes = [TokenType](repeating: .normal, count: spmTokens.count)
    spmTypes[0] = .unknown; spmTypes[1] = .control; spmTypes[2] = .control
    for i in 3 ..< 259 { spmTypes[i] = .byte }
    let spmScores = (0 ..< spmTokens.count).map { -Float($0) }
    do {
        let bpe = try Vocabulary(model: .bpe, preTokenizerName: "smollm", tokens: bpeTokens, types: bpeTypes,
                                 merges: merges.map { BPEMerge(left: $0.0, right: $0.1) }, bos: 1, eos: 2)
        let spm = try Vocabulary(model: .spm, tokens: spmTokens, scores: spmScores, types: spmTypes,
                                 bos: 1, eos: 2, unk: 0)
        return [Tokenizer(vocabulary: bpe), Tokenizer(vocabulary: spm)]
    } catch {
        fatalError("synthetic vocabularies: \(error)")
    }
}


@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let toks = loaded.tokenizers
    let flags = data[0]
    let which = Int(flags & 1) % toks.count
    let tok = toks[which]
    let addSpecial = flags & 2 != 0, parseSpecial = flags & 4 != 0
    let body = UnsafeBufferPointer(start: data + 1, count: size - 1)
    if flags & 8 == 0 {
        // Encode: valid UTF-8 through String (what the engine does), anything else through
        // encode(utf8:) (public, takes any bytes); then decode what came out.
        let valid = String(validating: body, as: UTF8.self)
        let ids = valid.map { tok.encode($0, addSpecial: addSpecial, parseSpecial: parseSpecial) }
            ?? tok.encode(utf8: body, addSpecial: addSpecial, parseSpecial: parseSpecial)
        for id in ids { precondition(id >= 0 && Int(id) < tok.count, "id \(id) outside the vocabulary") }
        decode(tok, ids, flags)
        // Byte-level BPE loses nothing: plain text (no specials) decodes back to itself.
        if tok.vocabulary.model == .bpe, !addSpecial, !parseSpecial, !tok.vocabulary.cleanSpaces, valid != nil,
           !body.contains(where: { loaded.missingBytes[which].contains($0) }) {
            let back = tok.decodeBytes(ids, renderSpecial: true)
            if !back.elementsEqual(body) {
                // Release builds drop precondition messages: say what differed first.
                FileHandle.standardError.write(Data("BPE round trip changed the text: \(Array(body)) -> \(ids) -> \(back)\n".utf8))
                preconditionFailure("BPE round trip changed the text")
            }
        }
    } else {
        // Decode arbitrary ids, in range and out of range.
        var ids: [Int32] = []
        var i = 0
        while i + 2 <= body.count {
            let raw = Int32(body[i]) | Int32(body[i + 1]) << 8
            ids.append(flags & 16 != 0 ? raw % Int32(tok.count + 2) - 1 : raw)
            i += 2
        }
        decode(tok, ids, flags)
    }
    return 0
}

func decode(_ tok: Tokenizer, _ ids: [Int32], _ flags: UInt8) {
    let removeSpecial = flags & 32 != 0, renderSpecial = flags & 64 != 0
    let bytes = tok.decodeBytes(ids, removeSpecial: removeSpecial, renderSpecial: renderSpecial)
    blackHole(tok.decode(ids, removeSpecial: removeSpecial, renderSpecial: renderSpecial))
    var dec = tok.makeStreamingDecoder(renderSpecial: renderSpecial)
    var streamed = ""
    for id in ids {
        streamed += dec.feed(id)
        blackHole(tok.pieceText(for: id, renderSpecial: renderSpecial))
        blackHole(tok.isEndOfGeneration(id))
    }
    streamed += dec.flush()
    precondition(dec.pendingByteCount == 0)
    blackHole((bytes, streamed))
}

// SwiftPM links this executable's `main` as `FuzzTokenizer_main`: libFuzzer's driver takes over.
@_cdecl("FuzzTokenizer_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
