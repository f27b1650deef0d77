import Foundation
import XCTest
@testable import LLM

/// Opt-in speed measurements (MODEL_BENCH=1): decode and prompt throughput on SmolLM2 Q4_1.
final class ModelBenchTests: XCTestCase {
    func testSpeedSmolLM2() throws {
        guard ProcessInfo.processInfo.environment["MODEL_BENCH"] != nil else { throw XCTSkip("set MODEL_BENCH=1") }
        let model = try Model(path: try Fixtures.model(ProcessInfo.processInfo.environment["MODEL_BENCH_FILE"] ?? "SmolLM2-135M-Instruct.Q4_1.gguf"))
        let session = InferenceSession(model: model, contextLength: 512, threads: 2, maxBatch: 256)
        let prompt = (0..<256).map { Int32(100 + ($0 * 37) % 5000) }
        for threshold in [1, 100_000] {
            session.state.engine.tileThreshold = threshold
            session.reset()
            _ = try session.forward(tokens: Array(prompt.prefix(16)))
            session.reset()
            let t0 = Date()
            _ = try session.forward(tokens: prompt)
            let dt = Date().timeIntervalSince(t0)
            print(String(format: "prompt 256 tokens (%@): %.3f s, %.1f tok/s", threshold == 1 ? "tiles + sgemm" : "vecDot", dt, 256 / dt))
        }
        session.state.engine.tileThreshold = MatmulEngine.defaultTileThreshold
        session.reset()
        _ = try session.forward(tokens: Array(prompt.prefix(8)))
        var next: Int32 = 42
        let t1 = Date()
        let n = 64
        for _ in 0..<n {
            try session.evaluate([next]) { _, logits in
                var best = 0
                for i in 0..<logits.count where logits[i] > logits[best] { best = i }
                next = Int32(best)
            }
        }
        let dt = Date().timeIntervalSince(t1)
        print(String(format: "decode %d tokens: %.1f tok/s (%.2f ms/token)", n, Double(n) / dt, dt / Double(n) * 1000))
    }
}
