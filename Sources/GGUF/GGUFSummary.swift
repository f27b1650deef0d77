#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What `quantty inspect` shows about a GGUF file: identity, size, quantization mix and the
/// hyperparameters a user compares between files. Missing keys are `nil` (JSON `null`).
public struct GGUFSummary: Codable, Sendable, Equatable {
    /// Tensors of one type.
    public struct TypeUsage: Codable, Sendable, Equatable {
        /// ggml's name in capitals, e.g. `Q4_K`.
        public var type: String
        public var tensors: Int
        public var parameters: Int
        public var bytes: Int
    }

    public var path: String
    public var version: Int
    public var architecture: String?
    /// `general.name`.
    public var name: String?
    public var parameterCount: Int
    /// `general.file_type`, llama.cpp's `llama_ftype`.
    public var fileType: Int?
    /// The file type as llama.cpp's quantize tool names it (`Q4_K_M`).
    public var fileTypeName: String?
    public var fileSize: Int
    public var metadataCount: Int
    public var tensorCount: Int
    public var tensorBytes: Int
    /// Per tensor type, most bytes first.
    public var tensorTypes: [TypeUsage]
    /// Tensor bits over parameters.
    public var bitsPerWeight: Double
    public var contextLength: Int?
    public var embeddingLength: Int?
    public var layerCount: Int?
    public var headCount: Int?
    public var headCountKV: Int?
    public var vocabSize: Int?
    /// `tokenizer.ggml.model` (`gpt2`, `llama`, ...).
    public var tokenizerModel: String?
    /// `tokenizer.ggml.pre` (`smollm`, `llama-bpe`, ...).
    public var tokenizerPre: String?
    public var hasChatTemplate: Bool

    public init(_ file: GGUFFile) {
        func int(_ key: String) -> Int? {
            switch file[key] {
            case .array(_, let a)?: return a.compactMap(\.intValue).max()   // per-layer values
            case let v?: return v.boolValue == nil ? v.intValue : nil
            case nil: return nil
            }
        }
        path = file.path
        version = Int(file.version)
        architecture = file.architecture
        name = file["general.name"]?.stringValue
        parameterCount = file.parameterCount
        fileType = int("general.file_type")
        fileTypeName = fileType.map(Self.fileTypeName(_:))
        fileSize = file.fileSize
        metadataCount = file.metadataKeys.count
        tensorCount = file.tensors.count
        tensorBytes = file.tensorBytes

        var usage: [GGMLType: TypeUsage] = [:]
        for t in file.tensors {
            usage[t.type, default: TypeUsage(type: t.type.description, tensors: 0, parameters: 0, bytes: 0)].tensors += 1
            usage[t.type]!.parameters += t.elementCount
            usage[t.type]!.bytes += t.byteCount
        }
        tensorTypes = usage.values.sorted { ($0.bytes, $1.type) > ($1.bytes, $0.type) }
        bitsPerWeight = parameterCount > 0 ? Double(tensorBytes) * 8 / Double(parameterCount) : 0

        let arch = file.architecture ?? "unknown"
        contextLength = int("\(arch).context_length")
        embeddingLength = int("\(arch).embedding_length")
        layerCount = int("\(arch).block_count")
        headCount = int("\(arch).attention.head_count")
        headCountKV = int("\(arch).attention.head_count_kv")
        vocabSize = int("\(arch).vocab_size") ?? file["tokenizer.ggml.tokens"]?.arrayValue?.count
        tokenizerModel = file["tokenizer.ggml.model"]?.stringValue
        tokenizerPre = file["tokenizer.ggml.pre"]?.stringValue
        hasChatTemplate = file["tokenizer.chat_template"]?.stringValue.map { !$0.isEmpty } ?? false
    }

    // MARK: - File types

    /// llama.cpp's name for a `general.file_type` (`llama_ftype` in `include/llama.h`), as its
    /// quantize tool spells it: 3 -> `Q4_1`, 15 -> `Q4_K_M`. Unknown values read `unknown (N)`.
    public static func fileTypeName(_ ftype: Int) -> String {
        LlamaFileType(value: ftype)?.name ?? "unknown (\(ftype))"
    }

    // MARK: - Rendering

