import GGUF

/// F16: IEEE binary16, one weight per "block".
///
///     u16 bits   // 2 bytes, 16 bits per weight
/// Conversion rounds to nearest even; NaN becomes sign|0x7E00 (ggml's `ggml_compute_fp32_to_fp16`).
/// Dot product partner: F16 (products of the exact float values, summed in Double).
enum F16: BlockFormat {
    static let type = GGMLType.f16
    static let blockSize = 1
    static let typeSize = 2

    static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let x = src.assumingMemoryBound(to: UInt16.self)
        for i in 0..<count { dst[i] = fp16ToFloat(UInt16(littleEndian: x[i])) }
    }

    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int) {
        let y = dst.assumingMemoryBound(to: UInt16.self)
        for i in 0..<count { y[i] = floatToFP16(src[i]).littleEndian }
    }

    static func vecDot(_ n: Int, _ vx: UnsafeRawPointer, _ vy: UnsafeRawPointer) -> Float {
        let x = vx.assumingMemoryBound(to: UInt16.self), y = vy.assumingMemoryBound(to: UInt16.self)
        var sum: Double = 0
        for i in 0..<n { sum += Double(fp16ToFloat(x[i]) * fp16ToFloat(y[i])) }
        return Float(sum)
    }
}
