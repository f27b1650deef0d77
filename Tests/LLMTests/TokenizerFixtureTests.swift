import Foundation
import XCTest
@testable import LLM

/// End to end: our ids equal llama.cpp's on the shared fixtures, for both real models.
final class TokenizerFixtureTests: XCTestCase {
    private func check(fixture: String, model: String) throws {
        let tok = try TokenizerTestSupport.tokenizer(model)
        let f = try TokenizerTestSupport.fixture(fixture)
        var passed = 0
        for c in f.cases {
            let ids = tok.encode(c.text, addSpecial: c.add_special, parseSpecial: c.parse_special)
            if ids == c.ids {
                passed += 1
            } else {
                XCTFail("""
                    \(fixture): \(c.text.debugDescription) add_special=\(c.add_special) parse_special=\(c.parse_special)
                      expected \(c.ids)
                      got      \(ids)
                    """)
            }
        }
        print("\(fixture): \(passed)/\(f.cases.count) fixture cases match llama.cpp")
    }

    func testSmolLM2MatchesLlamaCpp() throws {
        try check(fixture: "smollm2", model: TokenizerTestSupport.smolLM2)
    }

    func testGemma3MatchesLlamaCpp() throws {
        try check(fixture: "gemma3", model: TokenizerTestSupport.gemma3)
    }

    /// decode(encode(text)) gives the text back (both vocabularies keep spaces as they are).
    private func roundTrip(fixture: String, model: String) throws {
        let tok = try TokenizerTestSupport.tokenizer(model)
        let f = try TokenizerTestSupport.fixture(fixture)
        for c in f.cases {
            for parse in [false, true] {
                let ids = tok.encode(c.text, addSpecial: true, parseSpecial: parse)
                XCTAssertEqual(tok.decode(ids, removeSpecial: true, renderSpecial: true), c.text, "\(fixture) parse=\(parse)")
            }
        }
    }

    func testSmolLM2RoundTrip() throws {
        try roundTrip(fixture: "smollm2", model: TokenizerTestSupport.smolLM2)
    }

    func testGemma3RoundTrip() throws {
        try roundTrip(fixture: "gemma3", model: TokenizerTestSupport.gemma3)
    }

    func testMetadataDefaults() throws {
        let smol = try TokenizerTestSupport.tokenizer(TokenizerTestSupport.smolLM2).vocabulary
        XCTAssertEqual(smol.model, .bpe)
        XCTAssertEqual(smol.preTokenizer.family, .starcoder)
        XCTAssertFalse(smol.addBOS)
        XCTAssertEqual(smol.bos, 1)
        XCTAssertEqual(smol.eos, 2)
        XCTAssertEqual(smol.eot, 2)  // <|im_end|>
        XCTAssertTrue(smol.endOfGeneration.isSuperset(of: [0, 2]))

        let gemma = try TokenizerTestSupport.tokenizer(TokenizerTestSupport.gemma3).vocabulary
        XCTAssertEqual(gemma.model, .spm)
        XCTAssertTrue(gemma.addBOS)
        XCTAssertFalse(gemma.addSpacePrefix)
        XCTAssertEqual(gemma.bos, 2)
        XCTAssertEqual(gemma.eos, 1)
        XCTAssertEqual(gemma.eot, 106)  // <end_of_turn>
        XCTAssertTrue(gemma.endOfGeneration.isSuperset(of: [1, 106]))
    }

    /// The perplexity fixture's text, tokenized whole with BOS (llama-perplexity's first step).
    func testGPLTokenCountsAndSpeed() throws {
        let text = try TokenizerTestSupport.text("perplexity/gpl3.txt")
        for model in [TokenizerTestSupport.smolLM2, TokenizerTestSupport.gemma3] {
            let tok = try TokenizerTestSupport.tokenizer(model)
            _ = tok.encode("warm up", addSpecial: true, parseSpecial: false)
            var ids: [Int32] = []
            var dt = Double.infinity
            for _ in 0..<3 {
                let t0 = Date()
                ids = tok.encode(text, addSpecial: true, parseSpecial: false)
                dt = min(dt, Date().timeIntervalSince(t0))
            }
            print(String(format: "%@: gpl3.txt (%d bytes) -> %d tokens in %.1f ms, %d chunks of 256",
                         model, text.utf8.count, ids.count, dt * 1000, ids.count / 256))
            XCTAssertEqual(tok.decode(ids, removeSpecial: true), text)
            // llama-perplexity -c 256 scored 29 chunks on both models.
            XCTAssertEqual(ids.count / 256, 29, model)
        }
    }
}
