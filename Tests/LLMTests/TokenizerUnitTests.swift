import Foundation
import GGUF
import XCTest
import TestSupport
@testable import LLM

/// Pieces in isolation: pre-tokenizer splits, byte mapping, metadata errors, the tiny vocabulary.
final class TokenizerUnitTests: XCTestCase {
    private func words(_ pre: String, _ text: String) -> [String] {
        let p = PreTokenizer(name: pre)!
        var t = text
        return t.withUTF8 { b in p.split(b).map { String(decoding: b[$0], as: UTF8.self) } }
    }

    func testGPT2Split() {
        XCTAssertEqual(words("gpt-2", "Hello world's  end 123!!  "), ["Hello", " world", "'s", " ", " end", " 123", "!!", "  "])
    }

    func testSmolLMSplitsDigits() {
        XCTAssertEqual(words("smollm", "x 1234 3.14"), ["x", " ", "1", "2", "3", "4", " ", "3", ".", "1", "4"])
    }

    func testLlama3Split() {
        XCTAssertEqual(words("llama-bpe", "I'LL pay 12345 now\n\n  ok"), ["I", "'LL", " pay", " ", "123", "45", " now", "\n\n", " ", " ok"])
        XCTAssertEqual(words("qwen2", "ab 123"), ["ab", " ", "1", "2", "3"])
    }

    func testDefaultSplit() {
        XCTAssertEqual(words("default", "a+b 12345"), ["a", "+", "b", " ", "123", "45"])
    }

    func testByteLevelMapping() {
        XCTAssertEqual(ByteLevel.byteToScalar[0x20], 0x120)  // 'Ġ'
        XCTAssertEqual(ByteLevel.byteToScalar[0x0A], 0x10A)  // 'Ċ'
        for b in 0..<256 { XCTAssertEqual(ByteLevel.byte(for: ByteLevel.byteToScalar[b]), UInt8(b)) }
    }

    func testCleanSpaces() {
        let t = Tokenizer.cleanSpaces(Array("Hi , there ! it 's a ' b ' c".utf8))
        XCTAssertEqual(String(decoding: t, as: UTF8.self), "Hi, there! it's a'b'c")
    }

    /// U+2581 is E2 96 81; partial sequences around it must pass through untouched.
    func testUnescapingSpacesKeepsPartialSequences() {
        func run(_ b: [UInt8]) -> [UInt8] {
            var out: [UInt8] = []
            Tokenizer.appendUnescapingSpaces(b[...], to: &out)
            return out
        }
        XCTAssertEqual(run(Array("▁the▁▁x".utf8)), Array(" the  x".utf8))
        XCTAssertEqual(run([0xE2, 0xE2, 0x96, 0x81]), [0xE2, 0x20])
        XCTAssertEqual(run([0xE2, 0x96, 0xE2, 0x96, 0x81]), [0xE2, 0x96, 0x20])
        XCTAssertEqual(run([0xE2, 0x96]), [0xE2, 0x96])
        XCTAssertEqual(run([0xE2]), [0xE2])
        XCTAssertEqual(run([0x96, 0x81, 0xE2, 0x81]), [0x96, 0x81, 0xE2, 0x81])
        XCTAssertEqual(run(Array("€ ✓".utf8)), Array("€ ✓".utf8))   // other E2 characters
    }

    // MARK: - Metadata errors