    /// Pretty-printed JSON with sorted keys; absent values are `null`.
    public func json() -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted]
        // Only strings, integers, finite doubles and bools: encoding cannot fail.
        return String(decoding: (try? e.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// A human-readable report: an aligned key/value block, then a table of tensor types.
    public var text: String {
        func opt(_ v: Int?) -> String { v.map(String.init) ?? "-" }
        let rows: [(String, String)] = [
            ("file", path),
            ("format", "GGUF v\(version), \(metadataCount) metadata keys, \(tensorCount) tensors"),
            ("architecture", architecture ?? "-"),
            ("name", name ?? "-"),
            ("file type", fileTypeName.map { "\($0) (\(fileType!))" } ?? "-"),
            ("file size", "\(Self.mib(fileSize)) MiB (\(Self.grouped(fileSize)) bytes)"),
            ("parameters", "\(Self.fixed(Double(parameterCount) / 1e6, 2)) M (\(Self.grouped(parameterCount)))"),
            ("bits/weight", Self.fixed(bitsPerWeight, 2)),
            ("context", opt(contextLength)),
            ("embedding", opt(embeddingLength)),
            ("layers", opt(layerCount)),
            ("heads", "\(opt(headCount)) (kv \(opt(headCountKV)))"),
            ("vocab", opt(vocabSize)),
            ("tokenizer", (tokenizerModel ?? "-") + (tokenizerPre.map { " (pre: \($0))" } ?? "")),
            ("chat template", hasChatTemplate ? "yes" : "no"),
        ]
        let width = rows.map(\.0.count).max()!
        var out = rows.map { $0.0.padding(width) + "  " + $0.1 }.joined(separator: "\n")

        let header = ["type", "tensors", "parameters", "MiB", "bits/weight"]
        var table = [header]
        for u in tensorTypes {
            table.append([u.type, String(u.tensors), Self.grouped(u.parameters), Self.mib(u.bytes),
                          Self.fixed(u.parameters > 0 ? Double(u.bytes * 8) / Double(u.parameters) : 0, 2)])
        }
        table.append(["total", String(tensorCount), Self.grouped(parameterCount), Self.mib(tensorBytes), Self.fixed(bitsPerWeight, 2)])
        let widths = (0 ..< header.count).map { c in table.map { $0[c].count }.max()! }
        out += "\n\n" + table.map { row in
            row.enumerated().map { c, cell in c == 0 ? cell.padding(widths[c]) : cell.leftPadding(widths[c]) }
                .joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
        return out
    }

    static func mib(_ bytes: Int) -> String { fixed(Double(bytes) / 1_048_576, 2) }

    /// `x` with `digits` decimals, rounded half away from zero (no Foundation formatting).
    static func fixed(_ x: Double, _ digits: Int) -> String {
        guard x.isFinite else { return "\(x)" }
        var scale = 1.0
        for _ in 0 ..< digits { scale *= 10 }
        let scaled = (abs(x) * scale).rounded()
        guard scaled < 9e18 else { return "\(x)" }
        let n = Int(scaled), p = Int(scale)
        let frac = String(n % p)
        let sign = x < 0 && n != 0 ? "-" : ""
        return digits == 0 ? "\(sign)\(n)" : "\(sign)\(n / p)." + String(repeating: "0", count: digits - frac.count) + frac
    }

    /// `134515008` -> `134,515,008`.
    static func grouped(_ n: Int) -> String {
        let s = String(n.magnitude)
        var out = ""
        for (i, c) in s.enumerated() {
            if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    // MARK: - Codable (every key present, absent values as null)

    enum CodingKeys: String, CodingKey {
        case path, version, architecture, name
        case parameterCount = "parameter_count", fileType = "file_type", fileTypeName = "file_type_name"
        case fileSize = "file_size", metadataCount = "metadata_count", tensorCount = "tensor_count"
        case tensorBytes = "tensor_bytes", tensorTypes = "tensor_types", bitsPerWeight = "bits_per_weight"
        case contextLength = "context_length", embeddingLength = "embedding_length", layerCount = "layer_count"
        case headCount = "head_count", headCountKV = "head_count_kv", vocabSize = "vocab_size"
        case tokenizerModel = "tokenizer_model", tokenizerPre = "tokenizer_pre", hasChatTemplate = "has_chat_template"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(path, forKey: .path)
        try c.encode(version, forKey: .version)
        try c.encode(architecture, forKey: .architecture)
        try c.encode(name, forKey: .name)
        try c.encode(parameterCount, forKey: .parameterCount)
        try c.encode(fileType, forKey: .fileType)
        try c.encode(fileTypeName, forKey: .fileTypeName)
        try c.encode(fileSize, forKey: .fileSize)
        try c.encode(metadataCount, forKey: .metadataCount)
        try c.encode(tensorCount, forKey: .tensorCount)
        try c.encode(tensorBytes, forKey: .tensorBytes)
        try c.encode(tensorTypes, forKey: .tensorTypes)
        try c.encode(bitsPerWeight, forKey: .bitsPerWeight)
        try c.encode(contextLength, forKey: .contextLength)
        try c.encode(embeddingLength, forKey: .embeddingLength)
        try c.encode(layerCount, forKey: .layerCount)
        try c.encode(headCount, forKey: .headCount)
        try c.encode(headCountKV, forKey: .headCountKV)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(tokenizerModel, forKey: .tokenizerModel)
        try c.encode(tokenizerPre, forKey: .tokenizerPre)
        try c.encode(hasChatTemplate, forKey: .hasChatTemplate)
    }
}

private extension String {
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
    func leftPadding(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
