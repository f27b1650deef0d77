import GGUF

/// Hyperparameters of a decoder-only transformer, read from GGUF metadata and validated.
///
/// One type serves every family; fields a family does not use keep neutral values (no sliding
/// window, no soft-capping, embedding scale 1). What a family's values are, and the constants
/// behind them, live in its file under `Architectures/`.
public struct ModelConfiguration: Sendable, Equatable {
    /// How RoPE pairs dimensions: `normal` rotates adjacent pairs (llama); `neox` rotates
    /// `(i, i + dims/2)` (qwen2, qwen3, gemma3), as llama.cpp's `llama_model_rope_type` says.
    public enum RopeStyle: String, Sendable { case normal, neox }

    /// Local attention on some layers: each sees only the last `size` positions and rotates
    /// with its own RoPE base, unscaled. The family says which layers (gemma3: five in six).
    public struct SlidingWindow: Sendable, Equatable {
        /// Keys a sliding-window layer sees, counting the query's own position.
        public var size: Int
        /// RoPE base of the sliding-window layers.
        public var ropeBase: Float
        /// Which layers slide, repeating: layer `il` slides when `pattern[il % pattern.count]`
        /// (llama.cpp's `set_swa_pattern`); its length does not depend on the file's layer count.
        public var pattern: [Bool]

        public init(size: Int, ropeBase: Float, pattern: [Bool]) {
            self.size = size; self.ropeBase = ropeBase; self.pattern = pattern
        }
    }

    public var architecture: String
    public var layerCount: Int
    /// Width of the residual stream (`n_embd`).
    public var embeddingLength: Int
    public var feedForwardLength: Int
    public var headCount: Int
    public var headCountKV: Int
    /// Per-head width of queries and keys.
    public var headDim: Int
    /// Per-head width of values.
    public var valueDim: Int
    public var vocabularySize: Int
    /// Training context length (`ARCH.context_length`).
    public var contextLength: Int
    /// Dimensions of each head that RoPE rotates (`ARCH.rope.dimension_count`, default headDim).
    public var ropeDimensions: Int
    public var ropeBase: Float
    /// 1 / linear scaling factor (1 = no scaling).
    public var ropeFreqScale: Float
    public var ropeStyle: RopeStyle
    public var rmsEpsilon: Float
    /// Local attention on some layers, when the family has it.
    public var slidingWindow: SlidingWindow?
    /// Multiplies q·k (1/sqrt(headDim) unless the family says otherwise).
    public var attentionScale: Float
    /// Multiplies the token embeddings (gemma3: sqrt(n_embd)).
    public var embeddingScale: Float
    /// `cap * tanh(logit / cap)` on the output, when set.
    public var finalLogitSoftcap: Float?

    /// Whether layer `il` attends within the sliding window only.
    @inline(__always) public func isSlidingWindowLayer(_ il: Int) -> Bool {
        guard let w = slidingWindow, il >= 0, !w.pattern.isEmpty else { return false }
        return w.pattern[il % w.pattern.count]
    }

    /// The window layer `il` attends within; nil for global attention.
    @inline(__always) public func window(layer il: Int) -> Int? { isSlidingWindowLayer(il) ? slidingWindow?.size : nil }

    /// RoPE base of layer `il`.
    public func ropeBase(layer il: Int) -> Float { isSlidingWindowLayer(il) ? slidingWindow!.ropeBase : ropeBase }
    /// RoPE frequency scale of layer `il` (sliding layers are never scaled).
    public func ropeFreqScale(layer il: Int) -> Float { isSlidingWindowLayer(il) ? 1 : ropeFreqScale }

    /// Checks the invariants every forward pass relies on.
    func validate() throws(ModelError) {
        func bad(_ key: String, _ v: Any, _ reason: String) -> ModelError {
            .invalidHyperparameter(key: "\(architecture).\(key)", value: "\(v)", reason: reason)
        }
        if layerCount <= 0 { throw bad("block_count", layerCount, "must be positive") }
        if embeddingLength <= 0 { throw bad("embedding_length", embeddingLength, "must be positive") }
        if feedForwardLength <= 0 { throw bad("feed_forward_length", feedForwardLength, "must be positive") }
        if headCount <= 0 { throw bad("attention.head_count", headCount, "must be positive (zero heads)") }
        if headCountKV <= 0 { throw bad("attention.head_count_kv", headCountKV, "must be positive (zero heads)") }
        if headCount % headCountKV != 0 {
            throw bad("attention.head_count_kv", headCountKV, "must divide head_count \(headCount)")
        }
        if headDim <= 0 { throw bad("attention.key_length", headDim, "head size must be positive") }
        if valueDim <= 0 { throw bad("attention.value_length", valueDim, "head size must be positive") }
        if ropeDimensions <= 0 || ropeDimensions > headDim || ropeDimensions % 2 != 0 {
            throw bad("rope.dimension_count", ropeDimensions, "must be even and at most the head size \(headDim)")
        }
        if !(ropeBase > 0) { throw bad("rope.freq_base", ropeBase, "must be positive") }
        if !(rmsEpsilon > 0) { throw bad("attention.layer_norm_rms_epsilon", rmsEpsilon, "must be positive") }
        if contextLength <= 0 { throw bad("context_length", contextLength, "must be positive") }
        if vocabularySize <= 0 { throw bad("vocab_size", vocabularySize, "must be positive") }
        if let w = slidingWindow {
            if w.size <= 0 { throw bad("attention.sliding_window", w.size, "must be positive") }
            if w.pattern.isEmpty { throw bad("attention.sliding_window", w.size, "needs a layer pattern") }
        }
        try ModelFileChecks.checkProducts(self)
    }
}

