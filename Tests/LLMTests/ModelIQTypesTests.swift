import Foundation
import GGUF
import Quant
import XCTest
@testable import LLM

/// Models whose weights use the IQ, ternary and MXFP4 types load and run: tiny-llama's block
/// weights quantized to each type, against the same model with those weights dequantized to F32.
/// The two differ only by the activation quantization inside the dot products (Q8_K or Q8_0), so
/// the tolerance is the one `ModelTinyTests` uses for Q8_0 files.
final class ModelIQTypesTests: XCTestCase {
    static let types: [GGMLType] = [.iq4_nl, .iq4_xs, .iq3_xxs, .iq3_s, .iq2_xxs, .iq2_xs, .iq2_s, .iq1_s, .iq1_m,
                                    .tq1_0, .tq2_0, .mxfp4]

    /// tiny-llama with every `blk.*` matrix stored as `type` (quantized from the F32 weights), and
    /// the same with those matrices dequantized back to F32.
    private func variants(_ type: GGMLType, dir: String) throws -> (quantized: String, reference: String) {
        let src = try GGUFFile(path: try Fixtures.require("tiny/tiny-llama-f32.gguf").path)
        let k = try XCTUnwrap(QuantKernels.kernel(for: type, isa: .portable))
        var q = GGUFWriter(metadataOf: src), f = GGUFWriter(metadataOf: src)
        var converted = 0
        for t in src.tensors {
            let raw = src.tensorData(t)
            guard t.type == .f32, t.name.hasPrefix("blk."), t.shape.count == 2, t.rowWidth % type.blockSize == 0 else {
                try q.addTensor(name: t.name, shape: t.shape, type: t.type, bytes: raw)
                try f.addTensor(name: t.name, shape: t.shape, type: t.type, bytes: raw)
                continue
            }
            let values = Array(raw.bindMemory(to: Float.self))
            let bytes = k.quantize(values, rowLength: t.rowWidth, weights: nil)
            try q.addTensor(name: t.name, shape: t.shape, type: type, data: bytes)
            let back = k.dequantize(bytes)
            try f.addTensor(name: t.name, shape: t.shape, type: .f32, data: back.withUnsafeBytes { Array($0) })
            converted += 1
        }
        XCTAssertGreaterThan(converted, 0, "no tensor converted to \(type)")
        let qp = "\(dir)/tiny-llama-\(type.name).gguf", fp = "\(dir)/tiny-llama-\(type.name)-deq.gguf"
        try q.write(to: qp)
        try f.write(to: fp)
        return (qp, fp)
    }

    func testEveryNewTypeLoadsAndMatchesItsDequantizedWeights() throws {
        try skipSlowInDebug("quantizing tiny-llama to twelve types")   // about 6 minutes in a debug build
        let dir = NSTemporaryDirectory() + "quantty-iq-models-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tokens: [Int32] = [266] + (0..<23).map { Int32(($0 * 37 + 11) % 266) }
        for type in Self.types {
            let (qp, fp) = try variants(type, dir: dir)
            let summary = GGUFSummary(try GGUFFile(path: qp))
            XCTAssertTrue(summary.tensorTypes.map(\.type).contains(type.description), "\(type): \(summary.tensorTypes.map(\.type))")
            let got = try InferenceSession(model: try Model(path: qp), contextLength: 64, threads: 2, maxBatch: 64, kvCacheType: .f32)
                .forwardAll(tokens: tokens)
            let want = try InferenceSession(model: try Model(path: fp), contextLength: 64, threads: 2, maxBatch: 64, kvCacheType: .f32)
                .forwardAll(tokens: tokens)
            XCTAssertEqual(got.count, tokens.count)
            // IQ1 weights are never zero (a ternary level plus a ±1/8 shift), so every activation's
            // rounding error reaches the sums: twice the Q8_0-file tolerance for them.
            let slack: Float = type == .iq1_s || type == .iq1_m ? 2 : 1
            var argmaxEqual = 0, worst = -Float.infinity
            for (g, w) in zip(got, want) {
                var m: Float = 0, delta: Float = 0
                for i in w.indices { m = max(m, abs(w[i])); delta = max(delta, abs(g[i] - w[i])) }
                let tolerance: Float = slack * (0.02 * m + 0.05)
                worst = max(worst, delta - tolerance)
                let ag = g.indices.max { g[$0] < g[$1] }, aw = w.indices.max { w[$0] < w[$1] }
                if ag == aw { argmaxEqual += 1 }
            }
            print("\(type): argmax \(argmaxEqual)/\(tokens.count), worst excess over tolerance \(worst)")
            XCTAssertGreaterThanOrEqual(Double(argmaxEqual), 0.9 * Double(tokens.count), "\(type) argmax")
            XCTAssertLessThanOrEqual(worst, 0, "\(type): logits differ from the dequantized model by more than \(slack) (0.02 m + 0.05)")
        }
    }
}
