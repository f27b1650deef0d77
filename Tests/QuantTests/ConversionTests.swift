import Quant
import XCTest

final class ConversionTests: XCTestCase {
    func testFP16RoundTripAndRounding() {
        // Every finite half converts to float and back unchanged.
        for h in 0...0xFFFF {
            let b = UInt16(h)
            let f = fp16ToFloat(b)
            if f.isNaN { XCTAssertEqual(floatToFP16(f) & 0x7FFF, 0x7E00); continue }
            XCTAssertEqual(floatToFP16(f), b, "half \(h)")
            XCTAssertEqual(f.bitPattern, Float(Float16(bitPattern: b)).bitPattern, "half \(h)")
        }
        // Float -> half agrees with Swift's Float16 (round to nearest even) on a sweep incl. subnormals/overflow.
        var g = SplitMix64(seed: 1)
        for _ in 0..<200_000 {
            let f = Float(bitPattern: UInt32(truncatingIfNeeded: g.next()))
            if f.isNaN { continue }
            XCTAssertEqual(floatToFP16(f), Float16(f).bitPattern, "\(f)")
        }
        XCTAssertEqual(floatToFP16(.infinity), 0x7C00)
        XCTAssertEqual(floatToFP16(-.infinity), 0xFC00)
        XCTAssertEqual(floatToFP16(65520), 0x7C00)            // rounds up to inf
        XCTAssertEqual(floatToFP16(65519.996), 0x7BFF)
        XCTAssertEqual(floatToFP16(.nan), 0x7E00)
        XCTAssertEqual(floatToFP16(-Float.nan), 0xFE00)
        XCTAssertEqual(floatToFP16(Float(bitPattern: 0x3300_0000)), 0)       // 2^-25 = half of the least subnormal: tie to even (0)
        XCTAssertEqual(floatToFP16(Float(bitPattern: 0x3300_0001)), 1)
    }

    func testBF16RoundingAndNaN() {
        XCTAssertEqual(floatToBF16(1.0), 0x3F80)
        XCTAssertEqual(floatToBF16(Float(bitPattern: 0x3F80_8000)), 0x3F80)  // tie -> even
        XCTAssertEqual(floatToBF16(Float(bitPattern: 0x3F81_8000)), 0x3F82)  // tie -> even (up)
        XCTAssertEqual(floatToBF16(Float(bitPattern: 0x3F80_8001)), 0x3F81)
        XCTAssertEqual(floatToBF16(Float(bitPattern: 0x7F80_0001)), 0x7FC0)  // signalling NaN made quiet
        XCTAssertEqual(floatToBF16(Float(bitPattern: 0xFFC1_2345)), 0xFFC1)
        XCTAssertEqual(floatToBF16(Float(bitPattern: 0x0000_8000)), 0x0000)  // subnormal tie -> even, kept
        XCTAssertEqual(floatToBF16(Float(bitPattern: 0x0001_8000)), 0x0002)
        XCTAssertEqual(floatToBF16(.greatestFiniteMagnitude), 0x7F80)        // rounds to inf
        XCTAssertEqual(bf16ToFloat(0x3F80), 1.0)
    }
}
