import Foundation
import XCTest
import TestSupport

/// `<repo root>/../shared/fixtures/quant`, through `TestEnvironment`.
enum Fixtures {
    static var quantDir: URL? { TestEnvironment.sharedFixtures?.appendingPathComponent("quant") }

    /// The fixture inputs: name, rows, columns.
    static let inputs: [(name: String, rows: Int, cols: Int)] = [("real-16x1536", 16, 1536), ("synthetic-8x512", 8, 512)]

    static func requireDir() throws -> URL { try TestEnvironment.fixture("quant") }

    static func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }

    static func floats(_ url: URL) throws -> [Float] {
        let b = try bytes(url)
        return b.withUnsafeBytes { raw in (0..<(b.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) } }
    }

    /// Input rows of a fixture.
    static func input(_ name: String) throws -> [Float] {
        try floats(try requireDir().appendingPathComponent("\(name).f32"))
    }
}

/// A small deterministic generator (SplitMix64) so random tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
