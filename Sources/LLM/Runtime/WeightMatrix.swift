import GGUF
import Quant

/// The per-type functions a matmul needs, picked once per weight from the kernel table.
///
/// F32 weights go through BLAS; every other type uses the Quant target's kernels: activations are
/// quantized once per matmul input to `vecDotType`, then each weight row is dotted with each
/// quantized activation row (or, for large batches, rows are dequantized into tiles for BLAS).
struct WeightKernel: @unchecked Sendable {
    let type: GGMLType
    /// Format the activations are quantized to for `vecDot` (`nil` for F32/F16: BLAS path only).
    let vecDotType: GGMLType?
    /// `count` weights (whole blocks) to floats.
    let dequantize: (UnsafeRawPointer, UnsafeMutablePointer<Float>, Int) -> Void
    /// `count` activations to `vecDotType` blocks.
    let quantizeActivations: ((UnsafePointer<Float>, UnsafeMutableRawPointer, Int) -> Void)?
    /// Dot product of one weight row with one quantized activation row of `count` elements.
    let vecDot: ((Int, UnsafeRawPointer, UnsafeRawPointer) -> Float)?
    /// The Quant kernel behind `vecDot` (its `dotMatrix` runs blocks of rows in one call).
    var quant: QuantKernel? = nil

    static func forType(_ type: GGMLType) -> WeightKernel? {
        if type == .f32 {
            // Only `dequantize` is used: F32 matmuls always go to BLAS straight from the mapping.
            return WeightKernel(type: type, vecDotType: nil, dequantize: { src, dst, n in
                dst.update(from: src.assumingMemoryBound(to: Float.self), count: n)
            }, quantizeActivations: nil, vecDot: nil)
        }
        return QuantBridge.kernel(for: type)
    }
}

/// A 2-D weight: `rows` rows of `cols` elements (ggml shape `[cols, rows]`), a view into the
/// memory-mapped file.
struct WeightMatrix: @unchecked Sendable {
    let name: String
    let type: GGMLType
    /// Row width (ggml `ne0`): the input dimension of `y = W x`.
    let cols: Int
    /// Number of rows (ggml `ne1`): the output dimension.
    let rows: Int
    let data: UnsafeRawPointer
    let rowBytes: Int
    let kernel: WeightKernel

    @inline(__always) func row(_ r: Int) -> UnsafeRawPointer { data + r * rowBytes }

    /// Dequantizes row `r` into `dst` (`cols` floats).
    @inline(__always) func dequantizeRow(_ r: Int, into dst: UnsafeMutablePointer<Float>) {
        kernel.dequantize(row(r), dst, cols)
    }
}
