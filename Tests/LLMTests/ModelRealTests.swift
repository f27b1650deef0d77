import Foundation
import GGUF
import XCTest
@testable import LLM

/// SmolLM2-135M Q4_1 and Gemma 3 270M Q4_K_M against llama.cpp's top-10 log-probs.
final class ModelRealTests: XCTestCase {
    private func run(fixture: String, model name: String) throws {
        let fx = try loadJSON(PromptLogits.self, try Fixtures.require("logits/\(fixture)"))
        let model = try Model(path: try Fixtures.model(name))
        let kv: KVCacheType = ProcessInfo.processInfo.environment["MODEL_KV"] == "f32" ? .f32 : .f16
        let session = InferenceSession(model: model, contextLength: 128, threads: 2, kvCacheType: kv)
        for mode in ["batch", "token-by-token"] {
            var positions = 0, top1 = 0, entries = 0
            var sumAbs = 0.0, maxAbs = 0.0, worstPPL = 0.0
            for p in fx.prompts {
                session.reset()
                var rows: [[Float]]
                if mode == "batch" {
                    rows = try session.forwardAll(tokens: p.ids)
                } else {
                    rows = []
                    for id in p.ids { rows.append(try session.forward(tokens: [id])) }
                }
                XCTAssertEqual(rows.count, p.positions.count)
                var nll = 0.0, scored = 0
                for (row, ref) in zip(rows, p.positions) {
                    let lp = logSoftmax(row)
                    positions += 1
                    if argmax(row) == Int(ref.top_ids[0]) { top1 += 1 }
                    if ProcessInfo.processInfo.environment["MODEL_DEBUG"] != nil, mode == "batch" {
                        print(zip(ref.top_ids, ref.top_logprobs).map { String(format: "%d:%.3f/%.3f", $0.0, $0.1, lp[Int($0.0)]) }.joined(separator: " "))
                    }
                    for (id, want) in zip(ref.top_ids, ref.top_logprobs) {
                        let d = abs(lp[Int(id)] - want)
                        sumAbs += d; maxAbs = max(maxAbs, d); entries += 1
                    }
                    if let next = ref.next_id { nll -= lp[Int(next)]; scored += 1 }
                }
                let ppl = exp(nll / Double(scored))
                let rel = abs(ppl / p.ppl - 1)
                worstPPL = max(worstPPL, rel)
                XCTAssertLessThanOrEqual(rel, 0.02, "\(name) \(mode) '\(p.text.prefix(30))': ppl \(ppl) vs \(p.ppl)")
            }
            let agreement = Double(top1) / Double(positions)
            let meanAbs = sumAbs / Double(entries)
            print(String(format: "%@ [%@]: top-1 %d/%d (%.1f%%), mean |d logprob| top-10 %.4f (max %.4f), worst prompt ppl rel. diff %.2f%%",
                         name, mode, top1, positions, agreement * 100, meanAbs, maxAbs, worstPPL * 100))
            XCTAssertGreaterThanOrEqual(agreement, 0.95, "\(name) \(mode) top-1 agreement")
            XCTAssertLessThanOrEqual(meanAbs, 0.05, "\(name) \(mode) mean |delta log-prob|")
        }
    }

    func testSmolLM2Q4_1() throws {
        try run(fixture: "smollm2-q4_1.json", model: "SmolLM2-135M-Instruct.Q4_1.gguf")
    }

    func testGemma3Q4_K_M() throws {
        try run(fixture: "gemma3-q4_k_m.json", model: "gemma-3-270m-q4_k_m.gguf")
    }
}
