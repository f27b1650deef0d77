import GGUF
@testable import Quant
import XCTest

final class LayoutTests: XCTestCase {
    /// Each format's layout-derived size must equal GGMLType's size (ggml's static_assert).
    func testBlockSizesMatchGGMLType() {
        let formats: [any BlockFormat.Type] = [F32.self, F16.self, BF16.self, Q4_0.self, Q4_1.self, Q5_0.self, Q5_1.self,
                                               Q8_0.self, Q8_1.self, Q2_K.self, Q3_K.self, Q4_K.self, Q5_K.self, Q6_K.self, Q8_K.self]
        for f in formats {
            XCTAssertEqual(f.typeSize, f.type.typeSize, "\(f.type) typeSize")
            XCTAssertEqual(f.blockSize, f.type.blockSize, "\(f.type) blockSize")
        }
        XCTAssertEqual(Set(formats.map { $0.type }), Set(QuantKernels.supportedTypes))
    }

    func testTableHasEveryTypeAtEveryAvailableISA() {
        for isa in QuantISA.allCases where isa.isAvailable {
            for t in QuantKernels.supportedTypes {
                guard let k = QuantKernels.kernel(for: t, isa: isa) else { XCTFail("\(t) \(isa)"); continue }
                XCTAssertEqual(k.type, t)
                XCTAssertEqual(k.vecDotType.blockSize % t.blockSize == 0 || t.blockSize % k.vecDotType.blockSize == 0, true)
            }
        }
        XCTAssertNil(QuantKernels.kernel(for: .iq2_xxs))
        let expected: [GGMLType: GGMLType] = [.q4_0: .q8_0, .q5_0: .q8_0, .q8_0: .q8_0, .q4_1: .q8_1, .q5_1: .q8_1,
                                              .q2_K: .q8_K, .q3_K: .q8_K, .q4_K: .q8_K, .q5_K: .q8_K, .q6_K: .q8_K,
                                              .f16: .f16, .bf16: .bf16, .f32: .f32]
        for (t, v) in expected { XCTAssertEqual(QuantKernels.kernel(for: t)?.vecDotType, v, "\(t)") }
    }
}