/// Reads `ARCH.*` hyperparameters with typed errors.
struct HyperparameterReader {
    let file: GGUFFile
    let arch: String

    func has(_ suffix: String) -> Bool { file["\(arch).\(suffix)"] != nil }

    func int(_ suffix: String) throws(ModelError) -> Int {
        let key = "\(arch).\(suffix)"
        guard let v = file[key] else { throw .missingHyperparameter(key) }
        if let i = v.intValue { return i }
        // Some converters write per-layer arrays; accept them when all layers agree.
        if let a = try? file.intArray(key), let first = a.first, a.allSatisfy({ $0 == first }) { return first }
        throw .invalidHyperparameter(key: key, value: ModelFileChecks.describe(v), reason: "expected one integer")
    }

    func int(_ suffix: String, default d: Int) throws(ModelError) -> Int { has(suffix) ? try int(suffix) : d }

    func float(_ suffix: String) throws(ModelError) -> Float {
        let key = "\(arch).\(suffix)"
        guard let v = file[key] else { throw .missingHyperparameter(key) }
        guard let d = v.doubleValue else { throw .invalidHyperparameter(key: key, value: ModelFileChecks.describe(v), reason: "expected a number") }
        return Float(d)
    }

    func float(_ suffix: String, default d: Float) throws(ModelError) -> Float { has(suffix) ? try float(suffix) : d }

    /// The fields every supported family shares, with llama.cpp's defaults.
    func standard(ropeStyle: ModelConfiguration.RopeStyle) throws(ModelError) -> ModelConfiguration {
        let nEmbd = try int("embedding_length")
        let nHead = try int("attention.head_count")
        let nHeadKV = try int("attention.head_count_kv", default: nHead)
        guard nHead > 0 else {
            throw .invalidHyperparameter(key: "\(arch).attention.head_count", value: "\(nHead)", reason: "must be positive (zero heads)")
        }
        if !has("attention.key_length") && nEmbd % nHead != 0 {
            throw .invalidHyperparameter(key: "\(arch).attention.head_count", value: "\(nHead)",
                                         reason: "head size: embedding_length \(nEmbd) is not divisible by the head count")
        }
        let headDim = try int("attention.key_length", default: nEmbd / nHead)
        let valueDim = try int("attention.value_length", default: headDim)
        var freqScale: Float = 1
        let scalingKey = "\(arch).rope.scaling.type"
        if let kind = file[scalingKey]?.stringValue, kind != "none" {
            guard kind == "linear" else { throw .unsupportedRopeScaling(kind) }
            let factor = try float("rope.scaling.factor", default: 1)
            if factor > 0 { freqScale = 1 / factor }
        } else if has("rope.scale_linear") {
            let factor = try float("rope.scale_linear")
            if factor > 0 { freqScale = 1 / factor }
        }
        let vocab: Int
        if let info = file.tensorInfo("token_embd.weight"), info.shape.count == 2 {
            vocab = info.shape[1]
        } else {
            vocab = try int("vocab_size", default: 0)
        }
        return ModelConfiguration(
            architecture: arch,
            layerCount: try int("block_count"),
            embeddingLength: nEmbd,
            feedForwardLength: try int("feed_forward_length"),
            headCount: nHead,
            headCountKV: nHeadKV,
            headDim: headDim,
            valueDim: valueDim,
            vocabularySize: vocab,
            contextLength: try int("context_length"),
            ropeDimensions: try int("rope.dimension_count", default: headDim),
            ropeBase: try float("rope.freq_base", default: 10_000),
            ropeFreqScale: freqScale,
            ropeStyle: ropeStyle,
            rmsEpsilon: try float("attention.layer_norm_rms_epsilon"),
            slidingWindow: nil,
            attentionScale: 1 / Float(headDim).squareRoot(),
            embeddingScale: 1,
            finalLogitSoftcap: nil)
    }
}
