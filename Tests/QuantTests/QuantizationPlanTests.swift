import Foundation
import XCTest
import GGUF
@testable import Quant

/// The type plans against llama-quantize's choices (`quantize-plan/` fixtures) and its rules.
final class QuantizationPlanTests: XCTestCase {

    /// SmolLM2's tensors as its F32 copy has them: every quantizable tensor F32, the rest as stored.
    private func smolF32Tensors(_ file: GGUFFile) -> [GGUFTensorInfo] {
        file.tensors.map { t in
            let type: GGMLType = QuantizationPlan.allowsQuantization(name: t.name, shape: t.shape) ? .f32 : t.type
            return GGUFTensorInfo(name: t.name, shape: t.shape, type: type, offset: 0, byteCount: type.byteCount(elements: t.elementCount)!)
        }
    }

    /// Every tensor's type, the tensor order, `general.file_type` and the file size of
    /// llama-quantize's Q4_K_M, Q5_K_M and Q8_0 of SmolLM2.
    func testSmolLM2PlansMatchLlamaQuantize() throws {
        let file = try GGUFFile(path: try QuantizerData.realModel(QuantizerData.smolLM2))
        let hp = ModelHyperparameters(file: file)
        XCTAssertEqual(hp, ModelHyperparameters(architecture: "llama", layerCount: 30, headCount: 9, headCountKV: 3, expertCount: 0))
        for name in ["Q4_K_M", "Q5_K_M", "Q8_0"] {
            let fx = try QuantizerData.planFixture(name)
            let level = try XCTUnwrap(QuantizationLevel(name: fx.target))
            XCTAssertEqual(Int(level.fileType), fx.fileType, "\(name) general.file_type")
            let plan = try QuantizationPlan(level: level, tensors: smolF32Tensors(file), hyperparameters: hp)
            XCTAssertEqual(plan.tensors.map(\.name), fx.types.map(\.name), "\(name): tensor order")
            var mismatches: [String] = []
            let planned = plan.tensorTypes
            for (tensor, type) in fx.types where planned[tensor]?.description != type {
                mismatches.append("\(tensor): planned \(planned[tensor].map(\.description) ?? "nothing"), llama-quantize \(type)")
            }
            XCTAssertEqual(mismatches, [], "\(name): \(mismatches.count) tensor types differ")
            XCTAssertEqual(plan.tensors.count, fx.types.count)
            // The header (metadata and tensor infos) has the size of the source's: same keys,
            // same value types, same names and shapes.
            let size = file.dataOffset + plan.dataSectionBytes(alignment: file.alignment)
            XCTAssertEqual(size, fx.fileBytes, "\(name): file size")
            print("plan \(name): \(plan.tensors.count) tensors match llama-quantize, \(plan.fallbackCount) fallbacks, \(size) bytes")
        }
    }

    func testLevelsNamesAndFileTypes() {
        XCTAssertEqual(QuantizationLevel.allCases.count, 33)
        XCTAssertEqual(Set(QuantizationLevel.allCases.map(\.fileType)).count, 33)
        for l in QuantizationLevel.allCases {
            XCTAssertEqual(QuantizationLevel(name: l.name.lowercased()), l)
            XCTAssertEqual(QuantizationLevel(fileType: l.fileType), l)
        }
        XCTAssertEqual(QuantizationLevel.q4_K_M.fileType, 15)
        XCTAssertEqual(QuantizationLevel.q5_K_M.fileType, 17)
        XCTAssertEqual(QuantizationLevel.q8_0.fileType, 7)
        XCTAssertEqual(QuantizationLevel.bf16.fileType, 32)
        XCTAssertEqual(QuantizationLevel(name: "iq4_nl")?.fileType, 25)
        XCTAssertEqual(QuantizationLevel.mxfp4_moe.fileType, 38)
        XCTAssertNil(QuantizationLevel(name: "Q4_1_SOME_F16"), "a legacy mix quantty does not write")
        XCTAssertFalse(QuantizationLevel.f16.isQuantized)
        XCTAssertTrue(QuantizationLevel.q2_K.isQuantized)
    }

    func testTensorOrderIsLlamaCpps() {
        let names = ["blk.10.attn_q.weight", "output.weight", "blk.2.ffn_up.weight", "blk.2.attn_k.weight", "token_embd.weight",
                     "output_norm.weight", "blk.1.x"]
        XCTAssertEqual(names.sorted(by: QuantizationPlan.precedes),
                       ["output.weight", "output_norm.weight", "token_embd.weight", "blk.1.x", "blk.2.attn_k.weight",
                        "blk.2.ffn_up.weight", "blk.10.attn_q.weight"])
    }

