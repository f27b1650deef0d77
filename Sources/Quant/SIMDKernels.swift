import CKernels
import GGUF

/// Wraps the C SIMD kernels of CKernels into table entries; types without a SIMD kernel keep
/// their portable functions (dequantize and the reference quantizers are always portable).
enum SIMDKernels {
    static func table(base: [GGMLType: QuantKernel], isa: QuantISA) -> [GGMLType: QuantKernel] {
        var t = base
        for (type, k) in base {
            var dot: QuantKernel.VecDot? = nil
            let c = cVecDot(type, isa)
            if let f = c { dot = { n, w, a in f(Int32(n), w, a) } }
            var e = k.with(vecDot: dot, cVecDot: c, fromFloat: fromFloat(type, isa), isa: isa)
            e.cMatDot = cMatDot(type, isa)
            t[type] = e
        }
        return t
    }

    #if arch(x86_64)
    private static func cVecDot(_ type: GGMLType, _ isa: QuantISA) -> QuantKernel.CVecDot? {
        let avx512 = isa == .avx512
        switch type {
        case .q4_0:
            if avx512 { return qt_vec_dot_q4_0_q8_0_avx512 }
            return qt_vec_dot_q4_0_q8_0_avx2
        case .q4_1:
            if avx512 { return qt_vec_dot_q4_1_q8_1_avx512 }
            return qt_vec_dot_q4_1_q8_1_avx2
        case .q5_0:
            if avx512 { return qt_vec_dot_q5_0_q8_0_avx512 }
            return qt_vec_dot_q5_0_q8_0_avx2
        case .q5_1:
            if avx512 { return qt_vec_dot_q5_1_q8_1_avx512 }
            return qt_vec_dot_q5_1_q8_1_avx2
        case .q8_0:
            if avx512 { return qt_vec_dot_q8_0_q8_0_avx512 }
            return qt_vec_dot_q8_0_q8_0_avx2
        case .q2_K:
            if avx512 { return qt_vec_dot_q2_K_q8_K_avx512 }
            return qt_vec_dot_q2_K_q8_K_avx2
        case .q3_K:
            if avx512 { return qt_vec_dot_q3_K_q8_K_avx512 }
            return qt_vec_dot_q3_K_q8_K_avx2
        case .q4_K:
            if avx512 { return qt_vec_dot_q4_K_q8_K_avx512 }
            return qt_vec_dot_q4_K_q8_K_avx2
        case .q5_K:
            if avx512 { return qt_vec_dot_q5_K_q8_K_avx512 }
            return qt_vec_dot_q5_K_q8_K_avx2
        case .q6_K:
            if avx512 { return qt_vec_dot_q6_K_q8_K_avx512 }
            return qt_vec_dot_q6_K_q8_K_avx2
        case .iq4_nl:
            if avx512 { return qt_vec_dot_iq4_nl_q8_0_avx512 }
            return qt_vec_dot_iq4_nl_q8_0_avx2
        case .iq4_xs:
            if avx512 { return qt_vec_dot_iq4_xs_q8_K_avx512 }
            return qt_vec_dot_iq4_xs_q8_K_avx2
        case .mxfp4:
            if avx512 { return qt_vec_dot_mxfp4_q8_0_avx512 }
            return qt_vec_dot_mxfp4_q8_0_avx2
        case .f16:
            if avx512 { return qt_vec_dot_f16_avx512 }
            return qt_vec_dot_f16_avx2
        case .bf16:
            if avx512 { return qt_vec_dot_bf16_avx512 }
            return qt_vec_dot_bf16_avx2
        case .f32:
            if avx512 { return qt_vec_dot_f32_avx512 }
            return qt_vec_dot_f32_avx2
        default: return nil
        }
    }

    private static func cMatDot(_ type: GGMLType, _ isa: QuantISA) -> QuantKernel.CMatDot? {
        let avx512 = isa == .avx512
        switch type {
        case .q4_K: return avx512 ? qt_mat_dot_q4_K_avx512 : qt_mat_dot_q4_K_avx2
        case .q6_K: return avx512 ? qt_mat_dot_q6_K_avx512 : qt_mat_dot_q6_K_avx2
        default: return nil
        }
    }

    private static func fromFloat(_ type: GGMLType, _ isa: QuantISA) -> QuantKernel.Quantize? {
        let avx512 = isa == .avx512
        switch type {
        case .q8_0:
            if avx512 { return { qt_quantize_q8_0_avx512($0, $1, Int32($2)) } }
            return { qt_quantize_q8_0_avx2($0, $1, Int32($2)) }
        case .q8_1:
            if avx512 { return { qt_quantize_q8_1_avx512($0, $1, Int32($2)) } }
            return { qt_quantize_q8_1_avx2($0, $1, Int32($2)) }
        case .q8_K:
            if avx512 { return { qt_quantize_q8_K_avx512($0, $1, Int32($2)) } }
            return { qt_quantize_q8_K_avx2($0, $1, Int32($2)) }
        default: return nil
        }
    }
    #else
    private static func cVecDot(_ type: GGMLType, _ isa: QuantISA) -> QuantKernel.CVecDot? { nil }
    private static func fromFloat(_ type: GGMLType, _ isa: QuantISA) -> QuantKernel.Quantize? { nil }
    private static func cMatDot(_ type: GGMLType, _ isa: QuantISA) -> QuantKernel.CMatDot? { nil }
    #endif
}
