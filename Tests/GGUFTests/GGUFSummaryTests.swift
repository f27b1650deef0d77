import Foundation
import XCTest
import TestSupport
import GGUF

final class GGUFSummaryTests: XCTestCase {

    func testSmolLM2() throws {
        let s = GGUFSummary(try GGUFFile(path: try TestData.realModel(TestData.smolLM2)))
        XCTAssertEqual(s.architecture, "llama")
        XCTAssertEqual(s.tensorCount, 272)
        XCTAssertEqual(s.parameterCount, 134_515_008)
        XCTAssertEqual(s.fileType, 3)
        XCTAssertEqual(s.fileTypeName, "Q4_1")
        XCTAssertEqual(s.fileSize, 98_362_432)
        XCTAssertEqual(s.version, 3)
        XCTAssertEqual(s.metadataCount, 33)
        XCTAssertEqual(s.contextLength, 8192)
        XCTAssertEqual(s.embeddingLength, 576)
        XCTAssertEqual(s.layerCount, 30)
        XCTAssertEqual(s.headCount, 9)
        XCTAssertEqual(s.headCountKV, 3)
        XCTAssertEqual(s.vocabSize, 49152)
        XCTAssertEqual(s.tokenizerModel, "gpt2")
        XCTAssertEqual(s.tokenizerPre, "smollm")
        XCTAssertTrue(s.hasChatTemplate)
        XCTAssertEqual(s.tensorTypes.map(\.type), ["Q4_1", "Q8_0", "F32"])
        XCTAssertEqual(s.tensorTypes.map(\.tensors), [210, 1, 61])
        XCTAssertEqual(s.tensorTypes.map(\.bytes).reduce(0, +), s.tensorBytes)
        XCTAssertEqual(s.tensorTypes.map(\.parameters).reduce(0, +), s.parameterCount)
        XCTAssertEqual(s.tensorBytes, 98_362_432 - 1_785_664, "no padding between SmolLM2's tensors")
        XCTAssertEqual(s.bitsPerWeight, Double(s.tensorBytes * 8) / 134_515_008, accuracy: 1e-12)
        XCTAssertEqual(s.bitsPerWeight, 5.745, accuracy: 0.01)

        let text = s.text
        print(text)
        XCTAssertTrue(text.contains("architecture   llama\n"), text)
        XCTAssertTrue(text.contains("file type      Q4_1 (3)\n"), text)
        XCTAssertTrue(text.contains("parameters     134.52 M (134,515,008)\n"), text)
        XCTAssertTrue(text.contains("file size      93.81 MiB (98,362,432 bytes)\n"), text)
        XCTAssertTrue(text.contains("tokenizer      gpt2 (pre: smollm)\n"), text)
        // The table's columns line up: every row as wide as the header.
        let table = text.components(separatedBy: "\n\n")[1].split(separator: "\n")
        XCTAssertEqual(table.first?.hasPrefix("type"), true)
        XCTAssertEqual(Set(table.map(\.count)).count, 1, "\(table)")
        XCTAssertEqual(table.last?.hasPrefix("total"), true)
    }

