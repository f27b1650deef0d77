import GGUF

/// One ggml block format: `blockSize` weights stored in `typeSize` bytes.
///
/// Each conforming type lives in its own file with its layout, formula and bits per weight;
/// `QuantKernels` picks the functions from a table keyed by `GGMLType`.
protocol BlockFormat {
    static var type: GGMLType { get }
    /// Weights per block.
    static var blockSize: Int { get }
    /// Bytes per block, summed from the layout's fields (checked against `GGMLType.typeSize` in tests).
    static var typeSize: Int { get }
    /// `count` weights (a multiple of `blockSize`) from `count / blockSize` blocks.
    static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int)
    /// ggml's reference quantization (`quantize_row_*_ref`, no importance matrix).
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int)
}
