import Foundation
import XCTest
import TestSupport

/// `quantty compare` on SmolLM2 files made by quantty's quantizer, against the fixture table
/// (../shared/fixtures/README.md, quantize-plan/: llama-quantize from F32, scored by
/// `llama-perplexity --kl-divergence` on gpl3.txt with n_ctx 256).
///
/// Measured (full gpl3.txt, 29 chunks, n_ctx 256; F32 = the Q4_1 download dequantized by quantty,
/// Q8_0/Q5_K_M/Q4_K_M quantized from it by quantty; fixture = llama.cpp's in parentheses):
///
/// | level | PPL | PPL ratio | mean KLD | same top |
/// |---|---|---|---|---|
/// | Q8_0 | 20.8776 (20.8548) | 1.0030 (1.0019) | 0.005603 (0.005590) | 95.63% (95.06%) |
/// | Q5_K_M | 23.7596 (23.8010) | 1.1414 (1.1434) | 0.116771 (0.117973) | 81.78% (81.67%) |
/// | Q4_K_M | 22.2605 (22.2898) | 1.0694 (1.0708) | 0.083190 (0.083691) | 85.23% (85.09%) |
/// | Q4_1 (download) | 20.8170 (20.8565) | 1.0001 (1.0020) | 0.003828 (0.003608) | 96.04% (95.87%) |
///
/// With `--float-activations` (long batches multiplied in float): Q8_0 0.001814 / 97.50%,
/// Q5_K_M 0.108388 / 82.11%, Q4_K_M 0.076020 / 85.83%, Q4_1 0.000000 / 100% (in float the
/// Q4_1 file and its F32 dequantization compute the same): llama.cpp's figures include the
/// noise of its 8-bit activations.
final class LevelsCompareTests: XCTestCase {
    nonisolated(unsafe) static var dir = ""
    nonisolated(unsafe) static var made = false

    override class func tearDown() {
        if !dir.isEmpty { try? FileManager.default.removeItem(atPath: dir) }
    }

