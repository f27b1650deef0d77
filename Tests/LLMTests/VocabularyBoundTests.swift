import Foundation
import GGUF
import XCTest
@testable import LLM

/// A crafted vocabulary of more tokens than any model has is refused before any per-token
/// work (issue 13, finding 7: 10M empty tokens took 795 MB and 11 s).
final class VocabularyBoundTests: XCTestCase {
    func vocabulary(tokens n: Int) throws -> Vocabulary {
        var w = GGUFWriter()
        w["tokenizer.ggml.model"] = .string("llama")
        w["tokenizer.ggml.tokens"] = .array(.string, GGUFArray([GGUFValue](repeating: .string(""), count: n)))
        let bytes = try w.serialized()
        return try bytes.withUnsafeBytes { raw in try Vocabulary(gguf: try GGUFFile(unsafeBytes: raw)) }
    }

    func testAVocabularyPastTheBoundIsRefusedNamingTheKey() throws {
        XCTAssertThrowsError(try vocabulary(tokens: Vocabulary.maxTokens + 1)) { e in
            guard case .invalidValue(let key, let reason)? = e as? TokenizerError else { return XCTFail("\(e)") }
            XCTAssertEqual(key, "tokenizer.ggml.tokens")
            XCTAssertTrue(reason.contains("at most \(Vocabulary.maxTokens)"), reason)
        }
        // A real size is read (empty tokens get llama.cpp's placeholder names).
        XCTAssertEqual(try vocabulary(tokens: 1000).count, 1000)
    }
}
