import GGUF

// Per-tensor type plans for the quantizer, following llama.cpp's `llama-quantize` without an
// importance matrix (`src/llama-quant.cpp`: `tensor_allows_quantization`, `llama_tensor_get_type`,
// `tensor_type_fallback`, `llama_model_quantize_impl`). The rules are restated here for the file
// types quantty offers; the IQ / TQ / MXFP4 mixes are left out.
//
// The plan walks the tensors in llama.cpp's order (`weight_name_comparer`: by block number, tensors
// outside blocks first, then by name), because the layer rules count attn_v / ffn_down tensors as
// they are met. That order is also the order of the tensors in the written file.

// MARK: - Levels

/// A target file type (llama.cpp's `llama_ftype`), named as `llama-quantize` names it.
public enum QuantizationLevel: String, CaseIterable, Sendable, CustomStringConvertible {
    case f32 = "F32", f16 = "F16", bf16 = "BF16"
    case q4_0 = "Q4_0", q4_1 = "Q4_1", q5_0 = "Q5_0", q5_1 = "Q5_1", q8_0 = "Q8_0"
    case q2_K = "Q2_K"
    case q3_K_S = "Q3_K_S", q3_K_M = "Q3_K_M", q3_K_L = "Q3_K_L"
    case q4_K_S = "Q4_K_S", q4_K_M = "Q4_K_M"
    case q5_K_S = "Q5_K_S", q5_K_M = "Q5_K_M"
    case q6_K = "Q6_K"

    /// This level's row of llama.cpp's file-type table (`LlamaFileType`).
    public var llamaFileType: LlamaFileType {
        guard let t = LlamaFileType.named(rawValue), t.defaultType != nil else {
            preconditionFailure("\(rawValue) is not a writable row of LlamaFileType.all")
        }
        return t
    }

    /// `general.file_type`: the value of llama.cpp's `llama_ftype`.
    public var fileType: UInt32 { llamaFileType.value }

    /// The type of every quantizable tensor before the mix's rules (`llama_ftype_get_default_type`).
    public var defaultType: GGMLType { llamaFileType.defaultType! }

    /// Whether the level stores weights in a block-quantized format (not F32/F16/BF16).
    public var isQuantized: Bool { defaultType.isBlockQuantized }

    /// Parses `Q4_K_M`, `q8_0`, `bf16`, ... case-insensitively.
    public init?(name: String) {
        let n = name.uppercased()
        guard let l = QuantizationLevel.allCases.first(where: { $0.rawValue == n }) else { return nil }
        self = l
    }

    /// The level whose `general.file_type` is `fileType`.
    public init?(fileType: UInt32) {
        guard let l = QuantizationLevel.allCases.first(where: { $0.fileType == fileType }) else { return nil }
        self = l
    }

    public var name: String { rawValue }
    public var description: String { rawValue }
}

extension GGMLType {
    /// ggml's `ggml_is_quantized`: every block format (everything but the float and integer
    /// scalar types).
    public var isBlockQuantized: Bool {
        switch self {
        case .f32, .f16, .bf16, .i8, .i16, .i32, .i64, .f64: return false
        default: return true
        }
    }
}

// MARK: - Hyperparameters

/// The model facts the type rules depend on (llama.cpp reads them from the same keys).
public struct ModelHyperparameters: Sendable, Equatable {
    /// `general.architecture`.
    public var architecture: String
    /// `ARCH.block_count`.
    public var layerCount: Int
    /// `ARCH.attention.head_count` (of layer 0 when per-layer).
    public var headCount: Int
    /// `ARCH.attention.head_count_kv` (defaults to `headCount`).
    public var headCountKV: Int
    /// `ARCH.expert_count` (0 for dense models).
    public var expertCount: Int

    public init(architecture: String, layerCount: Int, headCount: Int, headCountKV: Int, expertCount: Int = 0) {
        self.architecture = architecture
        self.layerCount = layerCount
        self.headCount = headCount
        self.headCountKV = headCountKV
        self.expertCount = expertCount
    }

