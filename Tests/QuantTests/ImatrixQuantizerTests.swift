import Foundation
import XCTest
import TestSupport
import GGUF
@testable import Quant

/// The model quantizer with an importance matrix (`quantty quantize ... --imatrix FILE`): the
/// plans and files of `../shared/fixtures/imatrix/` (llama-quantize's), the levels that refuse to
/// run without one, and imatrix files that do not fit the model.
final class ImatrixQuantizerTests: XCTestCase {

    static let fixtureLevels = ["IQ4_XS", "IQ3_M", "IQ2_M", "Q3_K_M", "Q4_K_M", "Q2_K"]
    static let imatrixName = "smollm2-gpl3.imatrix.gguf"

    private func imatrixFixture() throws -> String { try QuantizerData.fixture("imatrix/" + Self.imatrixName) }

    private func planJSON(_ level: String) throws -> (fixture: QuantizerData.PlanFixture, json: [String: Any]) {
        let path = try QuantizerData.fixture("imatrix/plan-\(level.lowercased()).json")
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        return (try QuantizerData.planFixture(atPath: path), json)
    }

    // MARK: - Plans (fast)

    /// Every tensor's type, in llama-quantize's order, and `general.file_type` of the six
    /// fixture files, planned with an imatrix from SmolLM2's tensor shapes.
    func testSmolLM2ImatrixPlansMatchLlamaQuantize() throws {
        let file = try GGUFFile(path: try QuantizerData.realModel(QuantizerData.smolLM2))
        let hp = ModelHyperparameters(file: file)
        let tensors = file.tensors.map { t in
            let type: GGMLType = QuantizationPlan.allowsQuantization(name: t.name, shape: t.shape) ? .f32 : t.type
            return GGUFTensorInfo(name: t.name, shape: t.shape, type: type, offset: 0, byteCount: type.byteCount(elements: t.elementCount)!)
        }
        for name in Self.fixtureLevels {
            let (fx, _) = try planJSON(name)
            let level = try XCTUnwrap(QuantizationLevel(name: fx.target))
            XCTAssertEqual(Int(level.fileType), fx.fileType, "\(name) general.file_type")
            let plan = try QuantizationPlan(level: level, tensors: tensors, hyperparameters: hp, hasImatrix: true)
            XCTAssertEqual(plan.tensors.map(\.name), fx.types.map(\.name), "\(name): tensor order")
            let planned = plan.tensorTypes
            let mismatches = fx.types.filter { planned[$0.name]?.description != $0.type }
                .map { "\($0.name): planned \(planned[$0.name].map(\.description) ?? "nothing"), llama-quantize \($0.type)" }
            XCTAssertEqual(mismatches, [], "\(name): \(mismatches.count) tensor types differ")
            // With weights for every matrix but token_embd (which ends up Q8_0), nothing is missing.
            XCTAssertTrue(plan.tensors.filter(\.requiresImatrix).allSatisfy { $0.name.hasPrefix("blk.") })
        }
    }

    // MARK: - Byte-identical files (heavy)

