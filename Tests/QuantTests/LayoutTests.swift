import GGUF
import Quant
import XCTest

final class LayoutTests: XCTestCase {
    /// Each format's layout-derived size must equal GGMLType's size (ggml's static_assert).
    func testBlockSizesMatchGGMLType() {
        XCTAssertEqual(QuantKernels.supportedTypes.count, 27)
        for t in QuantKernels.supportedTypes {
            let k = QuantKernels.kernel(for: t, isa: .portable)!
            XCTAssertEqual(k.layoutTypeSize, t.typeSize, "\(t) typeSize")
            XCTAssertEqual(k.layoutBlockSize, t.blockSize, "\(t) blockSize")
        }
    }

    /// The types the GGUF reader accepts for weights are the kernel table's, less the
    /// activation-only formats; the levels the quantizer writes are the file-type table's.
    func testSupportedTypesComeFromTheTables() {
        let weights = Set(QuantKernels.supportedTypes).subtracting([.q8_1, .q8_K])
        XCTAssertEqual(Set(GGMLType.allCases.filter(\.isSupported)), weights)
        XCTAssertEqual(QuantKernels.supportedTypes, QuantKernels.supportedTypes.sorted { $0.rawValue < $1.rawValue })
        XCTAssertEqual(QuantizationLevel.allCases.map(\.name).sorted(), LlamaFileType.writable.map(\.name).sorted())
        for level in QuantizationLevel.allCases {
            XCTAssertEqual(level.llamaFileType.name, level.name)
            XCTAssertTrue(QuantKernels.supportedTypes.contains(level.defaultType), "\(level) writes a type with kernels")
        }
    }

    func testTableHasEveryTypeAtEveryAvailableISA() {
        for isa in QuantISA.allCases where isa.isAvailable {
            for t in QuantKernels.supportedTypes {
                guard let k = QuantKernels.kernel(for: t, isa: isa) else { XCTFail("\(t) \(isa)"); continue }
                XCTAssertEqual(k.type, t)
                XCTAssertEqual(k.vecDotType.blockSize % t.blockSize == 0 || t.blockSize % k.vecDotType.blockSize == 0, true)
            }
        }
        XCTAssertNil(QuantKernels.kernel(for: .i32))
        let expected: [GGMLType: GGMLType] = [.q4_0: .q8_0, .q5_0: .q8_0, .q8_0: .q8_0, .q4_1: .q8_1, .q5_1: .q8_1,
                                              .q2_K: .q8_K, .q3_K: .q8_K, .q4_K: .q8_K, .q5_K: .q8_K, .q6_K: .q8_K,
                                              .f16: .f16, .bf16: .bf16, .f32: .f32,
                                              // ggml-cpu's type_traits_cpu: IQ4_NL and MXFP4 pair with Q8_0, the other new types with Q8_K.
                                              .iq4_nl: .q8_0, .mxfp4: .q8_0, .iq4_xs: .q8_K, .iq3_xxs: .q8_K, .iq3_s: .q8_K,
                                              .iq2_xxs: .q8_K, .iq2_xs: .q8_K, .iq2_s: .q8_K, .iq1_s: .q8_K, .iq1_m: .q8_K,
                                              .tq1_0: .q8_K, .tq2_0: .q8_K]
        for (t, v) in expected { XCTAssertEqual(QuantKernels.kernel(for: t)?.vecDotType, v, "\(t)") }
    }
}
