import Foundation
import XCTest
import TestSupport

/// `quantty quantize` and levels derived by `quantty fetch` (tiny fixture models: fast).
final class LevelsQuantizeTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "quantty-levels-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func tiny(_ name: String) throws -> String {
        let p = CLI.fixtures + "/tiny/\(name)"
        guard FileManager.default.fileExists(atPath: p) else { throw TestEnvironment.missing("\(p) is absent") }
        return p
    }

    func testQuantizeTinyToQ8_0AndReadBack() throws {
        let src = try tiny("tiny-llama-f32.gguf")
        let out = dir + "/tiny-q8_0.gguf"
        let r = try CLI.run(["quantize", src, out, "Q8_0", "-t", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("Q8_0"), r.stdout)
        XCTAssertTrue(r.stderr.contains("100%"), "progress bar on stderr: \(r.stderr)")
        let i = try CLI.run(["inspect", out, "--json"])
        XCTAssertEqual(i.status, 0, i.stderr)
        XCTAssertTrue(i.stdout.contains("Q8_0"), i.stdout)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["tiny-q8_0.gguf"], "no temporary files left")
    }

    func testRequantizeNeedsFlagAndWarns() throws {
        let src = try tiny("tiny-llama-q8_0.gguf")
        let out = dir + "/re.gguf"
        let refused = try CLI.run(["quantize", src, out, "Q4_0"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("--allow-requantize"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        let ok = try CLI.run(["quantize", src, out, "Q4_0", "--allow-requantize"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertTrue(ok.stderr.contains("warning: requantizing"), ok.stderr)
    }

    func testBadArgumentsAreNamed() throws {
        let src = try tiny("tiny-llama-f32.gguf")
        let bad = try CLI.run(["quantize", src, dir + "/x.gguf", "Q9_9"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("unknown quantization type 'Q9_9'"), bad.stderr)
        let missing = try CLI.run(["quantize", dir + "/nope.gguf", dir + "/x.gguf", "Q8_0"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("nope.gguf"), missing.stderr)
        XCTAssertFalse(missing.uncaughtSignal)
    }

    /// A catalog level with `quantize_from` is made by `fetch`, once; the second fetch is instant.
    func testFetchDerivesLevelOnceAndCaches() throws {
        let src = try tiny("tiny-llama-f32.gguf")
        let catalog = dir + "/models.toml"
        try """
        default = "tiny"
        [models.tiny]
        name = "Tiny"
        [models.tiny.levels.F32]
        file = "\(src)"
        [models.tiny.levels.Q8_0]
        file = "tiny.Q8_0.gguf"
        quantize_from = "F32"
        [models.tiny.levels.Q4_K_M]
        file = "tiny.Q4_K_M.gguf"
        quantize_from = "F32"
        """.write(toFile: catalog, atomically: true, encoding: .utf8)
        let env = ["XDG_CACHE_HOME": dir + "/cache"]
        let first = try CLI.run(["fetch", "--all", "--config", catalog], environment: env)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("tiny:Q8_0 made from F32"), first.stdout)
        XCTAssertTrue(first.stdout.contains("tiny:Q4_K_M made from F32"), first.stdout)
        let models = dir + "/cache/quantty/models"
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: models).sorted(),
                       ["tiny.Q4_K_M.gguf", "tiny.Q4_K_M.gguf.verified", "tiny.Q8_0.gguf", "tiny.Q8_0.gguf.verified"])
        let made = try FileManager.default.attributesOfItem(atPath: models + "/tiny.Q4_K_M.gguf")
        let second = try CLI.run(["fetch", "--all", "--config", catalog], environment: env)
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stdout.contains("tiny:Q8_0 present"), second.stdout)
        XCTAssertFalse(second.stdout.contains("made from"), "nothing is quantized again: \(second.stdout)")
        let kept = try FileManager.default.attributesOfItem(atPath: models + "/tiny.Q4_K_M.gguf")
        XCTAssertEqual(made[.modificationDate] as? Date, kept[.modificationDate] as? Date, "the derived level was not rewritten")
        // The derived file opens and runs.
        let run = try CLI.run(["run", "--config", catalog, "-m", "tiny:Q4_K_M", "-p", "ab", "-n", "4", "--temp", "0"], environment: env)
        XCTAssertEqual(run.status, 0, run.stderr)
    }
}
