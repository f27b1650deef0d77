import GGUF

/// Maps `general.architecture` to the family that implements it.
///
/// Adding an architecture:
/// 1. `Sources/LLM/Architectures/<Name>.swift`: a type conforming to `ModelFamily` that reads its
///    hyperparameters (start from `HyperparameterReader.standard(ropeStyle:)`; RoPE style from
///    llama.cpp's `llama_model_rope_type`) and loads its layers. Reuse `StandardBlock` when the
///    layer is llama-shaped; otherwise write a private block with `forward(_:layer:)` built from
///    `ForwardState`'s helpers, recording activations under llama.cpp's `cb` names.
/// 2. One line in `families` below.
/// 3. A tiny random-weight GGUF and llama.cpp's logits in `../shared/fixtures/tiny`, a case in
///    `ModelTinyTests` (one batch and token by token).
public enum ModelRegistry {
    /// One line per supported architecture.
    static var families: [any ModelFamily.Type] {
        [
            Llama.self,
            Qwen2.self,
            Qwen3.self,
            Gemma3.self,
        ]
    }

    /// Architecture names quantty can run, in registry order.
    public static var supportedArchitectures: [String] { families.map { $0.architecture } }

    static func family(for architecture: String) throws(ModelError) -> any ModelFamily.Type {
        guard let f = families.first(where: { $0.architecture == architecture }) else {
            throw .unknownArchitecture(architecture, supported: supportedArchitectures)
        }
        return f
    }
}
