import GGUF

/// Qwen2: the llama layer with biases on q, k and v, and NEOX-style RoPE (rotated halves).
enum Qwen2: ModelFamily {
    static let architecture = "qwen2"

    static func configuration(_ file: GGUFFile) throws(ModelError) -> ModelConfiguration {
        try HyperparameterReader(file: file, arch: architecture).standard(ropeStyle: .neox)
    }

    static func blocks(_ t: TensorLoader, _ c: ModelConfiguration) throws(ModelError) -> [any TransformerBlock] {
        var blocks: [any TransformerBlock] = []
        for il in 0..<c.layerCount { blocks.append(try StandardBlock.load(t, c, layer: il, extras: .biases)) }
        return blocks
    }
}
