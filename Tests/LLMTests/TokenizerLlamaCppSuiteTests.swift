import Foundation
import GGUF
import XCTest
@testable import LLM

/// llama.cpp's own tokenizer suite (`tests/test-tokenizer-0.cpp`): the vocabulary-only GGUF files
/// in its `models/` folder, each `ggml-vocab-NAME.gguf` with `.inp` (test texts separated by
/// `\n__ggml_vocab_test__\n`) and `.out` (one line of expected ids per text). llama.cpp tokenizes
/// with `add_special` and `parse_special` both off; so do we.
final class TokenizerLlamaCppSuiteTests: XCTestCase {
    /// The vocabularies with tests that we tokenize; all must be present in the source tree.
    static let checked = ["command-r", "deepseek-coder", "deepseek-llm", "falcon", "gemma-4", "gpt-2",
                          "llama-bpe", "llama-spm", "mpt", "phi-3", "qwen2", "qwen35", "refact", "starcoder"]
    /// Vocabularies we refuse, with the tokenizer model and kind the message must name.
    static let refused = ["bert-bge": ("bert", "WordPiece"), "nomic-bert-moe": ("t5", "Unigram")]
    /// Vocabularies without tests: they must still load.
    static let loadOnly = ["aquila", "baichuan", "gpt-neox"]

    struct Case {
        var text: [UInt8]
        var ids: [Int32]
    }

    /// The texts and expected ids of one vocabulary, read as test-tokenizer-0.cpp reads them.
    static func cases(_ gguf: URL) throws -> [Case] {
        let inp = try [UInt8](Data(contentsOf: URL(fileURLWithPath: gguf.path + ".inp")))
        let out = try String(decoding: Data(contentsOf: URL(fileURLWithPath: gguf.path + ".out")), as: UTF8.self)
        let sep = Array("\n__ggml_vocab_test__\n".utf8)
        var texts: [[UInt8]] = []
        var start = 0, i = 0
        while i + sep.count <= inp.count {
            if inp[i..<(i + sep.count)].elementsEqual(sep) {
                texts.append(Array(inp[start..<i]))
                i += sep.count
                start = i
            } else {
                i += 1
            }
        }
        if start < inp.count { texts.append(Array(inp[start...])) }
        var lines = out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }   // getline: a final newline ends the last line
        guard texts.count == lines.count else {
            throw NSError(domain: "suite", code: 1, userInfo: [NSLocalizedDescriptionKey:
                "\(gguf.lastPathComponent): \(texts.count) inputs but \(lines.count) output lines"])
        }
        return try zip(texts, lines).map { text, line in
            let ids = try line.split(separator: " ").map { s -> Int32 in
                guard let v = Int32(s.trimmingCharacters(in: .whitespaces)) else {
                    throw NSError(domain: "suite", code: 2, userInfo: [NSLocalizedDescriptionKey: "\(gguf.lastPathComponent).out: bad id '\(s)'"])
                }
                return v
            }
            return Case(text: text, ids: ids)
        }
    }

    static func vocabulary(_ src: URL, _ name: String) -> URL {
        src.appendingPathComponent("models/ggml-vocab-\(name).gguf")
    }

    /// Every checked vocabulary: every text gives llama.cpp's ids. Prints a line per vocabulary.
    func testEveryVocabularyMatchesLlamaCpp() throws {
        let src = try LlamaCppSource.require()
        // Any vocabulary with tests that is not in one of the lists is a new one to look at.
        let names = try FileManager.default.contentsOfDirectory(atPath: src.appendingPathComponent("models").path)
            .filter { $0.hasPrefix("ggml-vocab-") && $0.hasSuffix(".gguf.inp") }
            .map { String($0.dropFirst("ggml-vocab-".count).dropLast(".gguf.inp".count)) }
        for n in names where !Self.checked.contains(n) && Self.refused[n] == nil {
            XCTFail("ggml-vocab-\(n).gguf has tests but is not in the checked list")
        }
        var total = 0, matched = 0
        for name in Self.checked {
            let url = Self.vocabulary(src, name)
            guard FileManager.default.fileExists(atPath: url.path) else {
                XCTFail("\(url.path) missing")
                continue
            }
            let t0 = Date()
            let tokenizer = try Tokenizer(gguf: GGUFFile(path: url.path))
            let built = Date().timeIntervalSince(t0)
            let cases = try Self.cases(url)
            var ok = 0
            let t1 = Date()
            for c in cases {
                let ids = c.text.withUnsafeBufferPointer { tokenizer.encode(utf8: $0, addSpecial: false, parseSpecial: false) }
                if ids == c.ids {
                    ok += 1
                } else {
                    XCTFail("""
                        \(name): \(String(decoding: c.text, as: UTF8.self).debugDescription)
                          expected \(c.ids)
                          got      \(ids)
                        """)
                }
            }
            let v = tokenizer.vocabulary
            print(String(format: "llama.cpp suite: %@ (%@, pre %@, %d tokens): %d/%d inputs match (built in %.0f ms, encoded in %.1f ms)",
                         name, v.model.rawValue, v.preTokenizerName, v.count, ok, cases.count,
                         built * 1000, Date().timeIntervalSince(t1) * 1000))
            total += cases.count
            matched += ok
        }
        print("llama.cpp suite: \(matched)/\(total) inputs match over \(Self.checked.count) vocabularies")
    }

    /// Gemma 4: BOS always added, `<turn|>` ends generation, `</s>` is an ordinary token there.
    func testGemma4SpecialTokens() throws {
        let src = try LlamaCppSource.require()
        let tokenizer = try Tokenizer(gguf: GGUFFile(path: Self.vocabulary(src, "gemma-4").path))
        let v = tokenizer.vocabulary
        XCTAssertTrue(v.addBOS)
        XCTAssertEqual(v.bos, 2)
        XCTAssertTrue(tokenizer.isEndOfGeneration(106))   // <turn|>
        XCTAssertFalse(tokenizer.isEndOfGeneration(212))  // </s>
        XCTAssertEqual(v.types[212], .normal)
        // Not special: written in text, it is tokenized like any text.
        XCTAssertEqual(tokenizer.encode("</s> x", parseSpecial: true), tokenizer.encode("</s> x", parseSpecial: false))
        XCTAssertEqual(tokenizer.encode("<turn|> x", addSpecial: true, parseSpecial: true).prefix(2), [2, 106])
        XCTAssertEqual(tokenizer.decode(tokenizer.encode("a  b\n\nc", addSpecial: false)), "a  b\n\nc")
    }

    /// WordPiece and Unigram vocabularies are refused with a message naming the tokenizer model.
    func testUnsupportedTokenizerModelsAreRefusedByName() throws {
        let src = try LlamaCppSource.require()
        for (name, (model, kind)) in Self.refused {
            let url = Self.vocabulary(src, name)
            let file = try GGUFFile(path: url.path)
            XCTAssertThrowsError(try Tokenizer(gguf: file), name) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains("tokenizer.ggml.model '\(model)'") && text.contains(kind), text)
            }
        }
    }

    /// The vocabularies that ship without tests still build a tokenizer that round-trips text.
    func testVocabulariesWithoutTestsLoad() throws {
        let src = try LlamaCppSource.require()
        for name in Self.loadOnly {
            let tokenizer = try Tokenizer(gguf: GGUFFile(path: Self.vocabulary(src, name).path))
            let text = "Hello world, 123!"
            let ids = tokenizer.encode(text, addSpecial: false)
            XCTAssertFalse(ids.isEmpty, name)
            XCTAssertEqual(tokenizer.decode(ids), text, name)
        }
    }
}