    /// Reads the hyperparameters from `file`'s metadata. A missing `block_count` is taken from
    /// the tensor names (`blk.N.`), missing head counts are 0.
    public init(file: GGUFFile) {
        let arch = file.architecture ?? ""
        func first(_ key: String) -> Int? {
            guard let v = file.metadata["\(arch).\(key)"] else { return nil }
            if let i = v.intValue { return i }
            return v.arrayValue?.first?.intValue
        }
        let heads = first("attention.head_count") ?? 0
        let blocks = first("block_count") ?? (file.tensors.compactMap { layerIndex(of: $0.name) }.max().map { $0 + 1 } ?? 0)
        self.init(architecture: arch, layerCount: blocks, headCount: heads,
                  headCountKV: first("attention.head_count_kv") ?? heads, expertCount: first("expert_count") ?? 0)
    }

    /// Query heads per key/value head (`n_gqa`; 0 when unknown).
    public var gqa: Int { headCountKV > 0 ? headCount / headCountKV : 0 }

    /// llama.cpp's `LLM_TYPE_70B` (80 llama layers with grouped-query attention).
    var is70B: Bool { architecture == "llama" && layerCount == 80 && headCount != headCountKV }
    var isFalcon: Bool { architecture == "falcon" }
}

/// The `N` of a tensor named `blk.N.…`, as llama.cpp's `sscanf(name, "blk.%d.")` reads it.
func layerIndex(of name: String) -> Int? {
    guard name.hasPrefix("blk.") else { return nil }
    var digits = Substring(name.dropFirst(4))
    var sign = 1
    if digits.first == "-" || digits.first == "+" {
        if digits.first == "-" { sign = -1 }
        digits = digits.dropFirst()
    }
    let d = digits.prefix(while: { $0.isASCII && $0.isNumber })
    guard !d.isEmpty, let v = Int(d) else { return nil }
    return sign * v
}

// MARK: - Plan

/// One tensor of a plan.
public struct PlannedTensor: Sendable, Equatable {
    public let name: String
    /// ggml order: `shape[0]` is the row width.
    public let shape: [Int]
    public let sourceType: GGMLType
    /// The type written to the output file.
    public let targetType: GGMLType
    /// Whether llama-quantize may change this tensor's type at all (false for norms, 1-D
    /// tensors, biases, ...; those keep their source type).
    public let quantizable: Bool
    /// The type the mix chose before falling back, when the row width is not a whole number of
    /// its blocks (e.g. Q4_K on 576-wide rows -> Q5_0).
    public let fallbackFrom: GGMLType?

    public init(name: String, shape: [Int], sourceType: GGMLType, targetType: GGMLType, quantizable: Bool,
                fallbackFrom: GGMLType? = nil) {
        self.name = name; self.shape = shape; self.sourceType = sourceType; self.targetType = targetType
        self.quantizable = quantizable; self.fallbackFrom = fallbackFrom
    }

    public var elementCount: Int { shape.reduce(1, *) }
    public var rowWidth: Int { shape.first ?? 1 }
    public var rowCount: Int { shape.dropFirst().reduce(1, *) }
    /// Whether the data is converted (otherwise it is copied byte for byte).
    public var isConverted: Bool { sourceType != targetType }
    /// Converting a block-quantized tensor to another type (llama.cpp's "requantizing").
    public var isRequantized: Bool { isConverted && sourceType.isBlockQuantized }
    /// Bytes of the output tensor (without padding).
    public var targetBytes: Int { targetType.byteCount(elements: elementCount) ?? 0 }
    public var sourceBytes: Int { sourceType.byteCount(elements: elementCount) ?? 0 }
}

/// Why a plan cannot be made.
public enum QuantizationPlanError: Error, Equatable, CustomStringConvertible {
    /// The row width is not a multiple of the block size of the chosen type and llama.cpp
    /// defines no fallback for it (e.g. Q8_0 on rows of 48).
    case noFallback(tensor: String, type: GGMLType, rowWidth: Int)
    /// A mixture-of-experts rule needs the layer number from the name and it is not valid.
    case badLayer(tensor: String, layerCount: Int)

