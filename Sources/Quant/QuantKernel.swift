import CKernels
import GGUF

/// The instruction-set level a kernel table is built for.
///
/// `best` is detected once at run time; tests and benchmarks can ask for any available level
/// (e.g. `.portable`) explicitly, so no global switch is needed to force a path.
public enum QuantISA: Int, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    /// Plain Swift, runs everywhere.
    case portable = 0
    /// AVX2 + FMA + F16C C kernels.
    case avx2 = 1
    /// AVX-512 F/BW/VL/VNNI C kernels (VPDPBUSD dot products).
    case avx512 = 2

    /// The highest level this CPU can execute.
    public static let best: QuantISA = {
        #if !arch(x86_64)
        return .portable
        #else
        let f = qt_cpu_detect()
        let avx2 = f.avx != 0 && f.avx2 != 0 && f.fma != 0 && f.f16c != 0
        if avx2 && f.avx512f != 0 && f.avx512bw != 0 && f.avx512vnni != 0 && qt_cpu_has_avx512vl() != 0 { return .avx512 }
        return avx2 ? .avx2 : .portable
        #endif
    }()

    /// Whether this CPU can run kernels of this level.
    public var isAvailable: Bool { self <= QuantISA.best }

    public static func < (a: QuantISA, b: QuantISA) -> Bool { a.rawValue < b.rawValue }
    public var description: String { ["portable", "avx2", "avx512"][rawValue] }
}

/// The functions for one tensor type, as ggml-cpu's `type_traits_cpu` entry.
///
/// All functions take raw row pointers and an element count that is a multiple of the type's
/// `blockSize`, and allocate nothing.
public struct QuantKernel: Sendable {
    public typealias Dequantize = @Sendable (_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) -> Void
    public typealias Quantize = @Sendable (_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int) -> Void
    /// Quantization steered by importance weights (one per value of `src`, or nil).
    public typealias QuantizeWeighted = @Sendable (_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int,
                                                   _ weights: UnsafePointer<Float>?) -> Void
    public typealias VecDot = @Sendable (_ count: Int, _ weights: UnsafeRawPointer, _ activations: UnsafeRawPointer) -> Float
    /// A C vec-dot kernel (the SIMD kernels), callable without a Swift closure.
    public typealias CVecDot = @convention(c) (Int32, UnsafeRawPointer?, UnsafeRawPointer?) -> Float
    /// A C rows-by-tokens kernel (`qt_mat_dot_*`) for formats whose float order in llama.cpp
    /// depends on the batch (Q4_K: repacked gemm/gemv; Q6_K: tiled for 8+ tokens).
    public typealias CMatDot = @convention(c) (Int32, UnsafeRawPointer?, Int, Int32, UnsafeRawPointer?, Int,
                                               Int32, UnsafeMutablePointer<Float>?, Int) -> Void

    /// The storage type.
    public let type: GGMLType
    /// The activation format `vecDot` expects (ggml's `vec_dot_type`).
    public let vecDotType: GGMLType
    /// Weights to floats (bit-identical to ggml's `dequantize_row_*`).
    public let dequantize: Dequantize
    /// Reference quantization (ggml's `quantize_row_*_ref`, byte-identical; no importance matrix).
    public let quantize: Quantize
    /// Quantization of activations into this type, as ggml-cpu's `from_float` (for Q8_0 / Q8_1 the
    /// x86 variant llama.cpp runs; for the others the reference).
    public let fromFloat: Quantize
    /// Dot product of one weight row with one row of `vecDotType` activations.
    public let vecDot: VecDot
    /// The instruction-set level of `vecDot` / `fromFloat`.
    public let isa: QuantISA
    /// `vecDot` as a C function pointer when it is a SIMD kernel (nil for the portable ones):
    /// `dotRows` / `dotMatrix` then loop in C, one call per block of rows.
    public let cVecDot: CVecDot?
    /// Set for the formats of `CMatDot`: `dotMatrix` then follows llama.cpp's batch split.
    public var cMatDot: CMatDot? = nil
    /// ggml's `quantize_<type>` with importance weights, for the formats whose search uses them
    /// (nil: the type ignores weights; `quantize` is then the whole story).
    public var quantizeWeighted: QuantizeWeighted? = nil
    /// Weights per block and bytes per block as summed from this implementation's block layout;
    /// they must equal `type.blockSize` / `type.typeSize` (checked by the tests, like ggml's static_asserts).
    public let layoutBlockSize: Int
    public let layoutTypeSize: Int

    /// Bytes of a row of `count` elements (nil when `count` is not a whole number of blocks).
    public func rowBytes(_ count: Int) -> Int? { type.byteCount(elements: count) }