    func json(_ s: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any], s)
    }

    /// F32 (dequantized from the Q4_1 download, as the fixtures' source) and Q8_0, Q5_K_M,
    /// Q4_K_M quantized from it, once per run.
    func filesFromF32() throws -> (text: String, f32: String, levels: [String: String]) {
        let q41 = try CLI.requireModel(CLI.smolFile)
        let text = CLI.fixtures + "/perplexity/gpl3.txt"
        guard FileManager.default.fileExists(atPath: text) else { throw TestEnvironment.missing("\(text) is absent") }
        if Self.dir.isEmpty { Self.dir = NSTemporaryDirectory() + "quantty-compare-\(UUID().uuidString)" }
        let f32 = Self.dir + "/smollm2-f32.gguf"
        var levels: [String: String] = [:]
        for t in ["Q8_0", "Q5_K_M", "Q4_K_M"] { levels[t] = Self.dir + "/smollm2-\(t).gguf" }
        if !Self.made {
            try FileManager.default.createDirectory(atPath: Self.dir, withIntermediateDirectories: true)
            let r = try CLI.run(["quantize", q41, f32, "F32"])
            XCTAssertEqual(r.status, 0, r.stderr)
            for (t, p) in levels {
                let q = try CLI.run(["quantize", f32, p, t])
                XCTAssertEqual(q.status, 0, q.stderr)
            }
            Self.made = true
        }
        levels["Q4_1"] = q41
        return (text, f32, levels)
    }

    func kld(_ o: [String: Any]) throws -> [String: Double] {
        let levels = try XCTUnwrap(o["levels"] as? [[String: Any]])
        var out: [String: Double] = [:]
        for l in levels { out[l["level"] as! String] = l["mean_kld"] as? Double }
        return out
    }

    func testCompareFromF32OrdersLevelsLikeTheFixture() throws {
        let (text, f32, levels) = try filesFromF32()
        let list = ["Q8_0", "Q5_K_M", "Q4_K_M", "Q4_1"].map { levels[$0]! }.joined(separator: ",")
        let r = try CLI.run(["compare", f32, "-f", text, "-c", "256", "--levels", list, "--chunks", "6", "--float-activations", "--json"], timeout: 900)
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try json(r.stdout)
        XCTAssertEqual(o["chunks"] as? Int, 6)
        XCTAssertEqual(o["tokens_scored"] as? Int, 6 * 127)
        XCTAssertEqual(o["base"] as? String, "smollm2-f32")
        let rows = try XCTUnwrap(o["levels"] as? [[String: Any]])
        XCTAssertEqual(rows.count, 5)
        XCTAssertEqual(rows[0]["is_base"] as? Bool, true)
        let k = try kld(o)
        let q8 = try XCTUnwrap(k["smollm2-Q8_0"]), q5 = try XCTUnwrap(k["smollm2-Q5_K_M"]), q4 = try XCTUnwrap(k["smollm2-Q4_K_M"])
        // Float activations: below llama.cpp's figures by its activation-quantization noise.
        XCTAssertLessThan(q8, q4)
        XCTAssertLessThan(q4, q5, "Q5_K_M is worse than Q4_K_M on these weights, as in the fixture")
        XCTAssertGreaterThan(q8, 0.0005); XCTAssertLessThan(q8, 0.01)
        XCTAssertGreaterThan(q4, 0.04); XCTAssertLessThan(q4, 0.15)
        XCTAssertGreaterThan(q5, 0.06); XCTAssertLessThan(q5, 0.2)
        XCTAssertEqual(k["SmolLM2-135M-Instruct.Q4_1"] ?? 1, 0, accuracy: 1e-4, "Q4_1 and its F32 dequantization compute the same in float")
        for row in rows {
            let size = row["file_size"] as? Int ?? 0, bpw = row["bpw"] as? Double ?? 0, ppl = row["ppl"] as? Double ?? 0
            XCTAssertGreaterThan(size, 80 << 20); XCTAssertGreaterThan(bpw, 4); XCTAssertLessThanOrEqual(bpw, 32)
            XCTAssertGreaterThan(ppl, 10); XCTAssertLessThan(ppl, 40)
            XCTAssertGreaterThan(row["pp_tps"] as? Double ?? 0, 1)
            XCTAssertGreaterThan(row["tg_tps"] as? Double ?? 0, 0.5)
            if row["is_base"] as? Bool == false {
                let st = try XCTUnwrap(row["statistics"] as? [String: Any])
                let pcts = try XCTUnwrap(st["kld"] as? [String: Double])
                XCTAssertLessThanOrEqual(pcts["median"]!, pcts["p99"]!)
                XCTAssertLessThanOrEqual(pcts["p99"]!, pcts["maximum"]!)
                let same = row["same_top"] as? Double ?? 0
                XCTAssertGreaterThan(same, 0.7); XCTAssertLessThanOrEqual(same, 1)
            }
        }
    }

    /// With activations quantized as llama.cpp's CPU backend does, over the whole text (29
    /// chunks of 256), the figures the README and the table above claim: quantty's own within
    /// 3% (float order), and llama-perplexity's within 5% (KLD) and 1 point (same top token).
    func testDefaultFiguresMatchTheFixture() throws {
        let (text, f32, levels) = try filesFromF32()
        let r = try CLI.run(["compare", f32, "-f", text, "-c", "256", "--levels", levels["Q8_0"]! + "," + levels["Q4_K_M"]!,
                             "--no-speed", "--json"], timeout: 1800)
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try json(r.stdout)
        XCTAssertEqual(o["chunks"] as? Int, 29)
        var same: [String: Double] = [:]
        for l in try XCTUnwrap(o["levels"] as? [[String: Any]]) { same[l["level"] as! String] = l["same_top"] as? Double }
        let k = try kld(o)
        for (level, claimed, fixture, claimedSame, fixtureSame) in [("smollm2-Q8_0", 0.005603, 0.005590, 0.9563, 0.9506),
                                                                   ("smollm2-Q4_K_M", 0.083190, 0.083691, 0.8523, 0.8509)] {
            let kld = try XCTUnwrap(k[level], level), top = try XCTUnwrap(same[level], level)
            print(String(format: "%@: mean KLD %.6f (claimed %.6f, llama.cpp %.6f), same top %.2f%% (llama.cpp %.2f%%)",
                         level, kld, claimed, fixture, top * 100, fixtureSame * 100))
            XCTAssertEqual(kld, claimed, accuracy: claimed * 0.03, level)
            XCTAssertEqual(kld, fixture, accuracy: fixture * 0.05, level)
            XCTAssertEqual(top, claimedSame, accuracy: 0.005, level)
            XCTAssertEqual(top, fixtureSame, accuracy: 0.01, level)
        }
    }

    func testCompareCatalogLevelsTable() throws {
        _ = try CLI.requireModel(CLI.smolFile)
        for f in ["Q4_K_M", "Q8_0"] { _ = try CLI.requireModel("SmolLM2-135M-Instruct.\(f).gguf") }
        let text = CLI.fixtures + "/perplexity/gpl3.txt"
        guard FileManager.default.fileExists(atPath: text) else { throw TestEnvironment.missing("\(text) is absent") }
        let r = try CLI.run(["compare", "smollm2-135m-instruct", "-f", text, "--levels", "Q4_K_M,Q8_0,Q4_1", "--chunks", "2",
                             "--float-activations", "--markdown"], timeout: 600)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("| level | size | bpw | PPL |"), r.stdout)
        XCTAssertTrue(r.stdout.contains("| Q8_0 (base) |"), "the highest-precision level is the base: \(r.stdout)")
        XCTAssertTrue(r.stdout.contains("| Q4_K_M |"), r.stdout)
        let bad = try CLI.run(["compare", "smollm2-135m-instruct", "-f", text, "--levels", "Q9_9"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("no level 'Q9_9'"), bad.stderr)
    }
}
