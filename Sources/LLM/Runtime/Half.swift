/// IEEE half-precision conversions for the KV cache and F16 weights.
///
/// Half to float goes through a 65,536-entry table (256 KiB, built once): Swift lowers
/// `Float(Float16)` to a library call on x86 without F16C, which is slow in attention loops.
enum Half {
    /// `table[bits]` = the float value of half `bits`.
    nonisolated(unsafe) static let table: UnsafeMutablePointer<Float> = {
        let t = UnsafeMutablePointer<Float>.allocate(capacity: 65_536)
        for i in 0..<65_536 { t[i] = Float(Float16(bitPattern: UInt16(i))) }
        return t
    }()

    @inline(__always) static func toFloat(_ h: UInt16) -> Float { table[Int(h)] }

    /// Round to nearest even, as F16C and ggml do.
    @inline(__always) static func fromFloat(_ f: Float) -> UInt16 { Float16(f).bitPattern }

    /// `x` rounded to the nearest half (ties to even) and back, without a library call:
    /// mantissa rounding on the float's bits in the half-normal range, `Float16` elsewhere.
    @inline(__always) static func round(_ x: Float) -> Float {
        let a = abs(x)
        if a >= 6.103_515_6e-05 && a < 65_504 {
            let b = x.bitPattern
            return Float(bitPattern: (b &+ 0xFFF &+ ((b >> 13) & 1)) & ~UInt32(0x1FFF))
        }
        return Float(Float16(x))
    }

    static func toFloat(_ src: UnsafePointer<UInt16>, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
        let t = table
        for i in 0..<n { dst[i] = t[Int(src[i])] }
    }

    static func fromFloat(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<UInt16>, _ n: Int) {
        for i in 0..<n { dst[i] = Float16(src[i]).bitPattern }
    }
}
