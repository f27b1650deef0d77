import LLM
import XCTest

/// The one context rule and the one KV-cache size formula.
final class ContextPolicyTests: XCTestCase {
    func testDefaultIsTheTrainedLengthCappedAndAnAskClamped() {
        XCTAssertEqual(ContextPolicy.contextLength(asked: nil, trained: 8192), 4096)
        XCTAssertEqual(ContextPolicy.contextLength(asked: nil, trained: 2048), 2048)
        XCTAssertEqual(ContextPolicy.contextLength(asked: 512, trained: 8192), 512)
        XCTAssertEqual(ContextPolicy.contextLength(asked: 16384, trained: 8192), 8192, "never beyond the trained length")
    }

    /// The estimate `checkMemory` refuses by is the size the cache then allocates, also with
    /// Gemma's sliding-window rings.
    func testExpectedKVBytesMatchTheAllocatedCache() throws {
        for name in ["tiny/tiny-llama-f32.gguf", "tiny/tiny-gemma3-f32.gguf"] {
            let m = try Model(path: try Fixtures.require(name).path)
            for (ctx, batch) in [(16, 4), (64, 256), (48, 8)] {
                for type in [KVCacheType.f16, .f32] {
                    let s = InferenceSession(model: m, contextLength: ctx, threads: 1, maxBatch: batch, kvCacheType: type)
                    let expected = KVCache.expectedByteCount(configuration: m.configuration, contextLength: ctx,
                                                             maxBatch: s.maxBatch, type: type)
                    XCTAssertEqual(expected, Double(s.cache.byteCount), "\(name) ctx \(ctx) batch \(batch) \(type)")
                }
            }
        }
    }
}
