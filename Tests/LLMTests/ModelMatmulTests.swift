import Foundation
import GGUF
import Quant
import XCTest
@testable import LLM

/// The matmul paths (quantized vec-dot, dequantized tiles + sgemm) agree with a plain
/// dequantize-and-dot reference on real weights of every type in the two real models.
final class ModelMatmulTests: XCTestCase {
    private func check(_ w: WeightMatrix, tokens: Int, engine: MatmulEngine, file: StaticString = #filePath, line: UInt = #line) {
        var x = [Float](repeating: 0, count: tokens * w.cols)
        var g = SystemRandomNumberGenerator()
        for i in x.indices { x[i] = Float.random(in: -1...1, using: &g) }
        let rows = min(w.rows, 256)
        var ref = [Float](repeating: 0, count: tokens * rows)
        var deq = [Float](repeating: 0, count: w.cols)
        for r in 0..<rows {
            deq.withUnsafeMutableBufferPointer { w.dequantizeRow(r, into: $0.baseAddress!) }
            for t in 0..<tokens {
                var s: Double = 0
                for i in 0..<w.cols { s += Double(deq[i]) * Double(x[t * w.cols + i]) }
                ref[t * rows + r] = Float(s)
            }
        }
        let sub = WeightMatrix(name: w.name, type: w.type, cols: w.cols, rows: rows, data: w.data, rowBytes: w.rowBytes, kernel: w.kernel)
        var y = [Float](repeating: .nan, count: tokens * rows)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
            engine.multiply(sub, xp.baseAddress!, yp.baseAddress!, tokens: tokens)
        } }
        var maxErr: Float = 0, maxRef: Float = 0
        for i in ref.indices { maxErr = max(maxErr, abs(y[i] - ref[i])); maxRef = max(maxRef, abs(ref[i])) }
        print("\(w.name) \(w.type) tokens \(tokens): max |err| \(maxErr) (max |y| \(maxRef))")
        XCTAssertFalse(y.contains { !$0.isFinite }, "\(w.name) non-finite", file: file, line: line)
        XCTAssertLessThanOrEqual(maxErr, 0.02 * maxRef + 1e-3, "\(w.name) \(w.type) tokens \(tokens)", file: file, line: line)
    }

    private func run(_ name: String, tensors: [String]) throws {
        let file = try GGUFFile(path: try Fixtures.model(name))
        let loader = TensorLoader(file: file)
        let pool = ThreadPool(threads: 2)
        let engine = MatmulEngine(pool: pool, maxTokens: 32, maxCols: 4096)
        for t in tensors {
            let info = try XCTUnwrap(file.tensorInfo(t))
            let w = try loader.matrix(t, cols: info.shape[0], rows: info.shape[1])
            for tokens in [1, 3, 20] { check(w, tokens: tokens, engine: engine) }
        }
    }

    func testSmolLM2Weights() throws {
        try run("SmolLM2-135M-Instruct.Q4_1.gguf", tensors: ["blk.0.ffn_gate.weight", "blk.0.ffn_down.weight", "token_embd.weight"])
    }

    func testGemma3Weights() throws {
        try run("gemma-3-270m-q4_k_m.gguf", tensors: ["blk.0.attn_q.weight", "blk.0.attn_output.weight", "blk.0.attn_v.weight",
                                                       "blk.0.ffn_down.weight", "token_embd.weight"])
    }
}
