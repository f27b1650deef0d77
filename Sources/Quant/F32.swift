import GGUF

/// F32: IEEE binary32, one weight per "block".
///
///     f32 value   // 4 bytes, 32 bits per weight
/// Dot product partner: F32 (summed in Double on the portable path, as ggml's scalar code).
enum F32: BlockFormat {
    static let type = GGMLType.f32
    static let blockSize = 1
    static let typeSize = 4

    static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        dst.update(from: src.assumingMemoryBound(to: Float.self), count: count)
    }

    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int) {
        dst.assumingMemoryBound(to: Float.self).update(from: src, count: count)
    }

    static func vecDot(_ n: Int, _ vx: UnsafeRawPointer, _ vy: UnsafeRawPointer) -> Float {
        let x = vx.assumingMemoryBound(to: Float.self), y = vy.assumingMemoryBound(to: Float.self)
        var sum: Double = 0
        for i in 0..<n { sum += Double(x[i] * y[i]) }
        return Float(sum)
    }
}
