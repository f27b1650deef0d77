import Foundation
import GGUF
import XCTest

/// Issue 13, findings 4 and 6, through the real binary: numbers that are not numbers are said
/// (null in JSON, a warning, exit 1), and what was accepted silently is refused or said.
extension BadInputCLITests {
    /// The tiny llama with every weight of `output_norm.weight` NaN: every logit is NaN.
    func nanModel() throws -> String {
        let src = try GGUFFile(path: try tinySource())
        var w = GGUFWriter(metadataOf: src)
        for t in src.tensors {
            if t.name == "output_norm.weight" {
                let n = t.shape.reduce(1, *)
                try w.addTensor(name: t.name, shape: t.shape, type: .f32,
                                data: [Float](repeating: .nan, count: n).withUnsafeBytes { Array($0) })
            } else {
                try w.addTensor(name: t.name, shape: t.shape, type: t.type, bytes: src.tensorData(t))
            }
        }
        let path = dir + "/nan.gguf"
        try w.write(to: path)
        return path
    }

    func testNaNResultsAreSaidAndFail() throws {
        let nan = try nanModel()
        let text = dir + "/text.txt"
        try String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 40).write(toFile: text, atomically: true, encoding: .utf8)
        for json in [true, false] {
            let r = try CLI.run(["perplexity", "-m", nan, "-f", text, "-c", "64"] + (json ? ["--json"] : []), environment: env)
            XCTAssertFalse(r.uncaughtSignal)
            XCTAssertEqual(r.status, 1, "a NaN perplexity is a failure: \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("not a number"), r.stderr)
            XCTAssertFalse(r.stderr.contains("EncodingError"), r.stderr)
            if json {
                XCTAssertTrue(r.stdout.contains("\"ppl\" : null"), r.stdout)
                XCTAssertTrue(r.stderr.contains("warning: "), r.stderr)
                XCTAssertNotNil(try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)), "valid JSON: \(r.stdout)")
            }
        }
        let r = try CLI.run(["run", "-m", nan, "-p", "hi", "-n", "3", "--json"], environment: env)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("NaN logits"), r.stderr)
        XCTAssertFalse(r.stderr.contains("EncodingError"), r.stderr)
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
        XCTAssertTrue((obj["logprobs"] as? [Any])?.contains { $0 is NSNull } ?? false, r.stdout)
    }

    func testContextAboveTheTrainedLengthIsSaid() throws {
        let tiny = try tinySource()
        let r = try CLI.run(["run", "-m", tiny, "-p", "hi", "-n", "1", "-c", "1000000000"], environment: env)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("-c 1000000000 is more than"), r.stderr)
        XCTAssertEqual(r.stderr.components(separatedBy: "-c 1000000000").count, 2, "said once: \(r.stderr)")
    }

    func testMetadataThatDisagreesWithTheTensorsIsRefused() throws {
        let src = try GGUFFile(path: try tinySource())
        let tokens = try src.packedStrings("tokenizer.ggml.tokens")
        let short = try variant("short-vocab.gguf") { w in
            w["tokenizer.ggml.tokens"] = .array(.string, GGUFArray((0 ..< tokens.count - 1).map { .string(tokens[$0]) }))
        }
        try expectFailure(["run", "-m", short, "-p", "hi", "-n", "1"], mentions: ["tokenizer.ggml.tokens", "token_embd.weight"])
        let blocks = try XCTUnwrap(src["llama.block_count"]?.intValue)
        let fewer = try variant("blocks.gguf") { $0["llama.block_count"] = .uint32(UInt32(blocks - 1)) }
        try expectFailure(["run", "-m", fewer, "-p", "hi", "-n", "1"], mentions: ["llama.block_count", "\(blocks) blocks"])
        let array = try variant("ctx-array.gguf") { $0["llama.context_length"] = .array(.uint32, [.uint32(1), .uint32(2)]) }
        try expectFailure(["run", "-m", array, "-p", "hi", "-n", "1"], mentions: ["llama.context_length", "an array of 2 uint32 values"])
        let wrap = try variant("wrap.gguf") { $0["llama.attention.key_length"] = .uint64(1 << 62) }
        let r = try expectFailure(["run", "-m", wrap, "-p", "hi", "-n", "1"], mentions: ["attention.head_count", "key_length", "too large"])
        XCTAssertFalse(r.stderr.contains(", 0]"), r.stderr)
    }

    func testEmptyTextAndBenchSizesNameTheProblem() throws {
        let tiny = try tinySource()
        try expectFailure(["perplexity", "-m", tiny, "-f", "/dev/null", "-c", "64"], mentions: ["/dev/null", "empty"])
        try expectFailure(["bench", "-m", tiny, "-p", "100000", "-n", "2", "-r", "1"], mentions: ["-p 100000"])
    }
}
