import Foundation
import GGUF
import XCTest
@testable import LLM

/// Hyperparameter parsing, validation messages and the registry.
final class ModelConfigurationTests: XCTestCase {
    private enum V { case s(String), u(UInt32), f(Float) }

    /// A GGUF v3 image with metadata only (no tensors).
    private func gguf(_ kv: [(String, V)]) -> [UInt8] {
        var b: [UInt8] = Array("GGUF".utf8)
        func u32(_ x: UInt32) { withUnsafeBytes(of: x.littleEndian) { b += $0 } }
        func u64(_ x: UInt64) { withUnsafeBytes(of: x.littleEndian) { b += $0 } }
        func str(_ s: String) { u64(UInt64(s.utf8.count)); b += Array(s.utf8) }
        u32(3); u64(0); u64(UInt64(kv.count))
        for (k, v) in kv {
            str(k)
            switch v {
            case .s(let s): u32(8); str(s)
            case .u(let x): u32(4); u32(x)
            case .f(let x): u32(6); u32(x.bitPattern)
            }
        }
        while b.count % 32 != 0 { b.append(0) }
        return b
    }

    private func load(_ kv: [(String, V)]) throws -> Model {
        let bytes = gguf(kv)
        return try bytes.withUnsafeBytes { raw in
            let file = try GGUFFile(unsafeBytes: raw)
            return try Model(file: file)
        }
    }

    private func llama(_ overrides: [(String, V)] = []) -> [(String, V)] {
        var kv: [(String, V)] = [("general.architecture", .s("llama")), ("llama.block_count", .u(2)),
                                 ("llama.embedding_length", .u(64)), ("llama.feed_forward_length", .u(128)),
                                 ("llama.attention.head_count", .u(4)), ("llama.attention.head_count_kv", .u(2)),
                                 ("llama.context_length", .u(256)), ("llama.attention.layer_norm_rms_epsilon", .f(1e-5)),
                                 ("llama.vocab_size", .u(10))]
        for (k, v) in overrides {
            if let i = kv.firstIndex(where: { $0.0 == k }) { kv[i] = (k, v) } else { kv.append((k, v)) }
        }
        return kv
    }

    private func message(_ kv: [(String, V)]) -> String {
        do { _ = try load(kv); return "no error" } catch { return "\(error)" }
    }

    func testUnknownArchitecture() {
        XCTAssertEqual(message([("general.architecture", .s("mamba"))]),
                       "unknown architecture 'mamba' (supported: llama, qwen2, qwen3, gemma3)")
        XCTAssertEqual(message([("general.name", .s("x"))]), "the file has no 'general.architecture' key")
    }

    func testValidationMessages() {
        XCTAssertTrue(message(llama([("llama.attention.head_count", .u(0))])).contains("zero heads"))
        XCTAssertTrue(message(llama([("llama.attention.head_count_kv", .u(3))])).contains("must divide head_count 4"))
        XCTAssertTrue(message(llama([("llama.attention.head_count", .u(3))])).contains("not divisible by the head count"))
        XCTAssertEqual(message(llama([("llama.block_count", .u(0))])), "invalid hyperparameter 'llama.block_count' = 0: must be positive")
        XCTAssertEqual(message(Array(llama().filter { $0.0 != "llama.embedding_length" })), "missing hyperparameter 'llama.embedding_length'")
        XCTAssertEqual(message(llama()), "missing tensor 'token_embd.weight'")
        XCTAssertEqual(message(llama([("llama.rope.scaling.type", .s("yarn"))])), "unsupported rope scaling 'yarn' (supported: none, linear)")
    }

    func testTinyConfigurations() throws {
        func model(_ name: String) throws -> Model { try Model(path: try Fixtures.require("tiny/\(name)").path) }
        let g = try model("tiny-gemma3-f32.gguf")
        let c = g.configuration
        XCTAssertEqual(c.headDim, 128); XCTAssertEqual(c.headCount, 4); XCTAssertEqual(c.headCountKV, 2)
        XCTAssertEqual(c.slidingWindow?.size, 8); XCTAssertEqual(c.slidingWindow?.ropeBase, 10_000)
        XCTAssertEqual(c.slidingWindow?.pattern, [true, true, true, true, true, false], "five sliding layers, then a global one")
        XCTAssertEqual((0 ..< 12).filter { c.isSlidingWindowLayer($0) }, [0, 1, 2, 3, 4, 6, 7, 8, 9, 10])
        XCTAssertTrue(c.isSlidingWindowLayer(0) && c.isSlidingWindowLayer(4)); XCTAssertFalse(c.isSlidingWindowLayer(5))
        XCTAssertEqual(c.attentionScale, 1 / Float(128).squareRoot())
        XCTAssertEqual(c.embeddingScale, 16)
        XCTAssertEqual(c.ropeStyle, .neox)
        XCTAssertTrue(g.tiedOutput)
        let l = try model("tiny-llama-q8_0.gguf")
        XCTAssertEqual(l.configuration.ropeStyle, .normal); XCTAssertTrue(l.tiedOutput)
        XCTAssertEqual(l.configuration.vocabularySize, 272)
        let q2 = try model("tiny-qwen2-f32.gguf")
        XCTAssertFalse(q2.tiedOutput); XCTAssertEqual(q2.configuration.ropeStyle, .neox)
        let q3 = try model("tiny-qwen3-f32.gguf")
        XCTAssertEqual(q3.configuration.headDim, 64); XCTAssertFalse(q3.tiedOutput)
    }

    func testContextOverflowAndPositions() throws {
        let m = try Model(path: try Fixtures.require("tiny/tiny-llama-f32.gguf").path)
        let s = InferenceSession(model: m, contextLength: 8, threads: 2)
        XCTAssertThrowsError(try s.forward(tokens: Array(repeating: 1, count: 9))) {
            XCTAssertEqual("\($0)", "context overflow: 9 positions needed, the KV cache holds 8")
        }
        XCTAssertThrowsError(try s.forward(tokens: [300])) { XCTAssertEqual("\($0)", "token id 300 is outside the vocabulary (0..<272)") }
        _ = try s.forward(tokens: [1, 2, 3])
        XCTAssertThrowsError(try s.forward(tokens: [1], startPosition: 5))
        // Rewinding: same logits as a fresh run.
        let a = try s.forward(tokens: [9, 9], startPosition: 1)
        s.reset()
        let b = try s.forward(tokens: [1, 9, 9])
        XCTAssertEqual(a, b)
    }

    func testTraceHookNamesEveryLayer() throws {
        let m = try Model(path: try Fixtures.require("tiny/tiny-gemma3-f32.gguf").path)
        let s = InferenceSession(model: m, contextLength: 16, threads: 2)
        final class Log: @unchecked Sendable { var names: [String] = [] }
        let log = Log()
        s.trace = { name, layer, tokens, width, values in
            XCTAssertEqual(values.count, tokens * width)
            log.names.append("\(name)@\(layer)")
        }
        _ = try s.forward(tokens: [266, 1, 2])
        XCTAssertTrue(log.names.contains("inp_embd@-1"))
        XCTAssertTrue(log.names.contains("attn_post_norm@0") && log.names.contains("ffn_post_norm@1"))
        XCTAssertEqual(log.names.filter { $0.hasPrefix("l_out@") }.count, m.configuration.layerCount)
    }
}
