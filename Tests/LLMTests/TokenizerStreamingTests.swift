import Foundation
import XCTest
@testable import LLM

/// The streaming detokenizer never emits half a character and adds up to the full decode.
final class TokenizerStreamingTests: XCTestCase {
    static let texts = [
        "模型量化是把高精度的权重转换成低精度的整数。",
        "Emoji test 😀🚀👍🏽 and ❤️ — 家族 👨‍👩‍👧‍👦!",
        "日本語のテキストも少し。 Ünïcödé àccents ñ ø ß",
        "مرحبا بالعالم Привет, мир! 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ꙮ",
        "<start_of_turn>user\nHi<end_of_turn>\n<|im_start|>assistant\n",
    ]

    private func stream(_ model: String) throws {
        let tok = try TokenizerTestSupport.tokenizer(model)
        for text in Self.texts {
            let ids = tok.encode(text, addSpecial: true, parseSpecial: true)
            var dec = tok.makeStreamingDecoder()
            var chunks: [String] = []
            var sawHeldBytes = false
            for id in ids {
                let c = dec.feed(id)
                if dec.pendingByteCount > 0 { sawHeldBytes = true }
                chunks.append(c)
                XCTAssertFalse(c.unicodeScalars.contains("\u{FFFD}"), "\(model): chunk \(c.debugDescription) has a broken character")
            }
            chunks.append(dec.flush())
            XCTAssertEqual(chunks.joined(), tok.decode(ids, removeSpecial: true), model)
            if !text.hasPrefix("<") { XCTAssertEqual(chunks.joined(), text, model) }
            _ = sawHeldBytes
        }
    }

    func testSmolLM2Streaming() throws { try stream(TokenizerTestSupport.smolLM2) }
    func testGemma3Streaming() throws { try stream(TokenizerTestSupport.gemma3) }

    /// Byte-level BPE splits CJK across tokens: the decoder must have held bytes back.
    func testHoldsBackIncompleteCharacters() throws {
        let tok = try TokenizerTestSupport.tokenizer(TokenizerTestSupport.smolLM2)
        let ids = tok.encode("模型量化", addSpecial: false, parseSpecial: false)
        var dec = tok.makeStreamingDecoder()
        var held = false
        for id in ids {
            _ = dec.feed(id)
            if dec.pendingByteCount > 0 { held = true }
        }
        XCTAssertTrue(held)
        XCTAssertEqual(dec.flush(), "")
    }

    func testGemmaByteTokens() throws {
        let tok = try TokenizerTestSupport.tokenizer(TokenizerTestSupport.gemma3)
        // "€" = E2 82 AC, fed as byte tokens <0xE2> <0x82> <0xAC>.
        let bytes = ["<0xE2>", "<0x82>", "<0xAC>"].map { Int32(tok.vocabulary.tokens.firstIndex(of: $0)!) }
        var dec = tok.makeStreamingDecoder()
        XCTAssertEqual(dec.feed(bytes[0]), "")
        XCTAssertEqual(dec.feed(bytes[1]), "")
        XCTAssertEqual(dec.feed(bytes[2]), "€")
        // SentencePiece's ▁ is a space.
        let hello = tok.encode(" hello world", addSpecial: false, parseSpecial: false)
        XCTAssertEqual(dec.feed(hello), " hello world")
    }

    func testCompletePrefixLength() {
        let f = StreamingDecoder.completePrefixLength
        XCTAssertEqual(f([]), 0)
        XCTAssertEqual(f([0x61]), 1)
        XCTAssertEqual(f([0x61, 0xE2]), 1)
        XCTAssertEqual(f([0x61, 0xE2, 0x82]), 1)
        XCTAssertEqual(f([0x61, 0xE2, 0x82, 0xAC]), 4)
        XCTAssertEqual(f([0xF0, 0x9F, 0x98]), 0)
        XCTAssertEqual(f([0x61, 0xFF]), 2)         // invalid: not held
        XCTAssertEqual(f([0x61, 0xE2, 0x41]), 3)   // broken sequence: not held
        XCTAssertEqual(f([0xE0, 0x80]), 2)         // overlong start: invalid
        XCTAssertEqual(f([0x80]), 1)               // stray continuation
    }
}