    /// `out[r] = vecDot(count, weights + r * rowStride, activations)` for `rows` weight rows: one
    /// matrix-vector product against one quantized activation row, allocation-free. (The single
    /// entry point lets multi-row SIMD kernels replace the loop later without touching callers.)
    @inline(__always)
    public func dotRows(count: Int, weights: UnsafeRawPointer, rowStride: Int, rows: Int,
                        activations: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
        dotMatrix(count: count, weights: weights, rowStride: rowStride, rows: rows,
                  activations: activations, activationStride: 0, tokens: 1, into: out, outStride: rows)
    }

    /// `out[t * outStride + r] = vecDot(count, weights + r * rowStride, activations + t * activationStride)`
    /// for `r < rows`, `t < tokens`: a block of weight rows against a few quantized activation
    /// rows, rows outer (each weight row is read once). Allocation-free; every entry equals the
    /// single `vecDot` bit for bit.
    @inline(__always)
    public func dotMatrix(count: Int, weights: UnsafeRawPointer, rowStride: Int, rows: Int,
                          activations: UnsafeRawPointer, activationStride: Int, tokens: Int,
                          into out: UnsafeMutablePointer<Float>, outStride: Int) {
        if let m = cMatDot {
            m(Int32(count), weights, rowStride, Int32(rows), activations, activationStride, Int32(tokens), out, outStride)
            return
        }
        if let c = cVecDot {
            qt_mat_vec_dot(c, Int32(count), weights, rowStride, Int32(rows), activations, activationStride,
                           Int32(tokens), out, outStride)
            return
        }
        for r in 0..<rows {
            let w = weights + r * rowStride
            for t in 0..<tokens { out[t * outStride + r] = vecDot(count, w, activations + t * activationStride) }
        }
    }

    func with(vecDot: VecDot? = nil, cVecDot: CVecDot? = nil, fromFloat: Quantize? = nil, isa: QuantISA) -> QuantKernel {
        var k = QuantKernel(type: type, vecDotType: vecDotType, dequantize: dequantize, quantize: quantize,
                    fromFloat: fromFloat ?? self.fromFloat, vecDot: vecDot ?? self.vecDot, isa: isa,
                    cVecDot: vecDot == nil ? self.cVecDot : cVecDot,
                    layoutBlockSize: layoutBlockSize, layoutTypeSize: layoutTypeSize)
        k.quantizeWeighted = quantizeWeighted
        return k
    }
}

/// The kernel table keyed by type, one per instruction-set level.
public enum QuantKernels {
    /// Types with kernels (the keys of the portable table, by ggml value): every common ggml
    /// block format plus the activation formats. Adding a type is one `entry` line below.
    public static let supportedTypes: [GGMLType] = portable.keys.sorted { $0.rawValue < $1.rawValue }

    /// The kernel for `type` at `isa` (default: the best this CPU runs); nil for unsupported
    /// types or an ISA this CPU cannot execute.
    public static func kernel(for type: GGMLType, isa: QuantISA = .best) -> QuantKernel? {
        guard isa.isAvailable else { return nil }
        switch isa {
        case .portable: return portable[type]
        case .avx2: return avx2[type]
        case .avx512: return avx512[type]
        }
    }

    /// Quantizes one row of activations into `type` (a `vecDotType`) with its `fromFloat`:
    /// the LLM calls this once per input row, then `vecDot` once per weight row.
    public static func quantizeRow(_ src: UnsafePointer<Float>, count: Int, to type: GGMLType,
                                   dst: UnsafeMutableRawPointer, isa: QuantISA = .best) {
        guard let k = kernel(for: type, isa: isa) else { preconditionFailure("no kernel for \(type)") }
        k.fromFloat(src, dst, count)
    }

    // MARK: - Tables

    private static func entry<F: BlockFormat>(_ f: F.Type, _ vecDotType: GGMLType, _ vecDot: @escaping QuantKernel.VecDot,
                                              fromFloat: QuantKernel.Quantize? = nil) -> QuantKernel {
        var k = QuantKernel(type: F.type, vecDotType: vecDotType,
                            dequantize: { F.dequantize($0, $1, $2) }, quantize: { F.quantize($0, $1, $2) },
                            fromFloat: fromFloat ?? { F.quantize($0, $1, $2) }, vecDot: vecDot, isa: .portable, cVecDot: nil,
                            layoutBlockSize: F.blockSize, layoutTypeSize: F.typeSize)
        if F.self is any WeightedBlockFormat.Type {
            k.quantizeWeighted = { (F.self as! any WeightedBlockFormat.Type).quantize($0, $1, $2, weights: $3) }
        }
        return k
    }

