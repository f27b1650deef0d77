// libFuzzer target: arbitrary bytes -> GGUFFile, then every accessor the app uses on a file
// (inspect's summary, typed metadata, tensor views, the tokenizer's vocabulary, the chat
// template) and a metadata round trip through GGUFWriter. Built by `make fuzz` only.
import FuzzSupport
import GGUF
import LLM

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    if let file = try? GGUFFile(unsafeBytes: bytes, requireSupportedTypes: false) {
        exercise(file)
        // The strict reader accepts a subset of what the lenient one does.
        if let strict = try? GGUFFile(unsafeBytes: bytes, requireSupportedTypes: true) {
            precondition(strict.tensors == file.tensors && strict.metadataKeys == file.metadataKeys)
        }
    }
    return 0
}


func exercise(_ file: GGUFFile) {
    blackHole(file.version); blackHole(file.alignment); blackHole(file.dataOffset)
    precondition(file.metadataKeys.count == file.metadata.count)
    for key in file.metadataKeys {
        guard let v = file[key] else { preconditionFailure("key \(key) listed but absent") }
        blackHole((v.type, v.intValue, v.doubleValue, v.stringValue, v.boolValue, v.arrayValue?.count))
        blackHole(try? file.string(key)); blackHole(try? file.int(key)); blackHole(try? file.float(key))
        blackHole(try? file.bool(key)); blackHole(try? file.stringArray(key))
        blackHole(try? file.floatArray(key)); blackHole(try? file.intArray(key))
    }
    blackHole(file.architecture); blackHole(file.archKey("context_length"))
    blackHole(file.parameterCount); blackHole(file.tensorBytes)
    var sum: UInt8 = 0
    for t in file.tensors {
        precondition(file.tensorInfo(t.name) == t)
        blackHole((t.elementCount, t.rowWidth, t.rowCount, t.rowBytes, t.type.bitsPerWeight, t.type.name,
                   t.type.description, t.type.isSupported))
        let d = file.tensorData(t)
        precondition(d.count == t.byteCount)
        if let first = d.first, let last = d.last { sum &+= first &+ last }
        blackHole(try? file.tensorData(named: t.name))
    }
    blackHole(sum)
    let summary = GGUFSummary(file)
    blackHole(summary.json()); blackHole(summary.text)

    // Tokenizer vocabulary (the engine builds one for every model it opens).
    if let vocab = try? Vocabulary(gguf: file), vocab.count <= 4096 {
        let tok = Tokenizer(vocabulary: vocab)
        let ids = tok.encode("Hello, world! <|im_start|> 123 ü 🙂", addSpecial: true, parseSpecial: true)
        for id in ids { precondition(id >= 0 && Int(id) < tok.count, "id \(id) outside the vocabulary") }
        blackHole(tok.decode(ids, removeSpecial: true, renderSpecial: true))
        var dec = tok.makeStreamingDecoder()
        for id in ids { blackHole(dec.feed(id)) }
        blackHole(dec.flush())
    }
    // Chat template (the engine resolves one for every model it opens).
    if let template = try? ChatTemplate(file: file) {
        blackHole(template.render([.system("s"), .user("u"), .assistant("a"), .user("v")], addGenerationPrompt: true))
        blackHole(template.endOfTurnStrings)
    }
    // `quantize` copies a file's metadata with GGUFWriter: whatever it writes must read back.
    if let image = try? GGUFWriter(metadataOf: file).serialized() {
        let back = image.withUnsafeBytes { raw in
            Result { () throws(GGUFError) -> [String] in
                try GGUFFile(unsafeBytes: raw, requireSupportedTypes: false).metadataKeys
            }
        }
        switch back {
        case .success(let keys): precondition(Set(keys).isSuperset(of: file.metadataKeys.filter { $0 != "general.alignment" }))
        case .failure(let e): preconditionFailure("GGUFWriter wrote metadata its reader refuses: \(e)")
        }
    }
}

// SwiftPM links this executable's `main` as `FuzzGGUF_main`: libFuzzer's driver takes over.
@_cdecl("FuzzGGUF_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
