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
                        "Q4_K_S", "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K", "IQ2_XXS", "IQ2_XS", "Q2_K_S", "IQ3_XS",
                        "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ3_M", "IQ2_S", "IQ2_M", "IQ4_XS", "IQ1_M", "BF16",
                        "TQ1_0", "TQ2_0", "MXFP4_MOE"])
        XCTAssertEqual(LlamaFileType.named("IQ2_S")?.defaultType, .iq2_xs, "llama_ftype_get_default_type")
        XCTAssertEqual(LlamaFileType.named("IQ3_XS")?.defaultType, .iq3_s)
        XCTAssertEqual(LlamaFileType.named("Q4_K_M")?.defaultType, .q4_K)
        XCTAssertEqual(LlamaFileType.named("Q3_K_L")?.defaultType, .q3_K)
    }
}
