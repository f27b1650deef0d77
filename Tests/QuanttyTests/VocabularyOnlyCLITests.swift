import Foundation
import GGUF
import XCTest
import TestSupport

/// `quantty tokenize` and `inspect` on vocabulary-only files (metadata without tensors, like
/// llama.cpp's `models/ggml-vocab-*.gguf`), made here from the tiny llama fixture.
final class VocabularyOnlyCLITests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "quantty-vocab-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func tinySource() throws -> String {
        let p = CLI.fixtures + "/tiny/tiny-llama-f32.gguf"
        guard FileManager.default.fileExists(atPath: p) else {
            print("skip: \(p) is absent")
            throw TestEnvironment.missing("\(p) is absent")
        }
        return p
    }

    /// The tiny llama's metadata with no tensors, `edit` applied.
    func vocabularyOnly(_ name: String, edit: (inout GGUFWriter) -> Void = { _ in }) throws -> String {
        var w = GGUFWriter(metadataOf: try GGUFFile(path: try tinySource()))
        edit(&w)
        let path = dir + "/" + name
        try w.write(to: path)
        return path
    }

    /// The same ids from the vocabulary alone as from the whole model, in both modes.
    func testTokenizeMatchesTheModel() throws {
        let model = try tinySource()
        let vocab = try vocabularyOnly("vocab.gguf")
        let text = "Hello, tiny world! 模型 😀 <|im_start|>x"
        for flags in [[], ["--no-add-special", "--no-parse-special"]] {
            let fromVocab = try CLI.run(["tokenize", "-m", vocab, "--json"] + flags + [text])
            XCTAssertEqual(fromVocab.status, 0, fromVocab.stderr)
            let fromModel = try CLI.run(["tokenize", "-m", model, "--json"] + flags + [text])
            XCTAssertEqual(fromModel.status, 0, fromModel.stderr)
            XCTAssertTrue(fromVocab.stdout.contains("\"ids\":[") && fromVocab.stdout.count > 10, fromVocab.stdout)
            XCTAssertEqual(fromVocab.stdout, fromModel.stdout, "flags \(flags)")
        }
        // The readable listing too: one line per id with its piece.
        let listing = try CLI.run(["tokenize", "-m", vocab, "Hello"])
        XCTAssertEqual(listing.status, 0, listing.stderr)
        XCTAssertTrue(listing.stdout.contains("-> '"), listing.stdout)
    }

    func testInspectShowsTheTokenizer() throws {
        let vocab = try vocabularyOnly("vocab.gguf")
        let r = try CLI.run(["inspect", vocab])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("0 tensors"), r.stdout)
        XCTAssertTrue(r.stdout.contains("tokenizer"), r.stdout)
    }

    /// A WordPiece vocabulary is refused with one message naming the file, the key and the kind.
    func testWordPieceVocabularyIsRefusedByName() throws {
        let vocab = try vocabularyOnly("bert.gguf") { $0["tokenizer.ggml.model"] = .string("bert") }
        let r = try CLI.run(["tokenize", "-m", vocab, "hi"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertFalse(r.uncaughtSignal)
        for m in [vocab, "tokenizer.ggml.model 'bert'", "WordPiece"] {
            XCTAssertTrue(r.stderr.contains(m), "expected '\(m)' in: \(r.stderr)")
        }
    }
}