    public var description: String {
        switch self {
        case .noFallback(let t, let type, let w):
            return "tensor '\(t)': row width \(w) is not a multiple of \(type)'s block size \(type.blockSize), and there is no fallback type for \(type)"
        case .badLayer(let t, let n):
            return "tensor '\(t)': cannot determine its layer (expected blk.N. with N in 0..<\(n))"
        }
    }
}

/// The type of every tensor of a model for one target level, as `llama-quantize` (no imatrix,
/// default options) would choose them.
public struct QuantizationPlan: Sendable {
    public let level: QuantizationLevel
    public let hyperparameters: ModelHyperparameters
    /// Tensors in output order (llama.cpp's: outside blocks first, then by block, then by name).
    public let tensors: [PlannedTensor]

    /// Plans `tensors` (any order; the plan sorts them as llama.cpp does).
    public init(level: QuantizationLevel, tensors infos: [GGUFTensorInfo],
                hyperparameters: ModelHyperparameters) throws(QuantizationPlanError) {
        self.level = level
        self.hyperparameters = hyperparameters
        let ordered = infos.sorted(by: { QuantizationPlan.precedes($0.name, $1.name) })
        var state = PlanState(level: level, hp: hyperparameters, names: ordered.map(\.name))
        var out: [PlannedTensor] = []
        out.reserveCapacity(ordered.count)
        for t in ordered {
            out.append(try state.plan(t))
        }
        self.tensors = out
    }

    /// Plans every tensor of `file`.
    public init(level: QuantizationLevel, file: GGUFFile) throws(QuantizationPlanError) {
        try self.init(level: level, tensors: file.tensors, hyperparameters: ModelHyperparameters(file: file))
    }

    /// The planned type of a tensor.
    public func type(of name: String) -> GGMLType? { tensors.first(where: { $0.name == name })?.targetType }

    /// Name -> planned type.
    public var tensorTypes: [String: GGMLType] { Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.targetType) }) }

    /// How many tensors fell back to another type because of their row width.
    public var fallbackCount: Int { tensors.filter { $0.fallbackFrom != nil }.count }

    /// Tensors converted from one block-quantized type to another (needs `allowRequantize`).
    public var requantizedTensors: [PlannedTensor] { tensors.filter(\.isRequantized) }

    /// Bytes of the output data section: every tensor padded to `alignment`.
    public func dataSectionBytes(alignment: Int = 32) -> Int {
        tensors.reduce(0) { $0 + ($1.targetBytes + alignment - 1) / alignment * alignment }
    }

    /// Bytes of the output tensors, without padding.
    public var targetTensorBytes: Int { tensors.reduce(0) { $0 + $1.targetBytes } }

    /// llama.cpp's `weight_name_comparer`: by block number (-1 outside blocks), then by name
    /// (byte order).
    public static func precedes(_ a: String, _ b: String) -> Bool {
        let la = layerIndex(of: a) ?? -1, lb = layerIndex(of: b) ?? -1
        if la != lb { return la < lb }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    // MARK: Rules

    /// llama.cpp's `tensor_allows_quantization` with default parameters.
    public static func allowsQuantization(name: String, shape: [Int]) -> Bool {
        // ggml_n_dims: trailing dimensions of 1 do not count.
        var dims = shape.count
        while dims > 1 && shape[dims - 1] == 1 { dims -= 1 }
        if dims < 2 { return false }
        // llama.cpp tests `name.rfind("weight") == name.size() - 6`, which a 5-byte name also passes.
        guard name.hasSuffix("weight") || name.utf8.count == 5 else { return false }
        if name == "position_embd.weight" || name == "token_types.weight" { return false }
        for s in excludedSubstrings where name.contains(s) { return false }
        return true
    }

    private static let excludedSubstrings = [
        "_norm.weight", "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel", "per_layer_model_proj",
        "ssm_conv1d", "shortconv.conv.weight", "indexer.k_proj.weight", "indexer.q_proj.weight",
        "time_mix_first.weight", "time_mix_w0.weight", "time_mix_w1.weight", "time_mix_w2.weight",
        "time_mix_v0.weight", "time_mix_v1.weight", "time_mix_v2.weight", "time_mix_a0.weight",
        "time_mix_a1.weight", "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight",
        "time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight",
        "attn_rel_b.weight", ".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos",
        ".patch_embd", ".patch_merger", "a.rvq.codebook", "mm.a.code_embd",
    ]

    /// `tensor_type_fallback`: the type to use when `type`'s blocks do not tile a row of `width`;
    /// nil when no fallback exists. Returns `type` itself when it fits.
    public static func fallback(for type: GGMLType, rowWidth width: Int) -> GGMLType? {
        guard width % type.blockSize != 0 else { return type }
        var r: GGMLType
        switch type {
        case .iq1_s, .iq1_m, .iq2_xxs, .iq2_xs, .iq2_s, .iq3_xxs, .iq3_s, .iq4_xs: r = .iq4_nl
        case .q2_K, .q3_K, .tq1_0, .tq2_0: r = .q4_0
        case .q4_K: r = .q5_0
        case .q5_K: r = .q5_1
        case .q6_K: r = .q8_0
        default: return nil
        }
        if width % r.blockSize != 0 { r = .f16 }
        return r
    }
}