    /// A minimal GGUF v3 image with only metadata.
    private func gguf(_ kvs: [(String, UInt32, [UInt8])]) -> [UInt8] {
        var b: [UInt8] = Array("GGUF".utf8)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { b.append(contentsOf: $0) } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { b.append(contentsOf: $0) } }
        u32(3); u64(0); u64(UInt64(kvs.count))
        for (k, t, payload) in kvs {
            u64(UInt64(k.utf8.count)); b.append(contentsOf: Array(k.utf8))
            u32(t); b.append(contentsOf: payload)
        }
        return b
    }

    private func str(_ s: String) -> [UInt8] {
        var b: [UInt8] = []
        withUnsafeBytes(of: UInt64(s.utf8.count).littleEndian) { b.append(contentsOf: $0) }
        return b + Array(s.utf8)
    }

    private func strArray(_ a: [String]) -> [UInt8] {
        var b: [UInt8] = []
        withUnsafeBytes(of: UInt32(8).littleEndian) { b.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(a.count).littleEndian) { b.append(contentsOf: $0) }
        for s in a { b += str(s) }
        return b
    }

    private func vocabulary(_ kvs: [(String, UInt32, [UInt8])]) throws -> Vocabulary {
        let bytes = gguf(kvs)
        return try bytes.withUnsafeBytes { raw in
            let f = try GGUFFile(unsafeBytes: raw)
            return try Vocabulary(gguf: f)
        }
    }

    func testMissingKeysAreNamed() {
        XCTAssertThrowsError(try vocabulary([])) { e in
            XCTAssertEqual(e as? TokenizerError, .missingKey("tokenizer.ggml.model"))
        }
        XCTAssertThrowsError(try vocabulary([("tokenizer.ggml.model", 8, str("llama"))])) { e in
            XCTAssertEqual(e as? TokenizerError, .missingKey("tokenizer.ggml.tokens"))
        }
        XCTAssertThrowsError(try vocabulary([("tokenizer.ggml.model", 8, str("gpt2")),
                                            ("tokenizer.ggml.tokens", 9, strArray(["a", "b"]))])) { e in
            XCTAssertEqual(e as? TokenizerError, .missingKey("tokenizer.ggml.merges"))
        }
    }

    func testInvalidValuesAreNamed() {
        XCTAssertThrowsError(try vocabulary([("tokenizer.ggml.model", 8, str("wordpiece-ish"))])) { e in
            XCTAssertEqual(e as? TokenizerError, .unsupportedModel("wordpiece-ish"))
        }
        XCTAssertThrowsError(try vocabulary([("tokenizer.ggml.model", 4, [1, 0, 0, 0])])) { e in
            guard case .invalidValue(let key, _)? = e as? TokenizerError else { return XCTFail("\(e)") }
            XCTAssertEqual(key, "tokenizer.ggml.model")
        }
        XCTAssertThrowsError(try vocabulary([("tokenizer.ggml.model", 8, str("gpt2")),
                                            ("tokenizer.ggml.pre", 8, str("no-such-pre")),
                                            ("tokenizer.ggml.tokens", 9, strArray(["a"])),
                                            ("tokenizer.ggml.merges", 9, strArray([]))])) { e in
            XCTAssertEqual(e as? TokenizerError, .unsupportedPreTokenizer("no-such-pre"))
        }
        XCTAssertThrowsError(try vocabulary([("tokenizer.ggml.model", 8, str("llama")),
                                            ("tokenizer.ggml.tokens", 9, strArray(["a"])),
                                            ("tokenizer.ggml.scores", 8, str("oops"))])) { e in
            guard case .invalidValue(let key, _)? = e as? TokenizerError else { return XCTFail("\(e)") }
            XCTAssertEqual(key, "tokenizer.ggml.scores")
        }
    }

    /// A hand-made SentencePiece vocabulary: merges by score, byte fallback, space prefix.
    func testSyntheticSentencePiece() throws {
        var tokens = ["<unk>", "<s>", "</s>", "▁", "a", "b", "ab", "▁ab"]
        var types: [TokenType] = [.unknown, .control, .control, .normal, .normal, .normal, .normal, .normal]
        var scores: [Float] = [0, 0, 0, -1, -2, -2, -1, -0.5]
        for b in 0..<256 {
            tokens.append(String(format: "<0x%02X>", b)); types.append(.byte); scores.append(0)
        }
        let v = try Vocabulary(model: .spm, tokens: tokens, scores: scores, types: types, bos: 1, eos: 2, unk: 0)
        let tok = Tokenizer(vocabulary: v)
        XCTAssertEqual(tok.encode("ab", addSpecial: true), [1, 7])
        XCTAssertEqual(tok.encode("ab€", addSpecial: false), [7, 8 + 0xE2, 8 + 0x82, 8 + 0xAC])
        // llama.cpp strips the prefix space only when no BOS was removed before it.
        XCTAssertEqual(tok.decode(tok.encode("ab ab€", addSpecial: false)), "ab ab€")
        XCTAssertEqual(tok.decode(tok.encode("ab ab€"), removeSpecial: true), " ab ab€")
    }

    /// The tiny test models' 272-token byte-level vocabulary loads and round-trips.
    func testTinyVocabulary() throws {
        let path = TokenizerTestSupport.sharedFixtures.appendingPathComponent("tiny/tiny-llama-f32.gguf").path
        guard FileManager.default.fileExists(atPath: path) else {
            print("SKIP: \(path) not found")
            throw TestEnvironment.missing("\(path) not found")
        }
        let tok = try Tokenizer(gguf: try GGUFFile(path: path))
        XCTAssertEqual(tok.count, 272)
        let text = "Hello, tiny world! 模型 😀"
        let ids = tok.encode(text, addSpecial: false)
        XCTAssertEqual(tok.decode(ids), text)
        XCTAssertEqual(tok.encode("<|im_start|>x", addSpecial: false, parseSpecial: true).first, 267)
    }
}
