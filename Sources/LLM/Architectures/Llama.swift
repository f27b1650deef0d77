import GGUF

/// Llama (and llama-shaped models such as SmolLM2): RMSNorm, RoPE on adjacent pairs,
/// grouped-query attention, SwiGLU feed-forward.
enum Llama: ModelFamily {
    static let architecture = "llama"

    static func configuration(_ file: GGUFFile) throws(ModelError) -> ModelConfiguration {
        try HyperparameterReader(file: file, arch: architecture).standard(ropeStyle: .normal)
    }

    static func blocks(_ t: TensorLoader, _ c: ModelConfiguration) throws(ModelError) -> [any TransformerBlock] {
        var blocks: [any TransformerBlock] = []
        for il in 0..<c.layerCount { blocks.append(try StandardBlock.load(t, c, layer: il, extras: .none)) }
        return blocks
    }
}
