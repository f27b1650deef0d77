import Foundation
import GGUF
import Quant
import XCTest

/// Reading llama.cpp's importance matrices (GGUF and legacy `.dat`) and rejecting bad files.
final class ImportanceMatrixTests: XCTestCase {
    func testReadsLlamaImatrixGGUF() throws {
        let path = try QuantizerData.fixture("imatrix/smollm2-gpl3.imatrix.gguf")
        let m = try ImportanceMatrix(path: path)
        XCTAssertFalse(m.isLegacy)
        XCTAssertEqual(m.datasets, ["gpl3.txt"])
        XCTAssertEqual(m.chunkCount, 20)
        XCTAssertEqual(m.chunkSize, 256)
        XCTAssertEqual(m.weights.count, 210)   // 30 layers x 7 matrices
        // Each weight is in_sum2 / counts: a mean of squared activations, so finite and >= 0.
        for (name, w) in m.weights {
            XCTAssertTrue(w.allSatisfy { $0.isFinite && $0 >= 0 }, name)
        }
        XCTAssertEqual(try m.weights(for: "blk.0.ffn_down.weight", columns: 1536)?.count, 1536)
        XCTAssertNil(try m.weights(for: "token_embd.weight", columns: 576))
        // The same numbers as computed from the raw tensors.
        let file = try GGUFFile(path: path, requireSupportedTypes: false)
        let (_, sums) = try file.tensorData(named: "blk.3.attn_q.weight.in_sum2")
        let (_, counts) = try file.tensorData(named: "blk.3.attn_q.weight.counts")
        let c = Float(counts.loadUnaligned(as: Float.self).rounded(.toNearestOrAwayFromZero))
        let w = try XCTUnwrap(m.weights["blk.3.attn_q.weight"])
        for i in 0..<576 { XCTAssertEqual(w[i], sums.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) / c) }
    }

    func testEveryEntryFitsSmolLM2() throws {
        let m = try ImportanceMatrix(path: try QuantizerData.fixture("imatrix/smollm2-gpl3.imatrix.gguf"))
        let model = try GGUFFile(path: try QuantizerData.realModel(QuantizerData.smolLM2))
        let widths = Dictionary(uniqueKeysWithValues: model.tensors.map { ($0.name, $0.rowWidth) })
        for name in m.weights.keys {
            let cols = try XCTUnwrap(widths[name], "\(name) not in the model")
            XCTAssertNotNil(try m.weights(for: name, columns: cols))
        }
    }

    func testLegacyFormatRoundTrip() throws {
        let dir = try quantizerTemporaryDirectory(self)
        // Two entries (values already averaged per call, as llama.cpp wrote them), then the trailer.
        var bytes: [UInt8] = []
        func i32(_ v: Int32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        func entry(_ name: String, calls: Int32, _ values: [Float]) {
            i32(Int32(name.utf8.count)); bytes += Array(name.utf8); i32(calls); i32(Int32(values.count))
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
        }
        i32(2)
        entry("blk.0.attn_q.weight", calls: 4, [4, 8, 2, 0])
        entry("blk.0.ffn_up.weight", calls: 0, [1.5, 2.5])
        i32(7); i32(8); bytes += Array("wiki.txt".utf8)
        let path = dir + "/legacy.dat"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let m = try ImportanceMatrix(path: path)
        XCTAssertTrue(m.isLegacy)
        XCTAssertEqual(m.weights["blk.0.attn_q.weight"], [1, 2, 0.5, 0])
        XCTAssertEqual(m.weights["blk.0.ffn_up.weight"], [1.5, 2.5])
        XCTAssertEqual(m.chunkCount, 7)
        XCTAssertEqual(m.datasets, ["wiki.txt"])

        // Every truncation is an error naming the file, never a crash.
        for cut in [0, 2, 4, 9, 20, 30, bytes.count - 30] {
            let p = dir + "/cut\(cut).dat"
            try Data(bytes.prefix(cut)).write(to: URL(fileURLWithPath: p))
            XCTAssertThrowsError(try ImportanceMatrix(path: p), "cut at \(cut)") { e in
                XCTAssertTrue("\(e)".hasPrefix(p), "\(e)")
            }
        }
    }

    func testBadFilesNameFileAndTensor() throws {
        let dir = try quantizerTemporaryDirectory(self)
        // A model GGUF is not an imatrix.
        let model = try QuantizerData.fixture("tiny/tiny-llama-q8_0.gguf")
        XCTAssertThrowsError(try ImportanceMatrix(path: model)) { e in
            XCTAssertEqual((e as? ImportanceMatrixError)?.path, model)
            XCTAssertTrue("\(e)".contains("not an importance matrix"), "\(e)")
        }
        // Random bytes: an absurd entry count.
        let junk = dir + "/junk.dat"
        try Data((0..<64).map { UInt8(truncatingIfNeeded: $0 &* 97 &+ 13) }).write(to: URL(fileURLWithPath: junk))
        XCTAssertThrowsError(try ImportanceMatrix(path: junk))
        // A missing file.
        XCTAssertThrowsError(try ImportanceMatrix(path: dir + "/absent.gguf")) { e in
            XCTAssertTrue("\(e)".contains("absent.gguf"), "\(e)")
        }
        // Sums without counts.
        var w = GGUFWriter()
        w["general.type"] = .string("imatrix")
        w["imatrix.datasets"] = .array(.string, GGUFArray([.string("x")]))
        w["imatrix.chunk_count"] = .uint32(1)
        w["imatrix.chunk_size"] = .uint32(8)
        try w.addTensor(name: "blk.0.attn_q.weight.in_sum2", shape: [4], type: .f32, data: [UInt8](repeating: 0, count: 16))
        let lonely = dir + "/lonely.gguf"
        try w.write(to: lonely)
        XCTAssertThrowsError(try ImportanceMatrix(path: lonely)) { e in
            XCTAssertEqual((e as? ImportanceMatrixError)?.path, lonely)
            XCTAssertEqual((e as? ImportanceMatrixError)?.problem, .mismatchedSumsAndCounts(tensor: "blk.0.attn_q.weight"))
        }
        // An imatrix for another model: sizes that do not match name the tensor.
        let m = try ImportanceMatrix(path: try QuantizerData.fixture("imatrix/smollm2-gpl3.imatrix.gguf"))
        XCTAssertThrowsError(try m.weights(for: "blk.0.attn_q.weight", columns: 2048)) { e in
            XCTAssertTrue("\(e)".contains("'blk.0.attn_q.weight' has 576 values, the model's tensor needs 2048"), "\(e)")
        }
    }
}
