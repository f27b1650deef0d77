import GGUF

// The model quantizer with an importance matrix, as llama-quantize uses one
// (`tools/quantize/quantize.cpp` and `src/llama-quant.cpp`): every tensor with an entry is
// quantized with `quantizeWeighted` and that entry (one weight per input column, per expert);
// tensors without one are quantized plainly; the output gains the four `quantize.imatrix.*` keys.
// Unlike llama-quantize, which only logs "did not find weights", an imatrix whose entries name
// tensors the model does not have is refused: it was made for another model.

/// An importance matrix as the quantizer takes it: the matrix and the name written to
/// `quantize.imatrix.file` (llama-quantize writes its `--imatrix` argument as typed).
public struct QuantizerImatrix: Sendable {
    public let matrix: ImportanceMatrix
    /// The value of `quantize.imatrix.file` (at most 127 bytes are written, as llama.cpp does).
    public let label: String

    /// `label` defaults to the path the matrix was read from.
    public init(_ matrix: ImportanceMatrix, label: String? = nil) {
        self.matrix = matrix
        self.label = label ?? matrix.path
    }

    /// Reads the matrix at `path`; the label is `path` as given.
    public init(path: String) throws(ImportanceMatrixError) {
        self.init(try ImportanceMatrix(path: path))
    }
}

/// Per tensor, the importance weights the quantizer passes to `quantizeWeighted`.
struct TensorImportance {
    /// Tensor name -> weights (`rowWidth * experts` values, expert by expert).
    let weights: [String: [Float]]

    /// Checks `imatrix` against the plan and picks each converted tensor's entry. Throws, naming
    /// the imatrix file and the tensor, when an entry names no tensor of the model, has the wrong
    /// size or holds NaN/infinity, and when a tensor that needs weights (`requiresImatrix`) has
    /// none. The token embeddings' entry, when its size is wrong, is ignored (as by llama.cpp).
    init(_ imatrix: QuantizerImatrix?, plan: QuantizationPlan, sourcePath: String) throws(ModelQuantizerError) {
        guard let imatrix else {
            if let t = plan.firstTensorRequiringImatrix {
                throw .imatrixRequired(path: sourcePath, tensor: t.name, type: t.targetType, level: plan.level)
            }
            weights = [:]
            return
        }
        let m = imatrix.matrix
        let byName = Dictionary(plan.tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for name in m.weights.keys.sorted() {
            guard byName[name] != nil else {
                throw .imatrixMismatch(imatrix: m.path, tensor: name,
                                       problem: "names no tensor of \(sourcePath) (an imatrix for another model?)")
            }
            if let bad = m.weights[name]!.firstIndex(where: { !$0.isFinite }) {
                throw .imatrixMismatch(imatrix: m.path, tensor: name, problem: "value \(bad) is not finite")
            }
        }
        var picked: [String: [Float]] = [:]
        for t in plan.tensors where t.isConverted && t.targetType.isBlockQuantized {
            guard let w = m.weights[t.name] else {
                if t.requiresImatrix {
                    throw .imatrixMissingEntry(imatrix: m.path, tensor: t.name, type: t.targetType)
                }
                continue
            }
            let experts = t.shape.count > 2 ? t.shape[2] : 1
            guard w.count == t.rowWidth * experts else {
                if t.name == "token_embd.weight" || t.name == "per_layer_token_embd.weight" { continue }
                throw .imatrixMismatch(imatrix: m.path, tensor: t.name,
                                       problem: "has \(w.count) values, the tensor in \(sourcePath) needs \(t.rowWidth * experts) (an imatrix for another model?)")
            }
            picked[t.name] = w
        }
        weights = picked
    }

    /// The four keys llama-quantize appends (each removed first, as `gguf_set_val_*` does):
    /// the file as named, the first dataset, the entry count and, when known, the chunk count.
    static func metadata(_ imatrix: QuantizerImatrix) -> [(key: String, value: GGUFValue)] {
        func cut(_ s: String) -> String { String(decoding: Array(s.utf8.prefix(127)), as: UTF8.self) }
        let m = imatrix.matrix
        var kv: [(key: String, value: GGUFValue)] = [("quantize.imatrix.file", .string(cut(imatrix.label)))]
        if let d = m.datasets.first { kv.append(("quantize.imatrix.dataset", .string(cut(d)))) }
        kv.append(("quantize.imatrix.entries_count", .uint32(UInt32(m.weights.count))))
        if m.chunkCount > 0 { kv.append(("quantize.imatrix.chunks_count", .uint32(UInt32(m.chunkCount)))) }
        return kv
    }
}