    func testWhichTensorsAreQuantized() {
        XCTAssertFalse(QuantizationPlan.allowsQuantization(name: "blk.0.attn_norm.weight", shape: [576, 1536]))
        XCTAssertFalse(QuantizationPlan.allowsQuantization(name: "blk.0.attn_q.weight", shape: [576]))
        XCTAssertFalse(QuantizationPlan.allowsQuantization(name: "blk.0.attn_q.weight", shape: [576, 1, 1]))
        XCTAssertFalse(QuantizationPlan.allowsQuantization(name: "blk.0.attn_q.bias", shape: [576, 2]))
        XCTAssertFalse(QuantizationPlan.allowsQuantization(name: "blk.0.ffn_gate_inp.weight", shape: [576, 8]))
        XCTAssertFalse(QuantizationPlan.allowsQuantization(name: "position_embd.weight", shape: [576, 8]))
        XCTAssertFalse(QuantizationPlan.allowsQuantization(name: "blk.0.ssm_conv1d.weight", shape: [4, 8]))
        XCTAssertTrue(QuantizationPlan.allowsQuantization(name: "blk.0.attn_q.weight", shape: [576, 576]))
        XCTAssertTrue(QuantizationPlan.allowsQuantization(name: "blk.0.ffn_up_exps.weight", shape: [576, 1536, 8]))
        XCTAssertTrue(QuantizationPlan.allowsQuantization(name: "output.weight", shape: [576, 49152]))
    }

    func testFallbacks() {
        XCTAssertEqual(QuantizationPlan.fallback(for: .q4_K, rowWidth: 512), .q4_K)
        XCTAssertEqual(QuantizationPlan.fallback(for: .q2_K, rowWidth: 576), .q4_0)
        XCTAssertEqual(QuantizationPlan.fallback(for: .q3_K, rowWidth: 576), .q4_0)
        XCTAssertEqual(QuantizationPlan.fallback(for: .q4_K, rowWidth: 576), .q5_0)
        XCTAssertEqual(QuantizationPlan.fallback(for: .q5_K, rowWidth: 576), .q5_1)
        XCTAssertEqual(QuantizationPlan.fallback(for: .q6_K, rowWidth: 576), .q8_0)
        XCTAssertEqual(QuantizationPlan.fallback(for: .q6_K, rowWidth: 100), .f16)
        XCTAssertNil(QuantizationPlan.fallback(for: .q8_0, rowWidth: 48))
    }

    // MARK: - Rules on a synthetic model

    /// A llama-like model: `layers` blocks of width `width`, feed-forward `ff`.
    private func model(layers: Int, width: Int, ff: Int, kv: Int, tied: Bool = true, experts: Int = 0) -> [GGUFTensorInfo] {
        var t: [(String, [Int])] = [("token_embd.weight", [width, 1000]), ("output_norm.weight", [width])]
        if !tied { t.append(("output.weight", [width, 1000])) }
        for i in 0..<layers {
            t += [("blk.\(i).attn_norm.weight", [width]), ("blk.\(i).attn_q.weight", [width, width]),
                  ("blk.\(i).attn_k.weight", [width, kv]), ("blk.\(i).attn_v.weight", [width, kv]),
                  ("blk.\(i).attn_output.weight", [width, width]), ("blk.\(i).ffn_norm.weight", [width])]
            if experts > 0 {
                t += [("blk.\(i).ffn_gate_inp.weight", [width, experts]), ("blk.\(i).ffn_gate_exps.weight", [width, ff, experts]),
                      ("blk.\(i).ffn_up_exps.weight", [width, ff, experts]), ("blk.\(i).ffn_down_exps.weight", [ff, width, experts])]
            } else {
                t += [("blk.\(i).ffn_gate.weight", [width, ff]), ("blk.\(i).ffn_up.weight", [width, ff]),
                      ("blk.\(i).ffn_down.weight", [ff, width])]
            }
        }
        return t.map { GGUFTensorInfo(name: $0.0, shape: $0.1, type: .f32, offset: 0, byteCount: 0) }
    }

    private func types(_ plan: QuantizationPlan, _ suffix: String) -> [GGMLType] {
        plan.tensors.filter { $0.name.hasSuffix(suffix) }.sorted { layerIndex(of: $0.name)! < layerIndex(of: $1.name)! }.map(\.targetType)
    }