/// Tensor roles the rules distinguish (llama.cpp's `tensor_category`).
enum TensorCategory {
    case tokenEmbd, attnQ, attnV, attnK, attnQKV, attnKVB, attnOutput, ffnUp, ffnGate, ffnDown, output, other

    init(name: String) {
        if name == "output.weight" { self = .output }
        else if name == "token_embd.weight" || name == "per_layer_token_embd.weight" { self = .tokenEmbd }
        else if name.contains("attn_qkv.weight") { self = .attnQKV }
        else if name.contains("attn_kv_b.weight") { self = .attnKVB }
        else if name.contains("attn_v.weight") { self = .attnV }
        else if name.contains("attn_k.weight") { self = .attnK }
        else if name.contains("attn_q.weight") { self = .attnQ }
        else if name.contains("attn_output.weight") { self = .attnOutput }
        else if name.contains("ffn_up") { self = .ffnUp }
        else if name.contains("ffn_gate") { self = .ffnGate }
        else if name.contains("ffn_down") { self = .ffnDown }
        else { self = .other }
    }

    /// attn_v-like tensors, the most sensitive to quantization.
    var isAttnV: Bool { self == .attnV || self == .attnQKV || self == .attnKVB }
}

/// The counters llama.cpp keeps while it walks the tensors (`quantize_state_impl`).
private struct PlanState {
    let level: QuantizationLevel
    let hp: ModelHyperparameters
    var nAttentionWV = 0
    var iAttentionWV = 0
    var iFFNDown = 0, iFFNGate = 0, iFFNUp = 0
    let nFFN: Int
    var hasTiedEmbeddings = true

    init(level: QuantizationLevel, hp: ModelHyperparameters, names: [String]) {
        self.level = level
        self.hp = hp
        for n in names {
            let c = TensorCategory(name: n)
            if c.isAttnV { nAttentionWV += 1 }
            if c == .output { hasTiedEmbeddings = false }
        }
        nFFN = hp.layerCount
    }

    mutating func plan(_ t: GGUFTensorInfo) throws(QuantizationPlanError) -> PlannedTensor {
        guard QuantizationPlan.allowsQuantization(name: t.name, shape: t.shape) else {
            return PlannedTensor(name: t.name, shape: t.shape, sourceType: t.type, targetType: t.type, quantizable: false)
        }
        let defaultType = level.defaultType
        guard defaultType.isBlockQuantized else {
            return PlannedTensor(name: t.name, shape: t.shape, sourceType: t.type, targetType: defaultType, quantizable: true)
        }
        let chosen = try mixType(t, TensorCategory(name: t.name), defaultType)
        guard let final = QuantizationPlan.fallback(for: chosen, rowWidth: t.rowWidth) else {
            throw .noFallback(tensor: t.name, type: chosen, rowWidth: t.rowWidth)
        }
        return PlannedTensor(name: t.name, shape: t.shape, sourceType: t.type, targetType: final, quantizable: true,
                             fallbackFrom: final == chosen ? nil : chosen)
    }

