import Foundation
import GGUF

/// MXFP4 (OCP microscaling): 32 weights as E2M1 floats sharing one power-of-two scale.
///
///     struct block_mxfp4 { u8 e; u8 qs[16]; }          // 1 + 16 = 17 bytes, 4.25 bits per weight
///     w[j]      = 2^(e-128) * kvalues_mxfp4[qs[j] & 0xF]   // kvalues are the E2M1 values doubled
///     w[j + 16] = 2^(e-128) * kvalues_mxfp4[qs[j] >> 4]
/// Importance weights are ignored (as in ggml). Dot product partner: Q8_0.
enum MXFP4: BlockFormat {
    static let type = GGMLType.mxfp4
    static let blockSize = 32
    static let typeSize = 1 + 16

    /// ggml's `ggml_e8m0_to_fp32_half`: 2^(e - 128), with the two subnormal cases spelled out.
    @inline(__always) static func halfScale(_ e: UInt8) -> Float {
        Float(bitPattern: e < 2 ? UInt32(0x0020_0000) << UInt32(e) : UInt32(e - 1) << 23)
    }

    static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let x = bytes(src)
        kvaluesMXFP4.withUnsafeBufferPointer { kv in
            for i in 0..<(count / 32) {
                let b = x + i * typeSize
                let d = halfScale(b[0])
                let y = dst + i * 32
                for j in 0..<16 {
                    y[j] = Float(kv[Int(b[1 + j] & 0xF)]) * d
                    y[j + 16] = Float(kv[Int(b[1 + j] >> 4)]) * d
                }
            }
        }
    }

    /// ggml's `quantize_row_mxfp4_ref`: e = floor(log2(amax)) - 2 + 127, then the nearest of the 16 values.
    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int) {
        let out = mbytes(dst)
        kvaluesMXFP4.withUnsafeBufferPointer { kv in
            func best(_ x: Float, _ e: Float) -> UInt8 {
                var bi = 0
                var bestErr = abs(Float(kv[0]) * e - x)
                for i in 1..<16 {
                    let err = abs(Float(kv[i]) * e - x)
                    if err < bestErr { bi = i; bestErr = err }
                }
                return UInt8(bi)
            }
            for i in 0..<(count / 32) {
                let x = src + i * 32, b = out + i * typeSize
                var amax: Float = 0
                for j in 0..<32 where amax < abs(x[j]) { amax = abs(x[j]) }
                let e: UInt8 = amax > 0 ? truncToByte(Float(floorf(log2f(amax))) - 2 + 127) : 0
                let d = halfScale(e)
                b[0] = e
                for j in 0..<16 { b[1 + j] = best(x[j], d) | best(x[16 + j], d) << 4 }
            }
        }
    }

    /// Portable dot product with Q8_0: sum over blocks of d_a * 2^(e-128) * sum(kvalue * q_a).
    static func vecDotQ8_0(_ n: Int, _ vx: UnsafeRawPointer, _ vy: UnsafeRawPointer) -> Float {
        let x = bytes(vx), y = bytes(vy)
        return kvaluesMXFP4.withUnsafeBufferPointer { kv in
            var sumf: Float = 0
            for ib in 0..<(n / 32) {
                let bx = x + ib * typeSize, by = y + ib * Q8_0.typeSize
                let d = by.f16(0) * halfScale(bx[0])
                var s1: Int32 = 0, s2: Int32 = 0
                for j in 0..<16 {
                    s1 &+= by.i8(2 + j) * Int32(kv[Int(bx[1 + j] & 0xF)])
                    s2 &+= by.i8(18 + j) * Int32(kv[Int(bx[1 + j] >> 4)])
                }
                sumf += d * Float(s1 &+ s2)
            }
            return sumf
        }
    }
}