    func testKQuantMixRulesOn256WideRows() throws {
        let hp = ModelHyperparameters(architecture: "llama", layerCount: 16, headCount: 8, headCountKV: 2)
        let tensors = model(layers: 16, width: 512, ff: 1024, kv: 128)
        // use_more_bits(i, 16): i < 2, i >= 14, (i - 2) % 3 == 2 -> 0, 1, 4, 7, 10, 13, 14, 15
        let more: Set<Int> = [0, 1, 4, 7, 10, 13, 14, 15]

        let q4km = try QuantizationPlan(level: .q4_K_M, tensors: tensors, hyperparameters: hp)
        XCTAssertEqual(q4km.type(of: "token_embd.weight"), .q6_K, "tied embeddings take the output rule")
        XCTAssertEqual(q4km.type(of: "output_norm.weight"), .f32)
        XCTAssertEqual(types(q4km, "attn_v.weight"), (0..<16).map { more.contains($0) ? .q6_K : .q4_K })
        XCTAssertEqual(types(q4km, "ffn_down.weight"), (0..<16).map { more.contains($0) ? .q6_K : .q4_K })
        XCTAssertEqual(Set(types(q4km, "attn_q.weight")), [.q4_K])
        XCTAssertEqual(q4km.fallbackCount, 0)

        let q3km = try QuantizationPlan(level: .q3_K_M, tensors: tensors, hyperparameters: hp)
        XCTAssertEqual(types(q3km, "attn_v.weight"), [.q5_K, .q5_K] + Array(repeating: .q4_K, count: 14))
        XCTAssertEqual(types(q3km, "ffn_down.weight"), [.q5_K] + Array(repeating: .q4_K, count: 15))
        XCTAssertEqual(Set(types(q3km, "attn_output.weight")), [.q4_K])
        XCTAssertEqual(Set(types(q3km, "ffn_up.weight")), [.q3_K])

        let q3kl = try QuantizationPlan(level: .q3_K_L, tensors: tensors, hyperparameters: hp)
        XCTAssertEqual(Set(types(q3kl, "attn_v.weight")), [.q5_K])
        XCTAssertEqual(Set(types(q3kl, "ffn_down.weight")), [.q5_K])
        XCTAssertEqual(Set(types(q3kl, "attn_output.weight")), [.q5_K])

        let q3ks = try QuantizationPlan(level: .q3_K_S, tensors: tensors, hyperparameters: hp)
        XCTAssertEqual(Set(q3ks.tensors.filter(\.quantizable).filter { $0.name != "token_embd.weight" }.map(\.targetType)), [.q3_K])

        let q4ks = try QuantizationPlan(level: .q4_K_S, tensors: tensors, hyperparameters: hp)
        XCTAssertEqual(types(q4ks, "attn_v.weight"), Array(repeating: .q5_K, count: 4) + Array(repeating: .q4_K, count: 12))
        XCTAssertEqual(types(q4ks, "ffn_down.weight"), [.q5_K, .q5_K] + Array(repeating: .q4_K, count: 14))

        let q2k = try QuantizationPlan(level: .q2_K, tensors: tensors, hyperparameters: hp)
        XCTAssertEqual(Set(types(q2k, "attn_v.weight")), [.q4_K], "n_gqa 4 -> Q4_K")
        XCTAssertEqual(Set(types(q2k, "ffn_down.weight")), [.q3_K])
        XCTAssertEqual(Set(types(q2k, "attn_output.weight")), [.q3_K])
        XCTAssertEqual(Set(types(q2k, "attn_q.weight")), [.q2_K])
        let q2kMHA = try QuantizationPlan(level: .q2_K, tensors: tensors,
                                          hyperparameters: ModelHyperparameters(architecture: "llama", layerCount: 16, headCount: 8, headCountKV: 8))
        XCTAssertEqual(Set(types(q2kMHA, "attn_v.weight")), [.q3_K])

        let q5ks = try QuantizationPlan(level: .q5_K_S, tensors: tensors, hyperparameters: hp)
        XCTAssertEqual(Set(q5ks.tensors.filter(\.quantizable).filter { $0.name != "token_embd.weight" }.map(\.targetType)), [.q5_K])
        let q6k = try QuantizationPlan(level: .q6_K, tensors: tensors, hyperparameters: hp)
        XCTAssertEqual(Set(q6k.tensors.filter(\.quantizable).map(\.targetType)), [.q6_K])

        // Untied: the output gets Q6_K, token_embd keeps the default type.
        let untied = try QuantizationPlan(level: .q4_K_M, tensors: model(layers: 16, width: 512, ff: 1024, kv: 128, tied: false),
                                          hyperparameters: hp)
        XCTAssertEqual(untied.type(of: "output.weight"), .q6_K)
        XCTAssertEqual(untied.type(of: "token_embd.weight"), .q4_K)
        let q8 = try QuantizationPlan(level: .q8_0, tensors: model(layers: 2, width: 512, ff: 1024, kv: 128, tied: false), hyperparameters: hp)
        XCTAssertEqual(q8.type(of: "output.weight"), .q8_0)
        let q40 = try QuantizationPlan(level: .q4_0, tensors: model(layers: 2, width: 512, ff: 1024, kv: 128, tied: false), hyperparameters: hp)
        XCTAssertEqual(q40.type(of: "output.weight"), .q6_K)
        XCTAssertEqual(q40.type(of: "token_embd.weight"), .q4_0)
    }

