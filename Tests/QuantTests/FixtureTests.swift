import GGUF
import Quant
import XCTest

/// Bit-exactness against ggml: `<type>.bin` is ggml's reference quantization of `<input>.f32`
/// and `<type>.deq.f32` its dequantization.
final class FixtureTests: XCTestCase {
    static let fixtureTypes: [GGMLType] = [.f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K,
                                           .iq4_nl, .iq4_xs, .iq3_xxs, .iq3_s, .iq2_s, .iq1_m, .tq1_0, .tq2_0, .mxfp4]
    /// Types with `.w` fixtures (quantized with `<input>.imatrix.f32`) that quantty reproduces.
    static let weightedFixtureTypes: [GGMLType] = [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K,
                                                   .iq4_nl, .iq4_xs, .iq3_xxs, .iq3_s, .iq2_xxs, .iq2_xs, .iq2_s,
                                                   .iq1_s, .iq1_m, .tq1_0, .tq2_0, .mxfp4]

    func testDequantizeMatchesGGMLBitForBit() throws {
        let dir = try Fixtures.requireDir()
        for input in Fixtures.inputs {
            for type in Self.fixtureTypes {
                let sub = dir.appendingPathComponent(input.name)
                let bin = try Fixtures.bytes(sub.appendingPathComponent("\(type.name).bin"))
                let expected = try Fixtures.floats(sub.appendingPathComponent("\(type.name).deq.f32"))
                let k = try XCTUnwrap(QuantKernels.kernel(for: type, isa: .portable))
                XCTAssertEqual(bin.count, k.rowBytes(input.rows * input.cols), "\(input.name) \(type) size")
                let got = k.dequantize(bin)
                XCTAssertEqual(got.count, expected.count)
                let bad = zip(got, expected).enumerated().filter { $0.element.0.bitPattern != $0.element.1.bitPattern }
                XCTAssertTrue(bad.isEmpty, "\(input.name) \(type): \(bad.count) values differ, first at \(bad.first.map { "\($0.offset): \($0.element.0) vs \($0.element.1)" } ?? "")")
            }
        }
    }

    func testDequantizeWeightedMatchesGGMLBitForBit() throws {
        let dir = try Fixtures.requireDir()
        for input in Fixtures.inputs {
            for type in Self.weightedFixtureTypes {
                let sub = dir.appendingPathComponent(input.name)
                let bin = try Fixtures.bytes(sub.appendingPathComponent("\(type.name).w.bin"))
                let expected = try Fixtures.floats(sub.appendingPathComponent("\(type.name).w.deq.f32"))
                let got = try XCTUnwrap(QuantKernels.kernel(for: type, isa: .portable)).dequantize(bin)
                XCTAssertEqual(got.count, expected.count)
                let bad = zip(got, expected).filter { $0.0.bitPattern != $0.1.bitPattern }.count
                XCTAssertEqual(bad, 0, "\(input.name) \(type).w: \(bad) values differ")
            }
        }
    }

    func testQuantizeMatchesGGMLByteForByte() throws {
        try checkQuantize(weighted: false, types: Self.fixtureTypes)
    }

    func testQuantizeWithImportanceWeightsMatchesGGMLByteForByte() throws {
        try checkQuantize(weighted: true, types: Self.weightedFixtureTypes)
    }

    func checkQuantize(weighted: Bool, types: [GGMLType]) throws {
        let dir = try Fixtures.requireDir()
        for input in Fixtures.inputs {
            let x = try Fixtures.input(input.name)
            XCTAssertEqual(x.count, input.rows * input.cols)
            let w = weighted ? try Fixtures.floats(dir.appendingPathComponent("\(input.name).imatrix.f32")) : nil
            if let w { XCTAssertEqual(w.count, input.cols) }
            for type in types {
                let file = weighted ? "\(type.name).w.bin" : "\(type.name).bin"
                let expected = try Fixtures.bytes(dir.appendingPathComponent(input.name).appendingPathComponent(file))
                let k = try XCTUnwrap(QuantKernels.kernel(for: type, isa: .portable))
                // ggml_quantize_chunk quantizes row by row, the weights indexed by column.
                let got = k.quantize(x, rowLength: input.cols, weights: w)
                XCTAssertEqual(got.count, expected.count)
                if got != expected {
                    let first = zip(got, expected).enumerated().first { $0.element.0 != $0.element.1 }!.offset
                    let block = first / type.typeSize
                    XCTFail("\(input.name) \(file): first difference at byte \(first) (block \(block), row \(block * type.blockSize / input.cols)), \(zip(got, expected).filter { $0 != $1 }.count) bytes differ")
                }
            }
        }
    }
}
