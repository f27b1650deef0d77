import GGUF

/// A loaded model: its configuration and its weights, all views into the memory-mapped file.
///
/// Immutable and shareable; the mutable part of inference (KV cache, scratch) lives in an
/// `InferenceSession`.
public final class Model: @unchecked Sendable {
    public let configuration: ModelConfiguration
    public let file: GGUFFile
    /// Whether the output projection reuses the token embeddings (`output.weight` absent).
    public let tiedOutput: Bool

    let tokenEmbedding: WeightMatrix   // (vocab rows, nEmbd cols)
    let outputNorm: WeightVector       // (nEmbd)
    let output: WeightMatrix           // (vocab, nEmbd); token_embd.weight when tied
    let blocks: [any TransformerBlock] // (layers)

    /// Opens and loads the GGUF file at `path`.
    public convenience init(path: String) throws(ModelError) {
        let file: GGUFFile
        do { file = try GGUFFile(path: path) } catch { throw .file("\(error)") }
        try self.init(file: file)
    }

    /// Loads the weights of an opened file, picking the family from `general.architecture`.
    public init(file: GGUFFile) throws(ModelError) {
        guard let arch = file.architecture else { throw .missingArchitecture }
        let family = try ModelRegistry.family(for: arch)
        let c = try family.configuration(file)
        try c.validate()
        try ModelFileChecks.checkAgainstTensors(c, file: file)
        let t = TensorLoader(file: file)
        self.file = file
        configuration = c
        tokenEmbedding = try t.matrix("token_embd.weight", cols: c.embeddingLength, rows: c.vocabularySize)
        outputNorm = try t.vector("output_norm.weight", count: c.embeddingLength)
        if let out = try t.optionalMatrix("output.weight", cols: c.embeddingLength, rows: c.vocabularySize) {
            output = out; tiedOutput = false
        } else {
            output = tokenEmbedding; tiedOutput = true
        }
        blocks = try family.blocks(t, c)
    }

    /// Bytes of weights the model reads (the mapped tensor data).
    public var weightBytes: Int { file.tensorBytes }
}