    /// llama.cpp's `use_more_bits`: the first and last eighth of the layers, and every third
    /// layer in between.
    static func useMoreBits(_ i: Int, _ n: Int) -> Bool {
        i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2
    }

    /// The layer of a per-layer tensor: its position among its kind, or with several experts
    /// the number in its name (`layer_info`).
    func layer(_ counter: Int, _ name: String) throws(QuantizationPlanError) -> Int {
        guard max(1, hp.expertCount) > 1 else { return counter }
        guard let i = layerIndex(of: name), i >= 0, i < nFFN else { throw .badLayer(tensor: name, layerCount: nFFN) }
        return i
    }

    /// `llama_tensor_get_type_impl` for quantty's levels (the IQ / TQ / MXFP4 branches are
    /// not reachable from them).
    mutating func mixType(_ t: GGUFTensorInfo, _ category: TensorCategory, _ defaultType: GGMLType) throws(QuantizationPlanError) -> GGMLType {
        var newType = defaultType
        let ftype = level
        let falcon = hp.isFalcon
        if category == .output || (hasTiedEmbeddings && category == .tokenEmbd) {
            if falcon || t.rowWidth % newType.blockSize != 0 {
                newType = .q8_0
            } else if newType != .q8_0 {
                newType = .q6_K
            }
        } else if category == .tokenEmbd {
            // Only the IQ / TQ mixes change untied token embeddings.
        } else if category.isAttnV {
            switch ftype {
            case .q2_K: newType = hp.gqa >= 4 ? .q4_K : .q3_K
            case .q3_K_M: newType = iAttentionWV < 2 ? .q5_K : .q4_K
            case .q3_K_L: newType = .q5_K
            case .q4_K_M, .q5_K_M: if Self.useMoreBits(iAttentionWV, nAttentionWV) { newType = .q6_K }
            case .q4_K_S: if iAttentionWV < 4 { newType = .q5_K }
            default: break
            }
            if hp.is70B && (newType == .q3_K || newType == .q4_K) { newType = .q5_K }
            if hp.expertCount == 8 { newType = .q8_0 }
            iAttentionWV += 1
        } else if category == .attnK {
            if hp.expertCount == 8 { newType = .q8_0 }
        } else if category == .attnQ {
            // Only the IQ3 mixes change attn_q.
        } else if category == .ffnDown {
            let i = try layer(iFFNDown, t.name), n = nFFN
            switch ftype {
            case .q2_K: newType = .q3_K
            case .q3_K_M:
                newType = i < n / 16 ? .q5_K : (!falcon || Self.useMoreBits(i, n)) ? .q4_K : .q3_K
            case .q3_K_L: newType = falcon ? .q4_K : .q5_K
            case .q4_K_M:
                if falcon {
                    newType = i < n / 16 ? .q6_K : Self.useMoreBits(i, n) ? .q5_K : .q4_K
                } else if Self.useMoreBits(i, n) {
                    newType = .q6_K
                }
            case .q5_K_M: if Self.useMoreBits(i, n) { newType = .q6_K }
            case .q4_K_S: if !falcon && i < n / 8 { newType = .q5_K }
            default: break
            }
            iFFNDown += 1
        } else if category == .attnOutput {
            if !falcon {
                if hp.expertCount == 8 {
                    if [.q2_K, .q3_K_S, .q3_K_M, .q4_K_S, .q4_K_M].contains(ftype) { newType = .q5_K }
                } else {
                    switch ftype {
                    case .q2_K: newType = .q3_K
                    case .q3_K_M: newType = .q4_K
                    case .q3_K_L: newType = .q5_K
                    default: break
                    }
                }
            } else if ftype == .q3_K_L {
                newType = .q4_K
            }
        } else if category == .attnQKV {
            // Unreachable: attn_qkv is attn_v-like and handled above (as in llama.cpp).
        } else if category == .ffnGate {
            _ = try layer(iFFNGate, t.name)
            iFFNGate += 1
        } else if category == .ffnUp {
            _ = try layer(iFFNUp, t.name)
            iFFNUp += 1
        }
        return newType
    }
}
