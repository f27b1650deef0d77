import GGUF

/// Maps `general.architecture` to the family that implements it.
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