    static let portable: [GGMLType: QuantKernel] = {
        let list: [QuantKernel] = [
            entry(F32.self, .f32, { F32.vecDot($0, $1, $2) }),
            entry(F16.self, .f16, { F16.vecDot($0, $1, $2) }),
            entry(BF16.self, .bf16, { BF16.vecDot($0, $1, $2) }),
            entry(Q4_0.self, .q8_0, { Q4_0.vecDotQ8_0($0, $1, $2) }),
            entry(Q4_1.self, .q8_1, { Q4_1.vecDotQ8_1($0, $1, $2) }),
            entry(Q5_0.self, .q8_0, { Q5_0.vecDotQ8_0($0, $1, $2) }),
            entry(Q5_1.self, .q8_1, { Q5_1.vecDotQ8_1($0, $1, $2) }),
            entry(Q8_0.self, .q8_0, { Q8_0.vecDotQ8_0($0, $1, $2) }, fromFloat: { Q8_0.quantizeActivation($0, $1, $2) }),
            entry(Q8_1.self, .q8_1, { Q8_1.vecDotQ8_1($0, $1, $2) }, fromFloat: { Q8_1.quantizeActivation($0, $1, $2) }),
            entry(Q2_K.self, .q8_K, { Q2_K.vecDotQ8_K($0, $1, $2) }),
            entry(Q3_K.self, .q8_K, { Q3_K.vecDotQ8_K($0, $1, $2) }),
            entry(Q4_K.self, .q8_K, { Q4_K.vecDotQ8_K($0, $1, $2) }),
            entry(Q5_K.self, .q8_K, { Q5_K.vecDotQ8_K($0, $1, $2) }),
            entry(Q6_K.self, .q8_K, { Q6_K.vecDotQ8_K($0, $1, $2) }),
            entry(Q8_K.self, .q8_K, { Q8_K.vecDotQ8_K($0, $1, $2) }),
            entry(IQ4_NL.self, .q8_0, { IQ4_NL.vecDotQ8_0($0, $1, $2) }),
            entry(IQ4_XS.self, .q8_K, { IQ4_XS.vecDotQ8_K($0, $1, $2) }),
            entry(MXFP4.self, .q8_0, { MXFP4.vecDotQ8_0($0, $1, $2) }),
            entry(TQ1_0.self, .q8_K, { TQ1_0.vecDotQ8_K($0, $1, $2) }),
            entry(TQ2_0.self, .q8_K, { TQ2_0.vecDotQ8_K($0, $1, $2) }),
            entry(IQ2_XXS.self, .q8_K, { IQ2_XXS.vecDotQ8_K($0, $1, $2) }),
            entry(IQ2_XS.self, .q8_K, { IQ2_XS.vecDotQ8_K($0, $1, $2) }),
            entry(IQ2_S.self, .q8_K, { IQ2_S.vecDotQ8_K($0, $1, $2) }),
            entry(IQ3_XXS.self, .q8_K, { IQ3_XXS.vecDotQ8_K($0, $1, $2) }),
            entry(IQ3_S.self, .q8_K, { IQ3_S.vecDotQ8_K($0, $1, $2) }),
            entry(IQ1_S.self, .q8_K, { IQ1_S.vecDotQ8_K($0, $1, $2) }),
            entry(IQ1_M.self, .q8_K, { IQ1_M.vecDotQ8_K($0, $1, $2) }),
        ]
        return Dictionary(uniqueKeysWithValues: list.map { ($0.type, $0) })
    }()

    static let avx2: [GGMLType: QuantKernel] = SIMDKernels.table(base: portable, isa: .avx2)
    static let avx512: [GGMLType: QuantKernel] = SIMDKernels.table(base: portable, isa: .avx512)
}

// MARK: - Array helpers (tests and tools; they allocate)

extension QuantKernel {
    /// Reference-quantizes `values` (count a multiple of `blockSize`).
    public func quantize(_ values: [Float]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: rowBytes(values.count)!)
        values.withUnsafeBufferPointer { x in out.withUnsafeMutableBytes { quantize(x.baseAddress!, $0.baseAddress!, values.count) } }
        return out
    }

    /// Quantizes `values` with `fromFloat` (activation quantization into this type).
    public func quantizeActivations(_ values: [Float]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: rowBytes(values.count)!)
        values.withUnsafeBufferPointer { x in out.withUnsafeMutableBytes { fromFloat(x.baseAddress!, $0.baseAddress!, values.count) } }
        return out
    }

    /// Dequantizes whole blocks of `data`.
    public func dequantize(_ data: [UInt8]) -> [Float] {
        let count = data.count / type.typeSize * type.blockSize
        var out = [Float](repeating: 0, count: count)
        data.withUnsafeBytes { src in out.withUnsafeMutableBufferPointer { dequantize(src.baseAddress!, $0.baseAddress!, count) } }
        return out
    }

    /// `vecDot` over `count` elements of a weight row and an activation row (`vecDotType`).
    public func vecDot(count: Int, weights: [UInt8], activations: [UInt8]) -> Float {
        weights.withUnsafeBytes { w in activations.withUnsafeBytes { a in vecDot(count, w.baseAddress!, a.baseAddress!) } }
    }
}
