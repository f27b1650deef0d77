import CKernels
import GGUF

/// Wraps the C SIMD kernels of CKernels into table entries; types without a SIMD kernel keep
/// their portable functions.
enum SIMDKernels {
    static func table(base: [GGMLType: QuantKernel], isa: QuantISA) -> [GGMLType: QuantKernel] {
        var t = base
        for (type, k) in base { t[type] = k.with(isa: isa) }
        return t
    }
}
