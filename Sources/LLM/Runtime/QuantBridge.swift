import GGUF
import Quant

/// Adapts the Quant target's kernel table (`QuantKernels`, best ISA for this CPU) to `WeightKernel`.
enum QuantBridge {
    static func kernel(for type: GGMLType) -> WeightKernel? {
        // A kernel's `fromFloat` quantizes into its own type; activations use the `fromFloat`
        // of the weight's `vecDotType` (Q8_0, Q8_1, Q8_K, F16, ...).
        guard let k = QuantKernels.kernel(for: type), let a = QuantKernels.kernel(for: k.vecDotType) else { return nil }
        return WeightKernel(type: type, vecDotType: k.vecDotType, dequantize: k.dequantize,
                            quantizeActivations: a.fromFloat, vecDot: k.vecDot, quant: k)
    }
}