    /// The six levels from the F32 copy with the fixture imatrix: the same tensor types, file
    /// type, `quantize.imatrix.*` keys and sha256 as llama-quantize's files.
    func testFixtureFilesAreByteIdentical() throws {
        #if DEBUG
        if ProcessInfo.processInfo.environment["QUANTTY_HEAVY"] != "1" {
            throw XCTSkip("heavy test in a debug build: run with `swift test -c release -Xswiftc -enable-testing --filter ImatrixQuantizerTests` (or QUANTTY_HEAVY=1)")
        }
        #endif
        let f32 = try QuantizerData.smolLM2F32()
        let imatrix = QuantizerImatrix(try ImportanceMatrix(path: try imatrixFixture()), label: Self.imatrixName)
        let dir = try quantizerTemporaryDirectory(self)
        for name in Self.fixtureLevels {
            let (fx, json) = try planJSON(name)
            let level = try XCTUnwrap(QuantizationLevel(name: name))
            let out = "\(dir)/smollm2-imx-\(name).gguf"
            let r = try ModelQuantizer().quantize(f32, to: out, level: level, imatrix: imatrix)
            print(String(format: "SmolLM2 F32 -> %@ with imatrix: %.2f s, %d bytes", name, r.seconds, r.fileSize))
            let q = try GGUFFile(path: out)
            XCTAssertEqual(q.tensors.map(\.name), fx.types.map(\.name), "\(name): tensor order")
            let mismatches = zip(q.tensors, fx.types).filter { $0.type.description != $1.type }.map { "\($0.name): \($0.type) vs \($1.type)" }
            XCTAssertEqual(mismatches, [], "\(name): types differ from llama-quantize's")
            XCTAssertEqual(q.metadata["general.file_type"]?.intValue, fx.fileType, name)
            let kv = try XCTUnwrap(json["quantize_kv"] as? [String: Any])
            XCTAssertEqual(q.metadata["quantize.imatrix.file"]?.stringValue, kv["quantize.imatrix.file"] as? String)
            XCTAssertEqual(q.metadata["quantize.imatrix.dataset"]?.stringValue, kv["quantize.imatrix.dataset"] as? String)
            XCTAssertEqual(q.metadata["quantize.imatrix.entries_count"]?.intValue, kv["quantize.imatrix.entries_count"] as? Int)
            XCTAssertEqual(q.metadata["quantize.imatrix.chunks_count"]?.intValue, kv["quantize.imatrix.chunks_count"] as? Int)
            XCTAssertEqual(Array(q.metadataKeys.suffix(5)),
                           ["general.file_type", "quantize.imatrix.file", "quantize.imatrix.dataset",
                            "quantize.imatrix.entries_count", "quantize.imatrix.chunks_count"])
            XCTAssertEqual(q.fileSize, fx.fileBytes, "\(name): file size")
            let sha = try runProcess(["sha256sum", "-b", out])
            XCTAssertEqual(sha.output.split(separator: " ").first.map(String.init), json["sha256"] as? String, "\(name): sha256")
            if q.fileSize != fx.fileBytes || sha.output.split(separator: " ").first.map(String.init) != json["sha256"] as? String {
                print("\(name): differs from llama-quantize's file")
            }
            try? FileManager.default.removeItem(atPath: out)
        }
    }

    // MARK: - A tiny model

