import GGUF
import Quant

/// Adapts the Quant target's kernel table to `WeightKernel`.
///
/// Until the Quant kernels are merged this returns `nil` for every block format, so only
/// F32/F16 models load.
enum QuantBridge {
    static func kernel(for type: GGMLType) -> WeightKernel? {
        nil
    }
}
