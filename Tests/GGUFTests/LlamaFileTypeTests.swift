import GGUF
import XCTest

/// llama.cpp's file-type table, the one source of level names and `general.file_type` values.
final class LlamaFileTypeTests: XCTestCase {
    func testValuesAndNamesAreUnique() {
        XCTAssertEqual(Set(LlamaFileType.all.map(\.value)).count, LlamaFileType.all.count)
        XCTAssertEqual(Set(LlamaFileType.all.map(\.name)).count, LlamaFileType.all.count)
    }

    func testLookupsAgreeWithLlamaH() {
        // Values from llama.cpp's include/llama.h (llama_ftype).
        let expected: [(Int, String)] = [(0, "F32"), (1, "F16"), (2, "Q4_0"), (3, "Q4_1"), (7, "Q8_0"), (8, "Q5_0"),
                                         (9, "Q5_1"), (10, "Q2_K"), (15, "Q4_K_M"), (18, "Q6_K"), (25, "IQ4_NL"),
                                         (30, "IQ4_XS"), (32, "BF16"), (36, "TQ1_0"), (38, "MXFP4_MOE"), (1024, "GUESSED")]
        for (value, name) in expected {
            XCTAssertEqual(LlamaFileType(value: value)?.name, name)
            XCTAssertEqual(GGUFSummary.fileTypeName(value), name)
            XCTAssertEqual(LlamaFileType.named(name.lowercased()).map { Int($0.value) }, value)
        }
        XCTAssertEqual(GGUFSummary.fileTypeName(99), "unknown (99)")
        XCTAssertNil(LlamaFileType(value: 5), "5 and 6 were removed from llama.cpp")
    }

    func testWritableLevels() {
        XCTAssertEqual(LlamaFileType.writable.map(\.name),
                       ["F32", "F16", "Q4_0", "Q4_1", "Q8_0", "Q5_0", "Q5_1", "Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L",
                        "Q4_K_S", "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K", "BF16"])
        XCTAssertEqual(LlamaFileType.named("Q4_K_M")?.defaultType, .q4_K)
        XCTAssertEqual(LlamaFileType.named("Q3_K_L")?.defaultType, .q3_K)
    }
}