    func testFloatLevelsAndFalconAnd70B() throws {
        let hp = ModelHyperparameters(architecture: "llama", layerCount: 2, headCount: 8, headCountKV: 2)
        let tensors = model(layers: 2, width: 512, ff: 1024, kv: 128)
        for level in [QuantizationLevel.f32, .f16, .bf16] {
            let p = try QuantizationPlan(level: level, tensors: tensors, hyperparameters: hp)
            for t in p.tensors { XCTAssertEqual(t.targetType, t.quantizable ? level.defaultType : .f32, t.name) }
        }
        let falcon = ModelHyperparameters(architecture: "falcon", layerCount: 16, headCount: 8, headCountKV: 2)
        let pf = try QuantizationPlan(level: .q4_K_M, tensors: model(layers: 16, width: 512, ff: 1024, kv: 128), hyperparameters: falcon)
        XCTAssertEqual(pf.type(of: "token_embd.weight"), .q8_0)
        // Falcon Q4_K_M ffn_down: layer < 16/16 -> Q6_K, use_more_bits -> Q5_K, else Q4_K.
        let falconDown: [GGMLType] = (0..<16).map { i in i < 1 ? .q6_K : [0, 1, 4, 7, 10, 13, 14, 15].contains(i) ? .q5_K : .q4_K }
        XCTAssertEqual(types(pf, "ffn_down.weight"), falconDown)

        let big = ModelHyperparameters(architecture: "llama", layerCount: 80, headCount: 64, headCountKV: 8)
        let p70 = try QuantizationPlan(level: .q3_K_S, tensors: model(layers: 80, width: 256, ff: 256, kv: 256), hyperparameters: big)
        XCTAssertEqual(Set(types(p70, "attn_v.weight")), [.q5_K], "70B: attn_v Q3_K/Q4_K -> Q5_K")
    }

    func testMixtureOfExperts() throws {
        let hp = ModelHyperparameters(architecture: "llama", layerCount: 4, headCount: 8, headCountKV: 8, expertCount: 8)
        let p = try QuantizationPlan(level: .q4_K_M, tensors: model(layers: 4, width: 512, ff: 512, kv: 512, experts: 8), hyperparameters: hp)
        XCTAssertEqual(Set(types(p, "attn_v.weight")), [.q8_0])
        XCTAssertEqual(Set(types(p, "attn_k.weight")), [.q8_0])
        XCTAssertEqual(Set(types(p, "attn_output.weight")), [.q5_K])
        XCTAssertEqual(Set(types(p, "ffn_gate_inp.weight")), [.f32])
        // use_more_bits(i, 4): i < 0 is never, i >= 3, (i - 0) % 3 == 2 -> layers 2, 3 (by name).
        XCTAssertEqual(types(p, "ffn_down_exps.weight"), [.q4_K, .q4_K, .q6_K, .q6_K])
        // A per-layer tensor outside blk.N. cannot be placed.
        let bad = [GGUFTensorInfo(name: "extra.ffn_down.weight", shape: [512, 512], type: .f32, offset: 0, byteCount: 0)]
        XCTAssertThrowsError(try QuantizationPlan(level: .q4_K_M, tensors: bad, hyperparameters: hp)) { e in
            XCTAssertEqual(e as? QuantizationPlanError, .badLayer(tensor: "extra.ffn_down.weight", layerCount: 4))
        }
    }

    func testNoFallbackIsAnError() {
        let hp = ModelHyperparameters(architecture: "llama", layerCount: 1, headCount: 1, headCountKV: 1)
        let t = [GGUFTensorInfo(name: "blk.0.attn_q.weight", shape: [48, 48], type: .f32, offset: 0, byteCount: 0)]
        XCTAssertThrowsError(try QuantizationPlan(level: .q8_0, tensors: t, hyperparameters: hp)) { e in
            XCTAssertEqual(e as? QuantizationPlanError, .noFallback(tensor: "blk.0.attn_q.weight", type: .q8_0, rowWidth: 48))
            XCTAssertTrue("\(e)".contains("blk.0.attn_q.weight"))
        }
        // K-quants fall back to F16 when even 32 does not divide the row.
        XCTAssertEqual(try QuantizationPlan(level: .q4_K_M, tensors: t, hyperparameters: hp).type(of: "blk.0.attn_q.weight"), .f16)
    }
}
