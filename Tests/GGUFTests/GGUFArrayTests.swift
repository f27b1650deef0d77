import Foundation
import XCTest
@testable import GGUF

/// Arrays read from a file are packed (`GGUFArray`); they must read back exactly as the values
/// that were written, and the reader must refuse what it refused before packing.
final class GGUFArrayTests: XCTestCase {
    func testPackedArraysReadBackAsTheirValues() throws {
        var w = GGUFWriter()
        let strings = ["", "a", "<|im_end|>", "▁the", "ünï✓", "🙂", String(repeating: "x", count: 300)]
        let floats: [Float] = [0, -0.0, 1.5, -3.25e-7, .infinity, .greatestFiniteMagnitude]
        let ints: [Int32] = [0, 1, -1, .max, .min]
        w["s"] = .array(.string, GGUFArray(strings.map(GGUFValue.string)))
        w["f"] = .array(.float32, GGUFArray(floats.map(GGUFValue.float32)))
        w["i"] = .array(.int32, GGUFArray(ints.map(GGUFValue.int32)))
        w["u16"] = .array(.uint16, [.uint16(7), .uint16(.max)])
        w["b"] = .array(.bool, [.bool(false), .bool(true)])
        w["d"] = .array(.float64, [.float64(-1e300)])
        try withParsed(try w.serialized()) { f in
            guard case .array(.string, let s)? = f.metadata["s"], s.storage.kind == .strings else {
                return XCTFail("string array not packed")
            }
            XCTAssertEqual(Array(try f.packedStrings("s")), strings)
            XCTAssertEqual(try f.stringArray("s"), strings)
            XCTAssertEqual(s, GGUFArray(strings.map(GGUFValue.string)))   // packed == values
            XCTAssertEqual(s[4], .string("ünï✓"))
            XCTAssertEqual(try f.floatArray("f").map(\.bitPattern), floats.map(\.bitPattern))
            XCTAssertEqual(try f.intArray("i"), ints.map(Int.init))
            XCTAssertEqual(f.metadata["u16"], .array(.uint16, [.uint16(7), .uint16(.max)]))
            XCTAssertEqual(try f.intArray("b"), [0, 1])
            XCTAssertEqual(f.metadata["d"]?.arrayValue?.first, .float64(-1e300))
            XCTAssertThrowsError(try f.packedStrings("f"))
            XCTAssertThrowsError(try f.intArray("s"))
        }
    }

    func testBadBoolInsideAnArrayIsNamedWithItsOffset() throws {
        var w = GGUFWriter()
        w["flags"] = .array(.bool, [.bool(false), .bool(true), .bool(false)])
        var bytes = try w.serialized()
        // After the key's bytes: value type (4), element type (4), count (8), then one byte per flag.
        let marker = Array("flags".utf8)
        let keyAt = (0 ..< bytes.count - marker.count).first { Array(bytes[$0 ..< $0 + marker.count]) == marker }!
        let third = keyAt + marker.count + 4 + 4 + 8 + 2
        bytes[third] = 7
        XCTAssertEqual(parseError(bytes), .invalidBool(offset: third, value: 7, key: "flags"))
    }

    /// The reader's UTF-8 check must agree with the standard library's on every input.
    func testUTF8CheckAgreesWithTheStandardLibrary() {
        var rng = SystemRandomNumberGenerator()
        // Every 1- to 3-byte sequence from an interesting alphabet, then random longer ones.
        let alphabet: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
                                 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF]
        var cases: [[UInt8]] = []
        for a in alphabet { cases.append([a]); for b in alphabet { cases.append([a, b]); for c in alphabet { cases.append([a, b, c]) } } }
        for _ in 0 ..< 20_000 {
            cases.append((0 ..< Int.random(in: 1 ... 8, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
        }
        cases.append(Array("ok ünï✓ 🙂".utf8))
        cases.append([0xF4, 0x8F, 0xBF, 0xBF])   // U+10FFFF
        cases.append([0xF4, 0x90, 0x80, 0x80])   // past it
        cases.append([0xED, 0x9F, 0xBF])         // U+D7FF
        cases.append([0xED, 0xA0, 0x80])         // a surrogate
        for c in cases {
            let expected = c.withUnsafeBytes { String(validating: $0, as: UTF8.self) } != nil
            XCTAssertEqual(c.withUnsafeBytes { UTF8Check.isValid($0) }, expected, "\(c.map { String($0, radix: 16) })")
        }
    }

    func testPackedStrings() {
        let p = PackedStrings(["", "ab", "✓"])
        XCTAssertEqual(p.count, 3)
        XCTAssertEqual(Array(p), ["", "ab", "✓"])
        XCTAssertEqual(p.range(1), 0 ..< 2)
        XCTAssertEqual(p.utf8Count(2), 3)
        XCTAssertEqual(p.bytes.count, 5)
        XCTAssertEqual(PackedStrings(utf8: [[0x61], [0x62, 0x63]]), PackedStrings(["a", "bc"]))
    }
}