    /// A one-layer llama-shaped F32 model with 256-wide rows, so that the 256-block types apply.
    private func tinyModel(_ dir: String) throws -> (path: String, values: [String: [Float]]) {
        var w = GGUFWriter()
        w["general.architecture"] = .string("llama")
        w["llama.block_count"] = .uint32(1)
        w["llama.attention.head_count"] = .uint32(4)
        w["llama.attention.head_count_kv"] = .uint32(4)
        var values: [String: [Float]] = [:]
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Float {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: seed >> 11) % 2001 - 1000) / 1000
        }
        for (name, rows) in [("token_embd.weight", 8), ("blk.0.attn_q.weight", 4), ("blk.0.attn_v.weight", 4),
                             ("blk.0.ffn_down.weight", 4), ("blk.0.ffn_up.weight", 4)] {
            let v = (0..<(256 * rows)).map { _ in next() }
            values[name] = v
            try w.addTensor(name: name, shape: [256, rows], type: .f32, data: v.withUnsafeBytes { Array($0) })
        }
        try w.addTensor(name: "blk.0.attn_norm.weight", shape: [256], type: .f32,
                        data: [Float](repeating: 1, count: 256).withUnsafeBytes { Array($0) })
        let path = dir + "/tiny-f32.gguf"
        try w.write(to: path)
        return (path, values)
    }

    /// An imatrix GGUF with the given entries (`values` per column, count 1).
    private func writeImatrix(_ path: String, _ entries: [(String, [Float])]) throws {
        var w = GGUFWriter()
        w["general.type"] = .string("imatrix")
        w["imatrix.datasets"] = .array(.string, GGUFArray([.string("tiny.txt")]))
        w["imatrix.chunk_count"] = .uint32(3)
        w["imatrix.chunk_size"] = .uint32(16)
        for (name, v) in entries {
            try w.addTensor(name: name + ".in_sum2", shape: [v.count], type: .f32, data: v.withUnsafeBytes { Array($0) })
            try w.addTensor(name: name + ".counts", shape: [1], type: .f32, data: [Float(2)].withUnsafeBytes { Array($0) })
        }
        try w.write(to: path)
    }

    private func columnWeights(_ salt: Float) -> [Float] { (0..<256).map { 0.05 + Float(($0 * 37 + Int(salt)) % 101) / 10 } }

    /// With an imatrix, each tensor with an entry is quantized with its weights (sum / count),
    /// the others plainly; the output ends with llama-quantize's four keys.
    func testTensorsAreQuantizedWithTheirWeights() throws {
        let dir = try quantizerTemporaryDirectory(self)
        let (model, values) = try tinyModel(dir)
        let imx = dir + "/tiny.imatrix.gguf"
        let sums: [String: [Float]] = ["blk.0.attn_q.weight": columnWeights(1), "blk.0.attn_v.weight": columnWeights(2),
                                       "blk.0.ffn_down.weight": columnWeights(3)]
        try writeImatrix(imx, sums.map { ($0.key, $0.value) }.sorted { $0.0 < $1.0 })
        let out = dir + "/tiny-iq4_xs.gguf"
        _ = try ModelQuantizer(threads: 2).quantize(model, to: out, level: .iq4_xs, imatrix: QuantizerImatrix(path: imx))
        let q = try GGUFFile(path: out)
        var weighted = 0
        for t in q.tensors where values[t.name] != nil && t.name != "token_embd.weight" {
            let k = try XCTUnwrap(QuantKernels.kernel(for: t.type))
            let w = sums[t.name].map { $0.map { $0 / 2 } }
            let expected = k.quantize(values[t.name]!, rowLength: 256, weights: w)
            XCTAssertEqual(Array(q.tensorData(t)), expected, "\(t.name) (\(t.type))")
            if w != nil {
                weighted += 1
                XCTAssertNotEqual(expected, k.quantize(values[t.name]!, rowLength: 256, weights: nil), "\(t.name): the weights change the result")
            }
        }
        XCTAssertEqual(weighted, 3)
        XCTAssertEqual(q.metadata["quantize.imatrix.file"]?.stringValue, imx)
        XCTAssertEqual(q.metadata["quantize.imatrix.dataset"]?.stringValue, "tiny.txt")
        XCTAssertEqual(q.metadata["quantize.imatrix.entries_count"], .uint32(3))
        XCTAssertEqual(q.metadata["quantize.imatrix.chunks_count"], .uint32(3))
        XCTAssertEqual(q.metadataKeys.last, "quantize.imatrix.chunks_count")
    }

    /// IQ1_*, IQ2_* and Q2_K_S refuse to run without an imatrix, with llama-quantize's reason,
    /// and write nothing; with one, they run.
    func testLevelsThatNeedAnImatrixRefuseWithoutOne() throws {
        let dir = try quantizerTemporaryDirectory(self)
        let (model, _) = try tinyModel(dir)
        for level: QuantizationLevel in [.iq1_s, .iq1_m, .iq2_xxs, .iq2_xs, .iq2_s, .iq2_m, .q2_K_S] {
            let out = dir + "/tiny-\(level).gguf"
            XCTAssertThrowsError(try ModelQuantizer().quantize(model, to: out, level: level)) { e in
                guard case .imatrixRequired(_, let tensor, _, let l)? = e as? ModelQuantizerError else { return XCTFail("\(level): \(e)") }
                XCTAssertEqual(l, level)
                XCTAssertTrue(tensor.hasPrefix("blk.0."), tensor)
                XCTAssertTrue("\(e)".contains("requires an importance matrix"), "\(e)")
                XCTAssertTrue("\(e)".contains(model), "\(e)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(level): nothing written")
        }
        // Levels that do not need one run without it.
        for level: QuantizationLevel in [.iq4_xs, .iq4_nl, .iq3_s, .tq1_0, .tq2_0, .q3_K_S] {
            XCTAssertNoThrow(try ModelQuantizer().quantize(model, to: dir + "/tiny-ok-\(level).gguf", level: level), "\(level)")
        }
        // With an entry for every matrix, IQ2_XXS runs; with one missing, it names the tensor.
        let full = dir + "/full.imatrix.gguf", partial = dir + "/partial.imatrix.gguf"
        let names = ["blk.0.attn_q.weight", "blk.0.attn_v.weight", "blk.0.ffn_down.weight", "blk.0.ffn_up.weight"]
        try writeImatrix(full, names.enumerated().map { ($1, columnWeights(Float($0))) })
        try writeImatrix(partial, names.dropLast().enumerated().map { ($1, columnWeights(Float($0))) })
        XCTAssertNoThrow(try ModelQuantizer().quantize(model, to: dir + "/tiny-iq2.gguf", level: .iq2_xxs, imatrix: QuantizerImatrix(path: full)))
        let out = dir + "/tiny-iq2-partial.gguf"
        XCTAssertThrowsError(try ModelQuantizer().quantize(model, to: out, level: .iq2_xxs, imatrix: QuantizerImatrix(path: partial))) { e in
            XCTAssertTrue("\(e)".contains(partial) && "\(e)".contains("'blk.0.ffn_up.weight'"), "\(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    /// An imatrix for another model (names or sizes), a truncated one and a GGUF that is not an
    /// imatrix: errors naming the file and the tensor; nothing written.
    func testImatrixThatDoesNotFitIsRefused() throws {
        let dir = try quantizerTemporaryDirectory(self)
        let (model, _) = try tinyModel(dir)
        let out = dir + "/out.gguf"
        func refuses(_ imatrix: QuantizerImatrix, _ parts: [String], file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try ModelQuantizer().quantize(model, to: out, level: .iq4_xs, imatrix: imatrix), file: file, line: line) { e in
                for p in parts { XCTAssertTrue("\(e)".contains(p), "'\(p)' not in: \(e)", file: file, line: line) }
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), file: file, line: line)
        }
        // SmolLM2's imatrix: names this model does not have (blk.1. ...).
        let smol = try imatrixFixture()
        refuses(try QuantizerImatrix(path: smol), [smol, "names no tensor of \(model)", "another model"])
        // Right name, wrong size.
        let sized = dir + "/sized.imatrix.gguf"
        try writeImatrix(sized, [("blk.0.attn_q.weight", [Float](repeating: 1, count: 576))])
        refuses(try QuantizerImatrix(path: sized), [sized, "'blk.0.attn_q.weight'", "576 values", "needs 256"])
        // Non-finite values.
        let nan = dir + "/nan.imatrix.gguf"
        try writeImatrix(nan, [("blk.0.attn_v.weight", [Float](repeating: .infinity, count: 256))])
        refuses(try QuantizerImatrix(path: nan), [nan, "'blk.0.attn_v.weight'", "not finite"])
        // A truncated imatrix and a model given as the imatrix fail to load, naming the file.
        let cut = dir + "/cut.imatrix.gguf"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: smol))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: cut))
        for bad in [cut, model] {
            XCTAssertThrowsError(try QuantizerImatrix(path: bad)) { e in XCTAssertTrue("\(e)".contains(bad), "\(e)") }
        }
    }
}