    func testGemma3() throws {
        let s = GGUFSummary(try GGUFFile(path: try TestData.realModel(TestData.gemma3)))
        XCTAssertEqual(s.architecture, "gemma3")
        XCTAssertEqual(s.name, "Gemma 3 270m")
        XCTAssertEqual(s.fileType, 15)
        XCTAssertEqual(s.fileTypeName, "Q4_K_M")
        XCTAssertEqual(s.tensorCount, 236)
        XCTAssertEqual(s.parameterCount, 268_098_176)
        XCTAssertEqual(s.contextLength, 32768)
        XCTAssertEqual(s.embeddingLength, 640)
        XCTAssertEqual(s.layerCount, 18)
        XCTAssertEqual(s.headCount, 4)
        XCTAssertEqual(s.headCountKV, 1)
        XCTAssertEqual(s.vocabSize, 262_144, "from the token list: gemma3 has no vocab_size key")
        XCTAssertEqual(s.tokenizerModel, "llama")
        XCTAssertEqual(s.tokenizerPre, "default")
        XCTAssertFalse(s.hasChatTemplate)
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: s.tensorTypes.map { ($0.type, $0.tensors) }),
                       ["F32": 109, "Q5_0": 81, "Q4_K": 27, "Q8_0": 10, "Q6_K": 9])
        XCTAssertEqual(s.tensorTypes.map(\.bytes), s.tensorTypes.map(\.bytes).sorted(by: >), "most bytes first")
    }

    func testFileTypeNames() {
        XCTAssertEqual(GGUFSummary.fileTypeName(0), "F32")
        XCTAssertEqual(GGUFSummary.fileTypeName(3), "Q4_1")
        XCTAssertEqual(GGUFSummary.fileTypeName(7), "Q8_0")
        XCTAssertEqual(GGUFSummary.fileTypeName(15), "Q4_K_M")
        XCTAssertEqual(GGUFSummary.fileTypeName(17), "Q5_K_M")
        XCTAssertEqual(GGUFSummary.fileTypeName(18), "Q6_K")
        XCTAssertEqual(GGUFSummary.fileTypeName(32), "BF16")
        XCTAssertEqual(GGUFSummary.fileTypeName(5), "unknown (5)")
    }

    func testJSONHasSortedKeysNullsAndRoundTrips() throws {
        var w = GGUFWriter()
        w["general.architecture"] = .string("qwen3")
        try w.addTensor(name: "t", shape: [32, 2], type: .q8_0, data: Sample.bytes(68, seed: 0))
        let bytes = try w.serialized()
        let s = try withParsed(bytes) { GGUFSummary($0) }
        XCTAssertNil(s.fileType)
        XCTAssertNil(s.contextLength)
        XCTAssertEqual(s.bitsPerWeight, 8.5)
        let json = s.json()
        let keys = json.split(separator: "\n").filter { $0.hasPrefix("  \"") }.map { $0.split(separator: "\"")[1] }
        XCTAssertEqual(keys, keys.sorted())
        XCTAssertTrue(json.contains("\"context_length\" : null"), json)
        XCTAssertTrue(json.contains("\"file_type_name\" : null"), json)
        XCTAssertTrue(json.contains("\"architecture\" : \"qwen3\""), json)
        XCTAssertEqual(try JSONDecoder().decode(GGUFSummary.self, from: Data(json.utf8)), s)
        XCTAssertTrue(s.text.contains("file type      -\n"), s.text)
    }

    func testTinyFixtures() throws {
        var seen = 0
        for name in TestData.tinyModels {
            guard let path = try? TestData.tinyModel(name) else { continue }
            let s = GGUFSummary(try GGUFFile(path: path))
            XCTAssertEqual(s.layerCount, 2, name)
            XCTAssertEqual(s.embeddingLength, 256, name)
            XCTAssertEqual(s.vocabSize, 272, name)
            XCTAssertEqual(s.fileTypeName, name.contains("q8_0") ? "Q8_0" : "F32", name)
            seen += 1
        }
        if seen == 0 { throw TestEnvironment.missing("no tiny fixtures") }
    }

    func testInspectingUnsupportedTypes() throws {
        var w = GGUFWriter()
        w["general.file_type"] = .uint32(19)
        let spec = try GGUFTensorSpec(name: "blk.0.ffn_up.weight", shape: [256, 4], type: .i16)
        try w.addTensor(spec, data: Sample.bytes(spec.byteCount, seed: 0))
        let bytes = try w.serialized()
        XCTAssertEqual(parseError(bytes), .unsupportedTensorType(tensor: "blk.0.ffn_up.weight", type: .i16))
        let s = try bytes.withUnsafeBytes { GGUFSummary(try GGUFFile(unsafeBytes: $0, requireSupportedTypes: false)) }
        XCTAssertEqual(s.fileTypeName, "IQ2_XXS")
        XCTAssertEqual(s.tensorTypes.map(\.type), ["I16"])
        XCTAssertEqual(s.tensorTypes.map(\.parameters), [1024])
        XCTAssertEqual(s.tensorTypes.map(\.bytes), [2048])
        XCTAssertEqual(s.bitsPerWeight, 16)
    }
}
