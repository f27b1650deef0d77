import Foundation
import GGUF
import XCTest
@testable import LLM

/// SmolLM2-135M Q4_1 and Gemma 3 270M Q4_K_M against llama.cpp's top-10 log-probs.
///
/// The fixtures are llama.cpp's batch evaluation of each prompt (non-flash attention). The
/// engine follows ggml-cpu's arithmetic operation for operation (activation quantization, the
/// float order of each dot-product kernel and of the batch paths llama.cpp picks, its exp,
/// softmax, GELU table and F16 probabilities), so in batch mode the README's figures are
/// asserted as claimed: SmolLM2 reproduces the fixture bit for bit (0.0000, top-1 100%), Gemma
/// 0.0041 mean |delta| (top-1 99.2%, every prompt's perplexity within 0.1%).
///
/// Token by token, llama.cpp itself takes other kernels (gemv instead of the repacked gemm,
/// vec_dot_f16 instead of tinyBLAS in attention) and lands 0.054 (SmolLM2) / 0.111 (Gemma) mean
/// |delta log-prob| away from its own batch fixture (measured with llama-cpp-python 0.3.36): a
/// 135M-270M model amplifies last-bit differences. quantty token by token is 0.0000 (SmolLM2:
/// its decode kernels keep the batch kernels' float order) and 0.107 (Gemma); those are asserted.
final class ModelRealTests: XCTestCase {
    /// What the README claims, each bound the claimed figure plus a stated margin: 0.0005 where
    /// the claim is "bit for bit" (the fixture's log-probs are printed decimals), about 20% on a
    /// measured mean |delta|, and 0.05 points on a measured perplexity ratio.
    struct Bounds { let top1: Double; let meanAbsLogProb: Double; let promptPPL: Double; let totalPPL: Double }
    static let smolLM2 = ["batch": Bounds(top1: 1.0, meanAbsLogProb: 0.0005, promptPPL: 0.0005, totalPPL: 0.0005),
                          "token-by-token": Bounds(top1: 1.0, meanAbsLogProb: 0.0005, promptPPL: 0.0005, totalPPL: 0.0005)]
    static let gemma3 = ["batch": Bounds(top1: 0.99, meanAbsLogProb: 0.005, promptPPL: 0.0015, totalPPL: 0.0015),
                         "token-by-token": Bounds(top1: 0.94, meanAbsLogProb: 0.12, promptPPL: 0.06, totalPPL: 0.003)]

    private func run(fixture: String, model name: String, bounds claimed: [String: Bounds]) throws {
        let fx = try loadJSON(PromptLogits.self, try Fixtures.require("logits/\(fixture)"))
        let model = try Model(path: try Fixtures.model(name))
        let kv: KVCacheType = ProcessInfo.processInfo.environment["MODEL_KV"] == "f32" ? .f32 : .f16
        let session = InferenceSession(model: model, contextLength: 128, threads: 2, kvCacheType: kv)
        for mode in ["batch", "token-by-token"] {
            let bounds = claimed[mode]!
            var positions = 0, top1 = 0, entries = 0
            var sumAbs = 0.0, maxAbs = 0.0, worstPPL = 0.0
            var totalNLL = 0.0, totalRefNLL = 0.0, readmeOK = 0
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
                    for (id, want) in zip(ref.top_ids, ref.top_logprobs) {
                        let d = abs(lp[Int(id)] - want)
                        sumAbs += d; maxAbs = max(maxAbs, d); entries += 1
                    }
                    if let next = ref.next_id { nll -= lp[Int(next)]; scored += 1 }
                }
                let ppl = exp(nll / Double(scored))
                let rel = abs(ppl / p.ppl - 1)
                worstPPL = max(worstPPL, rel)
                totalNLL += nll; totalRefNLL += log(p.ppl) * Double(scored)
                if rel <= 0.02 { readmeOK += 1 }
                XCTAssertLessThanOrEqual(rel, bounds.promptPPL, "\(name) \(mode) '\(p.text.prefix(30))': ppl \(ppl) vs \(p.ppl)")
            }
            let agreement = Double(top1) / Double(positions)
            let meanAbs = sumAbs / Double(entries)
            let totalRel = abs(exp((totalNLL - totalRefNLL) / Double(positions - fx.prompts.count)) - 1)
            print(String(format: "%@ [%@]: top-1 %d/%d (%.1f%%), mean |d logprob| top-10 %.4f (max %.4f), prompt ppl: worst %.2f%%, %d/%d within README's 2%%, all prompts together %.2f%%",
                         name, mode, top1, positions, agreement * 100, meanAbs, maxAbs, worstPPL * 100, readmeOK, fx.prompts.count, totalRel * 100))
            XCTAssertGreaterThanOrEqual(agreement, bounds.top1, "\(name) \(mode) top-1 agreement")
            XCTAssertLessThanOrEqual(meanAbs, bounds.meanAbsLogProb, "\(name) \(mode) mean |delta log-prob|")
            XCTAssertLessThanOrEqual(totalRel, bounds.totalPPL, "\(name) \(mode) perplexity over all prompts")
        }
    }

    func testSmolLM2Q4_1() throws {
        try run(fixture: "smollm2-q4_1.json", model: "SmolLM2-135M-Instruct.Q4_1.gguf", bounds: Self.smolLM2)
    }

    func testGemma3Q4_K_M() throws {
        try run(fixture: "gemma3-q4_k_m.json", model: "gemma-3-270m-q4_k_m.gguf", bounds: Self.gemma3)
    }
}
