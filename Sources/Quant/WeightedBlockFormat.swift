/// A block format whose quantizer can be steered by importance weights (ggml's
/// `quantize_<type>(src, dst, nrow, n_per_row, quant_weights)`).
///
/// `weights`, when given, holds one non-negative weight per value of `src` (for a matrix: the
/// imatrix row of the columns being quantized, the same for every row). Without weights the
/// result equals `ggml_quantize_chunk` with a null imatrix, which is what `quantize` does.
protocol WeightedBlockFormat: BlockFormat {
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int,
                         weights: UnsafePointer<Float>?)
}

extension WeightedBlockFormat {
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int) {
        quantize(src, dst, count, weights: nil)
    }
}

// MARK: - Search helpers shared by the non-linear formats

/// ggml's `best_index_int8`: the index of the entry of the sorted `values` nearest to `x`
/// (ties go up).
@inline(__always)
func bestIndexInt8(_ values: UnsafePointer<Int8>, _ n: Int, _ x: Float) -> Int {
    if x <= Float(values[0]) { return 0 }
    if x >= Float(values[n - 1]) { return n - 1 }
    var ml = 0, mu = n - 1
    while mu - ml > 1 {
        let mav = (ml + mu) / 2
        if x < Float(values[mav]) { mu = mav } else { ml = mav }
    }
    return x - Float(values[mu - 1]) < Float(values[mu]) - x ? mu - 1 : mu
}

// MARK: - Array helper (tests and tools; it allocates)

extension QuantKernel {
    /// Quantizes a row-major matrix of `rowLength`-wide rows as ggml's `ggml_quantize_chunk` does:
    /// row by row, with `weights` (`rowLength` importance weights, the same for every row) when the
    /// type's search uses them, else plainly.
    public func quantize(_ values: [Float], rowLength: Int, weights: [Float]?) -> [UInt8] {
        precondition(rowLength > 0 && values.count % rowLength == 0 && weights.map { $0.count == rowLength } ?? true)
        let rowBytes = rowBytes(rowLength)!
        var out = [UInt8](repeating: 0, count: rowBytes * (values.count / rowLength))
        values.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBytes { o in
                for r in 0..<(values.count / rowLength) {
                    let src = x.baseAddress! + r * rowLength, dst = o.baseAddress! + r * rowBytes
                    if let qw = quantizeWeighted {
                        if let w = weights { w.withUnsafeBufferPointer { qw(src, dst, rowLength, $0.baseAddress!) } }
                        else { qw(src, dst, rowLength, nil) }
                    } else {
                        quantize(src, dst, rowLength)
                    }
                }
            }
        }
        return out
    }
}
