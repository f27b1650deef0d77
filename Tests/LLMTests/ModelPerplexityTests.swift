import Foundation
import GGUF
import XCTest
@testable import LLM

/// llama-perplexity's method on `perplexity/gpl3.txt` (n_ctx 256, 29 chunks) against its figures.
/// Asserted as the README claims them: quantty's own figure to 0.05% (float summation order
/// across thread counts and kernels), and within 0.3% of llama.cpp's (0.2% measured on both).
final class ModelPerplexityTests: XCTestCase {
    private func run(_ name: String, expected: Double, claimed: Double) throws {
        try skipSlowInDebug("perplexity on gpl3.txt")
        let text = try String(contentsOf: try Fixtures.require("perplexity/gpl3.txt"), encoding: .utf8)
        let model = try Model(path: try Fixtures.model(name))
        let tokenizer = try Tokenizer(gguf: model.file)
        let tokens = tokenizer.encode(text, addSpecial: true)
        let bos = tokenizer.vocabulary.addBOS ? tokenizer.vocabulary.bos : nil
        let session = InferenceSession(model: model, contextLength: 256, threads: 2, maxBatch: 256)
        let t0 = Date()
        let r = try session.perplexity(tokens: tokens, nCtx: 256, bos: bos)
        let dt = Date().timeIntervalSince(t0)
        print(String(format: "%@: %d tokens, %d chunks, PPL = %.4f +/- %.5f (llama.cpp %.4f, %+.2f%%), %d scored, %.1f s (%.0f tok/s)",
                     name, tokens.count, r.chunkPerplexities.count, r.perplexity, r.perplexityError, expected,
                     (r.perplexity / expected - 1) * 100, r.tokensScored, dt, Double(r.chunkPerplexities.count * 256) / dt))
        print("running: " + r.runningPerplexities.enumerated().map { String(format: "[%d]%.4f", $0 + 1, $1) }.joined(separator: ","))
        XCTAssertEqual(r.chunkPerplexities.count, 29)
        XCTAssertEqual(r.tokensScored, 29 * 127)
        XCTAssertLessThanOrEqual(abs(r.perplexity / expected - 1), 0.003, "\(name) perplexity against llama.cpp's \(expected)")
        XCTAssertLessThanOrEqual(abs(r.perplexity / claimed - 1), 0.0005, "\(name) perplexity against the README's \(claimed)")
    }

    func testSmolLM2Q4_1() throws { try run("SmolLM2-135M-Instruct.Q4_1.gguf", expected: 20.8565, claimed: 20.8157) }
    func testGemma3Q4_K_M() throws { try run("gemma-3-270m-q4_k_m.gguf", expected: 16.4229, claimed: 16.3883) }
}
