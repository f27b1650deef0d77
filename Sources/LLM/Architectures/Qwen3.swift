import GGUF

/// Qwen3: the llama layer with per-head RMSNorm on q and k (before RoPE), NEOX-style RoPE,
/// and an explicit head size (`attention.key_length`) that need not be n_embd / n_head.
enum Qwen3: ModelFamily {
    static let architecture = "qwen3"

    static func configuration(_ file: GGUFFile) throws(ModelError) -> ModelConfiguration {
        try HyperparameterReader(file: file, arch: architecture).standard(ropeStyle: .neox)
    }

    static func blocks(_ t: TensorLoader, _ c: ModelConfiguration) throws(ModelError) -> [any TransformerBlock] {
        var blocks: [any TransformerBlock] = []
        for il in 0..<c.layerCount { blocks.append(try StandardBlock.load(t, c, layer: il, extras: .qkNorm)) }
        return blocks
    }
}
