// Scalar conversions and rounding helpers shared by every block format, ported from ggml
// (`ggml_compute_fp16_to_fp32`, `ggml_compute_fp32_to_fp16`, `ggml_compute_fp32_to_bf16`,
// `nearest_int`) so that results are bit-identical to ggml's.

// MARK: - Half precision

/// IEEE binary16 bits to Float, exact (ggml's branch-free `ggml_compute_fp16_to_fp32`).
@inline(__always)
public func fp16ToFloat(_ h: UInt16) -> Float {
    let w = UInt32(h) << 16
    let sign = w & 0x8000_0000
    let twoW = w &+ w
    let expOffset: UInt32 = 0xE0 << 23
    let normalized = Float(bitPattern: (twoW >> 4) &+ expOffset) * Float(bitPattern: 0x0780_0000) // 0x1p-112
    let magicMask: UInt32 = 126 << 23
    let denormalized = Float(bitPattern: (twoW >> 17) | magicMask) - 0.5
    let denormCutoff: UInt32 = 1 << 27
    let bits = sign | (twoW < denormCutoff ? denormalized.bitPattern : normalized.bitPattern)
    return Float(bitPattern: bits)
}

/// Float to IEEE binary16 bits, round to nearest even, NaN -> sign|0x7E00, overflow -> inf
/// (ggml's `ggml_compute_fp32_to_fp16`, same float operations).
@inline(__always)
public func floatToFP16(_ f: Float) -> UInt16 {
    let scaleToInf = Float(bitPattern: 0x7780_0000)  // 0x1p+112
    let scaleToZero = Float(bitPattern: 0x0880_0000) // 0x1p-110
    var base = (abs(f) * scaleToInf) * scaleToZero
    let w = f.bitPattern
    let shl1W = w &+ w
    let sign = w & 0x8000_0000
    var bias = shl1W & 0xFF00_0000
    if bias < 0x7100_0000 { bias = 0x7100_0000 }
    base = Float(bitPattern: (bias >> 1) &+ 0x0780_0000) + base
    let bits = base.bitPattern
    let expBits = (bits >> 13) & 0x0000_7C00
    let mantissaBits = bits & 0x0000_0FFF
    let nonsign = expBits &+ mantissaBits
    return UInt16(truncatingIfNeeded: (sign >> 16) | (shl1W > 0xFF00_0000 ? 0x7E00 : nonsign))
}

// MARK: - bfloat16

/// bfloat16 bits to Float (exact).
@inline(__always)
public func bf16ToFloat(_ h: UInt16) -> Float { Float(bitPattern: UInt32(h) << 16) }

/// Float to bfloat16 bits, round to nearest even, NaN made quiet (ggml's `ggml_compute_fp32_to_bf16`;
/// subnormals are kept, as in current ggml).
@inline(__always)
public func floatToBF16(_ f: Float) -> UInt16 {
    let u = f.bitPattern
    if (u & 0x7FFF_FFFF) > 0x7F80_0000 { return UInt16(truncatingIfNeeded: (u >> 16) | 64) }
    return UInt16(truncatingIfNeeded: (u &+ (0x7FFF &+ ((u >> 16) & 1))) >> 16)
}

// MARK: - Rounding

/// ggml's `nearest_int`: round half to even through the 1.5*2^23 trick; valid for |f| <= 4194303.
@inline(__always)
func nearestInt(_ f: Float) -> Int32 {
    let v = f + 12582912.0
    return Int32(bitPattern: v.bitPattern & 0x007F_FFFF) - 0x0040_0000
}

/// C's float -> int conversion as x86 `cvttss2si` does it: truncation toward zero, and
/// 0x80000000 for NaN or out-of-range values (where C has undefined behaviour).
@inline(__always)
func truncToInt32(_ f: Float) -> Int32 {
    if f.isNaN || f >= 2147483648.0 || f < -2147483648.0 { return Int32.min }
    return Int32(f)
}

/// The value C gives for `(int8_t)f` / `(uint8_t)f` on x86 (convert to int32, keep the low byte).
@inline(__always)
func truncToByte(_ f: Float) -> UInt8 { UInt8(truncatingIfNeeded: truncToInt32(f)) }

// MARK: - Byte access

extension UnsafePointer where Pointee == UInt8 {
    @inline(__always) func u16(_ off: Int) -> UInt16 { UInt16(self[off]) | UInt16(self[off + 1]) << 8 }
    @inline(__always) func f16(_ off: Int) -> Float { fp16ToFloat(u16(off)) }
    @inline(__always) func u32(_ off: Int) -> UInt32 {
        UInt32(self[off]) | UInt32(self[off + 1]) << 8 | UInt32(self[off + 2]) << 16 | UInt32(self[off + 3]) << 24
    }
    @inline(__always) func i8(_ off: Int) -> Int32 { Int32(Int8(bitPattern: self[off])) }
}

extension UnsafeMutablePointer where Pointee == UInt8 {
    @inline(__always) func f16(_ off: Int) -> Float { UnsafePointer(self).f16(off) }
    @inline(__always) func i8(_ off: Int) -> Int32 { Int32(Int8(bitPattern: self[off])) }
    @inline(__always) func storeU16(_ v: UInt16, _ off: Int) {
        self[off] = UInt8(truncatingIfNeeded: v); self[off + 1] = UInt8(truncatingIfNeeded: v >> 8)
    }
    @inline(__always) func storeU32(_ v: UInt32, _ off: Int) {
        for k in 0..<4 { self[off + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(k))) }
    }
}

@inline(__always) func bytes(_ p: UnsafeRawPointer) -> UnsafePointer<UInt8> { p.assumingMemoryBound(to: UInt8.self) }
@inline(__always) func mbytes(_ p: UnsafeMutableRawPointer) -> UnsafeMutablePointer<UInt8> {
    p.assumingMemoryBound(to: UInt8.self)
}
