import Foundation
import XCTest
@testable import LLM

/// The pre-tokenizer rules added for llama.cpp's tokenizer suite (DeepSeek, Qwen 3.5, Gemma 4),
/// on small texts that need no model; `TokenizerLlamaCppSuiteTests` checks them on the real
/// vocabularies.
final class PreTokenizerRuleTests: XCTestCase {
    private func words(_ pre: String, _ text: String) -> [String] {
        let p = PreTokenizer(name: pre)!
        var t = text
        return t.withUTF8 { b in p.split(b).map { String(decoding: b[$0], as: UTF8.self) } }
    }

    /// Six regexes in turn: line breaks, letters with one space before, punctuation (ASCII
    /// letters included, as its `:-~` range has them) with one space before, trailing spaces,
    /// CJK runs, number runs.
    func testDeepSeekLLMSplit() {
        XCTAssertEqual(words("deepseek-llm", "Hello 世界\n  Ｈｉ！ 123  "),
                       ["Hello", " ", "世界", "\n", " ", " Ｈｉ", "！", " ", "123", "  "])
    }

    func testDeepSeekCoderSplit() {
        XCTAssertEqual(words("deepseek-coder", "foo(bar)\n 12 한국어"),
                       ["foo", "(", "bar", ")", "\n", " ", "1", "2", " ", "한국어"])
    }

    /// Qwen 3.5 keeps a combining mark with its letters; Qwen 2 starts a new piece at it.
    func testQwen35KeepsCombiningMarksInWords() {
        XCTAssertEqual(words("qwen35", "nai\u{0308}ve 12"), ["nai\u{0308}ve", " ", "1", "2"])
        XCTAssertEqual(words("qwen2", "nai\u{0308}ve 12"), ["nai", "\u{0308}ve", " ", "1", "2"])
    }

    /// Gemma 4 cuts only between line feeds and the rest.
    func testGemma4SplitsAtLineFeeds() {
        XCTAssertEqual(words("gemma4", "a b\n\nc\n"), ["a b", "\n\n", "c", "\n"])
    }

    /// A hand-made Gemma 4 vocabulary: spaces as U+2581, merges over characters, a run of line
    /// feeds that is a token kept whole, byte tokens for the rest, BOS always added.
    func testGemma4BPEOnPlainUTF8() throws {
        var tokens = ["<pad>", "<eos>", "<bos>", "<unk>"]
        var types: [TokenType] = [.control, .control, .control, .unknown]
        for b in 0..<256 {
            tokens.append(String(format: "<0x%02X>", b)); types.append(.byte)
        }
        let words = ["▁", "h", "i", "hi", "▁hi", "\n", "\n\n"]
        tokens += words
        types += words.map { _ in .normal }
        let id = { (t: String) in Int32(tokens.firstIndex(of: t)!) }
        let v = try Vocabulary(model: .bpe, preTokenizerName: "gemma4", tokens: tokens, types: types,
                               merges: [BPEMerge(left: "h", right: "i"), BPEMerge(left: "▁", right: "hi")],
                               bos: 2, eos: 1, unk: 3, addBOS: false)
        let tok = Tokenizer(vocabulary: v)
        let text = "hi hi\n\nhi!"
        let ids = tok.encode(text, addSpecial: false)
        XCTAssertEqual(ids, [id("hi"), id("▁hi"), id("\n\n"), id("hi"), 4 + 0x21])
        XCTAssertEqual(tok.decode(ids), text)
        XCTAssertEqual(tok.encode("hi", addSpecial: true), [2, id("hi")])
    }

    /// Bytes that are not UTF-8 reach BPE as llama.cpp passes them: U+FFFD for a stray byte, the
    /// shortest form for an overlong one; text that is UTF-8 already is left alone.
    func testInvalidUTF8IsRepairedAsLlamaCppDoes() {
        let bad: [UInt8] = [0x61, 0xC0, 0x80, 0xFF, 0xE2, 0x96]
        let fixed = bad.withUnsafeBufferPointer { UTF8Scan.repaired($0) }
        XCTAssertEqual(fixed, [0x61, 0x00, 0xEF, 0xBF, 0xBD, 0xEF, 0xBF, 0xBD, 0xEF, 0xBF, 0xBD])
        let good = Array("héllo 世界 😀".utf8)
        XCTAssertNil(good.withUnsafeBufferPointer { UTF8Scan.repaired($0) })
    }

    func testUnsupportedModelMessageNamesTheKind() {
        let text = TokenizerError.unsupportedModel("bert").description
        XCTAssertTrue(text.contains("'bert'") && text.contains("WordPiece"), text)
        XCTAssertTrue(text.contains("supported: gpt2"), text)
    }
}
