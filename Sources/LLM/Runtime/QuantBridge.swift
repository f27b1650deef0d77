import GGUF
import Quant

/// Adapts the Quant target's kernel table (`QuantKernels`, best ISA for this CPU) to `WeightKernel`.
enum QuantBridge {
    static func kernel(for type: GGMLType) -> WeightKernel? {
        guard let k = QuantKernels.kernel(for: type) else { return nil }
        return WeightKernel(type: type, vecDotType: k.vecDotType, dequantize: k.dequantize,
                            quantizeActivations: k.fromFloat, vecDot: k.vecDot)
    }
}
