import GGUF

/// One transformer layer of some family. Reads and writes `s.hidden` for the current batch.
protocol TransformerBlock: Sendable {
    func forward(_ s: ForwardState, layer il: Int)
}

/// What an architecture file provides: its hyperparameters and its layers.
///
/// Adding an architecture = one file with a type conforming to this protocol, plus one line in
/// `ModelRegistry.families`.
protocol ModelFamily {
    /// The `general.architecture` value this family loads.
    static var architecture: String { get }
    /// Reads and completes the hyperparameters (validation happens in `Model`).
    static func configuration(_ file: GGUFFile) throws(ModelError) -> ModelConfiguration
    /// Loads every layer's weights as views into the file.
    static func blocks(_ t: TensorLoader, _ c: ModelConfiguration) throws(ModelError) -> [any TransformerBlock]
}
