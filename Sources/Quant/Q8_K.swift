import GGUF

/// Q8_K: 256 activations, symmetric 8-bit with a float scale and per-16 sums; the activation
/// format of every K-quant dot product (never stored in files).
///
///     struct block_q8_K { f32 d; i8 qs[256]; i16 bsums[16]; }  // 4+256+32 = 292 bytes, 9.125 bits per weight
///     value = d * qs[j],  d = max / -127 where max is the value of largest magnitude
///     bsums[g] = sum(qs[16g ..< 16g + 16])
/// ggml-cpu uses the reference quantizer for activations too, so there is only one.
enum Q8_K: BlockFormat {
    static let type = GGMLType.q8_K
    static let blockSize = 256
    static let typeSize = 4 + 256 + 2 * 16

    @inline(__always) static func d(_ b: UnsafePointer<UInt8>) -> Float { Float(bitPattern: b.u32(0)) }
    @inline(__always) static func bsum(_ b: UnsafePointer<UInt8>, _ g: Int) -> Int32 {
        Int32(Int16(bitPattern: b.u16(260 + 2 * g)))
    }

    static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let x = bytes(src)
        for i in 0..<(count / 256) {
            let b = x + i * typeSize
            let dd = d(b)
            for j in 0..<256 { dst[i * 256 + j] = dd * Float(b.i8(4 + j)) }
        }
    }

    static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int) {
        let out = mbytes(dst)
        for i in 0..<(count / 256) {
            let x = src + i * 256
            let b = out + i * typeSize
            var max: Float = 0, amax: Float = 0
            for j in 0..<256 {
                let ax = abs(x[j])
                if ax > amax { amax = ax; max = x[j] }
            }
            if amax == 0 {
                b.storeU32(0, 0)
                for j in 0..<256 { b[4 + j] = 0 }
                for j in 0..<32 { b[260 + j] = 0 }   // ggml leaves bsums untouched; we zero them
                continue
            }
            let iscale = -127 / max
            for j in 0..<256 {
                let v = nearestInt(iscale * x[j])
                b[4 + j] = UInt8(truncatingIfNeeded: Swift.min(127, v))
            }
            for g in 0..<16 {
                var sum: Int32 = 0
                for t in 0..<16 { sum += b.i8(4 + 16 * g + t) }
                b.storeU16(UInt16(truncatingIfNeeded: sum), 260 + 2 * g)
            }
            b.storeU32((1 / iscale).bitPattern, 0)
        }
    }
}

extension Q8_K {
    /// Portable dot product of two Q8_K rows (ggml has none, kept for completeness).
    static func vecDotQ8_K(_ n: Int, _ vx: UnsafeRawPointer, _ vy: UnsafeRawPointer) -> Float {
        let x = bytes(vx), y = bytes(vy)
        var sumf: Float = 0
        for i in 0..<(n / 256) {
            let bx = x + i * typeSize, by = y + i * typeSize
            var sumi: Int32 = 0
            for j in 0..<256 { sumi &+= bx.i8(4 + j) * by.i8(4 + j) }
            sumf += d(bx) * d(by) * Float(sumi)
        }
        return sumf
    }
}
