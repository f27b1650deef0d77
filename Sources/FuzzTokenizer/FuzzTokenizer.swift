// libFuzzer target: the tokenizers. Built once from the real vocabularies (SmolLM2's
// byte-level BPE, Gemma 3's SentencePiece) in $XDG_CACHE_HOME/quantty/models, or from small
// synthetic vocabularies when those files are absent. The first input byte chooses the
// tokenizer and the mode; the rest is text to encode, or token ids to decode.
// Built by `make fuzz` only.
import Foundation
import GGUF
import LLM

struct Loaded: @unchecked Sendable {
    let tokenizers: [Tokenizer]
    let files: [GGUFFile]   // keeps the mappings alive
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
    return Loaded(tokenizers: toks, files: files)
}()

/// A byte-level BPE vocabulary (256 byte tokens, a few merges, ChatML specials) and an SPM one
/// (byte fallback tokens, a few words), enough to reach every code path without a model.
func syntheticTokenizers() -> [Tokenizer] {
    let byteChars: [String] = (0 ..< 256).map { b -> String in
        // GPT-2's bytes_to_unicode.
        let printable = (33 ... 126).contains(b) || (161 ... 172).contains(b) || (174 ... 255).contains(b)
        if printable { return String(UnicodeScalar(UInt8(b))) }
        var n = 0
        for c in 0 ..< b where !((33 ... 126).contains(c) || (161 ... 172).contains(c) || (174 ... 255).contains(c)) { n += 1 }
        return String(UnicodeScalar(UInt32(256 + n))!)
    }
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

@inline(never) func blackHole<T>(_ x: T) { withExtendedLifetime(x) {} }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let toks = loaded.tokenizers
    let flags = data[0]
    let tok = toks[Int(flags & 1) % toks.count]
    let addSpecial = flags & 2 != 0, parseSpecial = flags & 4 != 0
    let body = UnsafeBufferPointer(start: data + 1, count: size - 1)
    if flags & 8 == 0 {
        // Encode arbitrary bytes (invalid UTF-8 included: the engine only passes Strings, but
        // encode(utf8:) is public), then decode what came out.
        let ids = tok.encode(utf8: body, addSpecial: addSpecial, parseSpecial: parseSpecial)
        for id in ids { precondition(id >= 0 && Int(id) < tok.count, "id \(id) outside the vocabulary") }
        decode(tok, ids, flags)
        // Same through String (what the engine does).
        let text = String(decoding: body, as: UTF8.self)
        let ids2 = tok.encode(text, addSpecial: addSpecial, parseSpecial: parseSpecial)
        for id in ids2 { precondition(id >= 0 && Int(id) < tok.count, "id \(id) outside the vocabulary") }
        // Byte-level BPE loses nothing: plain text (no special parsing) decodes back to itself.
        if tok.vocabulary.model == .bpe, !parseSpecial, !tok.vocabulary.cleanSpaces,
           String(validating: body, as: UTF8.self) != nil {
            let back = tok.decodeBytes(tok.encode(text, addSpecial: false, parseSpecial: false), renderSpecial: true)
            precondition(back.elementsEqual(body), "BPE round trip changed the text")
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

// SwiftPM links executables with `main` aliased to `<Target>_main`; that function hands
// control to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("FuzzTokenizer_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var argc = argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
