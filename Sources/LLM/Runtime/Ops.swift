#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CKernels

/// Element-wise kernels of the forward pass. Pointers name their shapes; nothing allocates.
enum Ops {
    /// RMSNorm of one row: `y = x / sqrt(mean(x^2) + eps) * w`. x, y: (n); w: (n) or nil.
    /// The sum of squares is accumulated in double, as ggml does.
    @inline(__always)
    static func rmsNorm(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>,
                        _ n: Int, eps: Float) {
        var sum: Double = 0
        for i in 0..<n { sum += Double(x[i] * x[i]) }
        let scale = 1 / (Float(sum / Double(n)) + eps).squareRoot()
        if let w {
            for i in 0..<n { y[i] = x[i] * scale * w[i] }
        } else {
            for i in 0..<n { y[i] = x[i] * scale }
        }
    }

    /// RMSNorm applied to `rows` consecutive rows of `n` (q/k norms per head, whole batches).
    static func rmsNormRows(_ x: UnsafeMutablePointer<Float>, _ w: UnsafePointer<Float>?, rows: Int, _ n: Int,
                            eps: Float, out: UnsafeMutablePointer<Float>? = nil) {
        let y = out ?? x
        for r in 0..<rows { rmsNorm(x + r * n, w, y + r * n, n, eps: eps) }
    }

    /// ggml's rope cache for one position: `cosSin[2i] = cos(p * scale * base^(-2i/dims))`,
    /// `cosSin[2i+1]` the sine, for i < dims/2. theta is advanced by repeated multiplication in
    /// float, like `ggml_rope_cache_init`, so angles match llama.cpp's to the last bit.
    static func ropeCache(position: Int, dims: Int, base: Float, freqScale: Float,
                          into cosSin: UnsafeMutablePointer<Float>) {
        let thetaScale = powf(base, -2.0 / Float(dims))
        var theta = Float(position)
        var i = 0
        while i < dims {
            let t = freqScale * theta
            cosSin[i] = cosf(t)
            cosSin[i + 1] = sinf(t)
            theta *= thetaScale
            i += 2
        }
    }

    /// Rotates `heads` heads of `headDim` (the first `dims` of each) in place. Each pair is
    /// `fma(x0, cos, -(x1 * sin))`, `fma(x0, sin, x1 * cos)`: how GCC contracts ggml's
    /// `x0*cos - x1*sin` (C++, `-ffp-contract=fast`), so rotated values equal llama.cpp's.
    /// `neox`: pairs (i, i + dims/2) (qwen2, qwen3, gemma3); otherwise adjacent pairs (llama).
    @inline(__always)
    static func rope(_ x: UnsafeMutablePointer<Float>, heads: Int, headDim: Int, dims: Int, neox: Bool,
                     cosSin: UnsafePointer<Float>, simd: Bool) {
        #if arch(x86_64)
        // Swift's addingProduct is a libm call without FMA in the baseline target: use the C kernel.
        if simd {
            qt_rope_avx2(x, Int32(heads), Int32(headDim), Int32(dims), neox ? 1 : 0, cosSin)
            return
        }
        #endif
        let half = dims / 2
        for h in 0..<heads {
            let v = x + h * headDim
            if neox {
                for i in 0..<half {
                    let c = cosSin[2 * i], s = cosSin[2 * i + 1]
                    let a = v[i], b = v[i + half]
                    v[i] = (-(b * s)).addingProduct(a, c)
                    v[i + half] = (b * c).addingProduct(a, s)
                }
            } else {
                for i in 0..<half {
                    let c = cosSin[2 * i], s = cosSin[2 * i + 1]
                    let a = v[2 * i], b = v[2 * i + 1]
                    v[2 * i] = (-(b * s)).addingProduct(a, c)
                    v[2 * i + 1] = (b * c).addingProduct(a, s)
                }
            }
        }
    }

    /// `gate = silu(gate) * up`. gate, up: (n). With AVX2 it is ggml's `ggml_vec_swiglu_f32`
    /// (its vectorized exp), so values equal llama.cpp's bit for bit.
    @inline(__always)
    static func swiglu(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, _ n: Int, simd: Bool) {
        #if arch(x86_64)
        if simd { qt_swiglu_ggml_avx2(Int32(n), gate, up); return }
        #endif
        for i in 0..<n {
            let g = gate[i]
            gate[i] = g / (1 + expf(-g)) * up[i]
        }
    }

    /// `gate = gelu(gate) * up` as ggml-cpu computes it (`GGML_GELU_FP16`): the input rounded to
    /// F16 looks up GELU (tanh approximation) evaluated at that F16 value and rounded to F16;
    /// 0 below -10, the identity above 10. gate, up: (n).
    @inline(__always)
    static func geglu(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, _ n: Int, simd: Bool) {
        #if arch(x86_64)
        if simd {
            geluTableF32.withUnsafeBufferPointer { qt_geglu_table_avx2(Int32(n), gate, up, $0.baseAddress!) }
            return
        }
        #endif
        let table = geluTable
        for i in 0..<n {
            let g = gate[i]
            if g <= -10 {
                gate[i] = 0
            } else if g >= 10 {
                gate[i] = g * up[i]
            } else {
                gate[i] = Half.toFloat(table[Int(Half.fromFloat(g))]) * up[i]
            }
        }
    }

    /// `geluTable` widened to floats, for the vectorized lookup.
    static let geluTableF32: [Float] = geluTable.map { Half.toFloat($0) }

    /// GELU of every F16 value, as F16 bits (ggml's `ggml_table_gelu_f16`). The inner
    /// `1 + a*x*x` is fused as GCC contracts ggml's C.
    static let geluTable: [UInt16] = (0..<65536).map { bits in
        let x = Half.toFloat(UInt16(bits))
        let c: Float = 0.797_884_560_802_865_355_879_892_119_868_76   // sqrt(2 / pi)
        let inner = 0.044715 * x
        let poly = Float(1).addingProduct(inner, x)                     // fma(a*x, x, 1)
        let y = 0.5 * x * (1 + tanhf(c * x * poly))
        return Half.fromFloat(y)
    }

    /// x += y. x, y: (n).
    @inline(__always)
    static func add(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) {
        for i in 0..<n { x[i] += y[i] }
    }

    /// x *= s. x: (n).
    @inline(__always)
    static func scale(_ x: UnsafeMutablePointer<Float>, _ s: Float, _ n: Int) {
        for i in 0..<n { x[i] *= s }
    }

    /// Row-wise log-softmax statistics: the max and log-sum-exp of `x` (n).
    static func logSumExp(_ x: UnsafePointer<Float>, _ n: Int) -> (max: Float, lse: Double) {
        var m = -Float.infinity
        for i in 0..<n { m = max(m, x[i]) }
        var s: Double = 0
        for i in 0..<n { s += Double(expf(x[i] - m)) }
        return (m, Double(m) + log(s))
    }
}
