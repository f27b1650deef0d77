import GGUF

// Per-tensor type plans for the quantizer, following llama.cpp's `llama-quantize` without an
// importance matrix (`src/llama-quant.cpp`: `tensor_allows_quantization`, `llama_tensor_get_type`,
// `tensor_type_fallback`, `tensor_requires_imatrix`, `llama_model_quantize_impl`), restated for
// every file type llama-quantize offers. A few rules depend on whether an importance matrix is
// given (IQ3_XXS, IQ4_NL/IQ4_XS, Q4_0/Q5_0 on ffn_down), so the plan takes that as an input.
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
    case iq1_s = "IQ1_S", iq1_m = "IQ1_M"
    case iq2_xxs = "IQ2_XXS", iq2_xs = "IQ2_XS", iq2_s = "IQ2_S", iq2_m = "IQ2_M"
    case iq3_xxs = "IQ3_XXS", iq3_xs = "IQ3_XS", iq3_s = "IQ3_S", iq3_m = "IQ3_M"
    case iq4_nl = "IQ4_NL", iq4_xs = "IQ4_XS"
    case q2_K_S = "Q2_K_S"
    case tq1_0 = "TQ1_0", tq2_0 = "TQ2_0"
    case mxfp4_moe = "MXFP4_MOE"

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
    /// Whether llama-quantize refuses to make this tensor without an importance matrix
    /// (`tensor_requires_imatrix`: the lowest-bit IQ types, and Q2_K in a Q2_K_S file).
    public let requiresImatrix: Bool

    public init(name: String, shape: [Int], sourceType: GGMLType, targetType: GGMLType, quantizable: Bool,
                fallbackFrom: GGMLType? = nil, requiresImatrix: Bool = false) {
        self.name = name; self.shape = shape; self.sourceType = sourceType; self.targetType = targetType
        self.quantizable = quantizable; self.fallbackFrom = fallbackFrom; self.requiresImatrix = requiresImatrix
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

/// The type of every tensor of a model for one target level, as `llama-quantize` (default
/// options, with or without an importance matrix) would choose them.
public struct QuantizationPlan: Sendable {
    public let level: QuantizationLevel
    public let hyperparameters: ModelHyperparameters
    /// Whether the plan was made for a run with an importance matrix (some rules differ).
    public let hasImatrix: Bool
    /// Tensors in output order (llama.cpp's: outside blocks first, then by block, then by name).
    public let tensors: [PlannedTensor]

    /// Plans `tensors` (any order; the plan sorts them as llama.cpp does).
    public init(level: QuantizationLevel, tensors infos: [GGUFTensorInfo],
                hyperparameters: ModelHyperparameters, hasImatrix: Bool = false) throws(QuantizationPlanError) {
        self.level = level
        self.hyperparameters = hyperparameters
        self.hasImatrix = hasImatrix
        let ordered = infos.sorted(by: { QuantizationPlan.precedes($0.name, $1.name) })
        var state = PlanState(level: level, hp: hyperparameters, names: ordered.map(\.name), hasImatrix: hasImatrix)
        var out: [PlannedTensor] = []
        out.reserveCapacity(ordered.count)
        for t in ordered {
            out.append(try state.plan(t))
        }
        self.tensors = out
    }

    /// Plans every tensor of `file`.
    public init(level: QuantizationLevel, file: GGUFFile, hasImatrix: Bool = false) throws(QuantizationPlanError) {
        try self.init(level: level, tensors: file.tensors, hyperparameters: ModelHyperparameters(file: file), hasImatrix: hasImatrix)
    }

    /// The first tensor that cannot be quantized without an importance matrix, if any.
    public var firstTensorRequiringImatrix: PlannedTensor? { tensors.first(where: \.requiresImatrix) }

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
    let hasImatrix: Bool

    init(level: QuantizationLevel, hp: ModelHyperparameters, names: [String], hasImatrix: Bool) {
        self.level = level
        self.hp = hp
        self.hasImatrix = hasImatrix
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
                             fallbackFrom: final == chosen ? nil : chosen,
                             requiresImatrix: Self.requiresImatrix(t.name, final, level))
    }

    /// `tensor_requires_imatrix`: never for the token embeddings and the output.
    static func requiresImatrix(_ name: String, _ type: GGMLType, _ level: QuantizationLevel) -> Bool {
        if name == "token_embd.weight" || name == "per_layer_token_embd.weight" || name == "output.weight" { return false }
        switch type {
        case .iq3_xxs, .iq2_xxs, .iq2_xs, .iq2_s, .iq1_m, .iq1_s: return true
        case .q2_K: return level == .q2_K_S
        default: return false
        }
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

    /// `llama_tensor_get_type_impl`: the mix's rules, in llama.cpp's order.
    mutating func mixType(_ t: GGUFTensorInfo, _ category: TensorCategory, _ defaultType: GGMLType) throws(QuantizationPlanError) -> GGMLType {
        var newType = defaultType
        let ftype = level
        let falcon = hp.isFalcon
        let iq2Mixes: Set<QuantizationLevel> = [.iq2_xxs, .iq2_xs, .iq1_s, .iq2_s, .iq2_m, .iq1_m]
        let iq2SOrM = ftype == .iq2_s || ftype == .iq2_m
        if category == .output || (hasTiedEmbeddings && category == .tokenEmbd) {
            if ftype == .mxfp4_moe {
                newType = .q8_0
            } else if falcon || t.rowWidth % newType.blockSize != 0 {
                newType = .q8_0
            } else if [.iq2_xxs, .iq2_xs, .iq3_xxs, .iq1_s, .iq2_s, .iq2_m, .iq1_m].contains(ftype) {
                newType = .q5_K
            } else if newType != .q8_0 {
                newType = .q6_K
            }
        } else if ftype == .mxfp4_moe {
            // Expert tensors (3-D, more than one matrix) -> MXFP4, everything else -> Q8_0.
            newType = t.shape.count > 2 && t.shape[2] > 1 ? .mxfp4 : .q8_0
        } else if category == .tokenEmbd {
            switch ftype {
            case .iq2_xxs, .iq2_xs, .iq1_s, .iq1_m: newType = .q2_K
            case .iq2_s, .iq2_m, .iq3_xxs: newType = .iq3_s
            case .tq1_0, .tq2_0: newType = .q4_K
            default: break
            }
        } else if iq2Mixes.contains(ftype) {
            if category.isAttnV {
                if hp.gqa >= 4 || hp.expertCount >= 4 { newType = .q4_K } else { newType = iq2SOrM ? .iq3_s : .q2_K }
                iAttentionWV += 1
            } else if hp.expertCount == 8 && category == .attnK {
                newType = .q4_K
            } else if category == .ffnDown {
                if iFFNDown < nFFN / 8 { newType = iq2SOrM ? .iq3_s : .q2_K }
                iFFNDown += 1
            } else if category == .attnOutput {
                if hp.expertCount == 8 {
                    newType = .q5_K
                } else if ftype == .iq1_s || ftype == .iq1_m {
                    newType = .iq2_xxs
                } else if iq2SOrM {
                    newType = .iq3_s
                }
            }
        } else if category.isAttnV {
            switch ftype {
            case .q2_K: newType = hp.gqa >= 4 ? .q4_K : .q3_K
            case .q2_K_S where hp.gqa >= 4: newType = .q4_K
            case .iq3_xxs: newType = hp.gqa >= 4 ? .q4_K : !hasImatrix ? .iq3_s : .iq3_xxs
            case .iq3_xs where hp.gqa >= 4, .iq3_s where hp.gqa >= 4: newType = .q4_K
            case .iq3_m: newType = .q4_K
            case .q3_K_M: newType = iAttentionWV < 2 ? .q5_K : .q4_K
            case .q3_K_L: newType = .q5_K
            case .iq4_nl where hp.gqa >= 4, .iq4_xs where hp.gqa >= 4: newType = .q5_K
            case .q4_K_M, .q5_K_M: if Self.useMoreBits(iAttentionWV, nAttentionWV) { newType = .q6_K }
            case .q4_K_S: if iAttentionWV < 4 { newType = .q5_K }
            default: break
            }
            if hp.is70B && (newType == .q3_K || newType == .q4_K) { newType = .q5_K }
            if hp.expertCount == 8 { newType = .q8_0 }
            iAttentionWV += 1
        } else if category == .attnK {
            if hp.expertCount == 8 { newType = .q8_0 }
            else if ftype == .iq3_xs { newType = .iq3_xxs }
            else if ftype == .iq3_xxs { newType = .iq2_s }
        } else if category == .attnQ {
            if ftype == .iq3_xs { newType = .iq3_xxs }
            else if ftype == .iq3_xxs { newType = .iq2_s }
        } else if category == .ffnDown {
            let i = try layer(iFFNDown, t.name), n = nFFN
            switch ftype {
            case .q2_K: newType = .q3_K
            case .q2_K_S: if i < n / 8 { newType = .q4_K }
            case .iq3_xxs where !hasImatrix: newType = i < n / 8 ? .q4_K : .q3_K
            case .q3_K_M:
                newType = i < n / 16 ? .q5_K : (!falcon || Self.useMoreBits(i, n)) ? .q4_K : .q3_K
            case .iq3_m where i < n / 8 || (hp.expertCount == 8 && Self.useMoreBits(i, n)): newType = .q4_K
            case .q3_K_L: newType = falcon ? .q4_K : .q5_K
            case .q4_K_M:
                if falcon {
                    newType = i < n / 16 ? .q6_K : Self.useMoreBits(i, n) ? .q5_K : .q4_K
                } else if Self.useMoreBits(i, n) {
                    newType = .q6_K
                }
            case .iq4_nl where i < n / 8 && !hasImatrix, .iq4_xs where i < n / 8 && !hasImatrix: newType = .q5_K
            case .q5_K_M: if Self.useMoreBits(i, n) { newType = .q6_K }
            case .q4_K_S: if !falcon && i < n / 8 { newType = .q5_K }
            case .q4_0 where hasImatrix && i < n / 8: newType = .q4_1
            case .q5_0 where hasImatrix && i < n / 8: newType = .q5_1
            default: break
            }
            iFFNDown += 1
        } else if category == .attnOutput {
            if !falcon {
                if hp.expertCount == 8 {
                    if [.q2_K, .iq3_xs, .iq3_xxs, .q3_K_S, .q3_K_M, .iq4_nl, .q4_K_S, .q4_K_M, .iq3_s, .iq3_m, .iq4_xs].contains(ftype) {
                        newType = .q5_K
                    }
                } else {
                    switch ftype {
                    case .q2_K: newType = .q3_K
                    case .iq3_xxs: newType = .iq3_s
                    case .q3_K_M: newType = .q4_K
                    case .q3_K_L: newType = .q5_K
                    case .iq3_m: newType = .q4_K
                    default: break
                    }
                }
            } else if ftype == .q3_K_L {
                newType = .q4_K
            }
        } else if category == .attnQKV {
            // Unreachable: attn_qkv is attn_v-like and handled above (as in llama.cpp).
        } else if category == .ffnGate {
            let i = try layer(iFFNGate, t.name), n = nFFN
            if ftype == .iq3_xs && i >= n / 8 && i < 7 * n / 8 { newType = .iq3_xxs }
            iFFNGate += 1
        } else if category == .ffnUp {
            let i = try layer(iFFNUp, t.name), n = nFFN
            if ftype == .iq3_xs && i >= n / 8 && i < 7 * n / 8 { newType = .iq3_xxs }
            iFFNUp += 1
        }
        return newType
    }
}
