import GGUF

/// llama-imatrix's statistics (`tools/imatrix/imatrix.cpp`, `IMatrixCollector`): for every
/// weight matrix of the blocks (and `output.weight` with `processOutput`), per input column the
/// sum of the squared activations entering it, and the number of activation rows summed.
/// Multiplications of fewer than 16 rows are ignored, as llama.cpp ignores them. Not
/// thread-safe: the session calls it on its calling thread only.
///
/// ```swift
/// let c = ImatrixCollector()
/// session.matmulInputs = c.observer
/// // evaluate chunks, then:
/// try c.write(to: "model.imatrix.gguf", datasets: ["text.txt"], chunkCount: n, chunkSize: 512)
/// ```
public final class ImatrixCollector: @unchecked Sendable {
    /// Per tensor: sums of squared activations (cols).
    public private(set) var sums: [String: [Float]] = [:]
    /// Per tensor: activation rows summed.
    public private(set) var counts: [String: Int] = [:]
    public let processOutput: Bool

    public init(processOutput: Bool = false) {
        self.processOutput = processOutput
    }

    /// The hook to install as `InferenceSession.matmulInputs`.
    public var observer: MatmulInputObserver {
        { [unowned self] name, x, ldx, cols, tokens in self.collect(name, x, ldx, cols, tokens) }
    }

    func collect(_ name: String, _ x: UnsafePointer<Float>, _ ldx: Int, _ cols: Int, _ tokens: Int) {
        guard tokens >= 16, name.hasPrefix("blk.") || (processOutput && name == "output.weight") else { return }
        var acc = sums[name] ?? [Float](repeating: 0, count: cols)
        precondition(acc.count == cols, "\(name): input width changed")
        acc.withUnsafeMutableBufferPointer { a in
            for t in 0..<tokens {
                let row = x + t * ldx
                for j in 0..<cols { a[j] += row[j] * row[j] }
            }
        }
        sums[name] = acc
        counts[name, default: 0] += tokens
    }

    /// The statistics in llama.cpp's GGUF imatrix format: `general.type`, `imatrix.datasets`,
    /// `imatrix.chunk_count`, `imatrix.chunk_size`, then per tensor (by name) `<name>.in_sum2`
    /// (F32, cols) and `<name>.counts` (F32, 1).
    public func writer(datasets: [String], chunkCount: Int, chunkSize: Int) throws(GGUFWriteError) -> GGUFWriter {
        var w = GGUFWriter()
        w["general.type"] = .string("imatrix")
        w["imatrix.datasets"] = .array(.string, GGUFArray(datasets.map { GGUFValue.string($0) }))
        w["imatrix.chunk_count"] = .uint32(UInt32(clamping: chunkCount))
        w["imatrix.chunk_size"] = .uint32(UInt32(clamping: chunkSize))
        for name in sums.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            let s = sums[name]!
            try w.addTensor(name: name + ".in_sum2", shape: [s.count], type: .f32, data: s.withUnsafeBytes { Array($0) })
            let c = [Float(counts[name]!)]
            try w.addTensor(name: name + ".counts", shape: [1], type: .f32, data: c.withUnsafeBytes { Array($0) })
        }
        return w
    }
}
