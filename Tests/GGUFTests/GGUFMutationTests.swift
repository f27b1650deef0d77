import Foundation
import XCTest
import GGUF

/// Every byte sequence is a valid file or a typed error: mutants of a real file must never
/// crash, hang or read out of bounds. Seeded, so a failure names a mutant that reproduces.
final class GGUFMutationTests: XCTestCase {
    static let seed: UInt64 = 0x6767_7566_2024

    /// The tiny llama fixture (a real llama.cpp-written model); a file from our writer when
    /// the fixtures are absent, so the test always runs.
    private func baseFile() throws -> (name: String, bytes: [UInt8]) {
        if let path = try? TestData.tinyModel("tiny-llama-q8_0.gguf") {
            return (path, [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        }
        print("mutation test: tiny fixture absent, mutating a synthetic file instead")
        return ("<sample>", try Sample.writer().serialized())
    }

    func testTenThousandMutantsParseOrThrowTypedErrors() throws {
        let (name, original) = try baseFile()
        let map = HeaderMap(original)
        let dataOffset = try withParsed(original) { $0.dataOffset }
        let headerEnd = dataOffset + 64   // the header region and a little data
        var rng = SplitMix64(seed: Self.seed)
        var mutants = 0, parsed = 0
        var errorKinds: [String: Int] = [:]
        let start = Date()

        // One mutable copy, mutated and restored in place: no per-mutant copy of the file.
        var bytes = original
        func check(_ count: Int, _ what: @autoclosure () -> String) {
            mutants += 1
            bytes.withUnsafeBytes { all in
                let buf = UnsafeRawBufferPointer(rebasing: all[0 ..< count])
                do throws(GGUFError) {
                    let f = try GGUFFile(unsafeBytes: buf)
                    parsed += 1
                    // Everything a successful parse hands out must lie inside the buffer.
                    for t in f.tensors {
                        let d = f.tensorData(t)
                        XCTAssertGreaterThanOrEqual(d.baseAddress!, buf.baseAddress!, what())
                        XCTAssertLessThanOrEqual(d.baseAddress! + d.count, buf.baseAddress! + buf.count, what())
                        XCTAssertEqual(d.count, t.byteCount, what())
                    }
                    _ = GGUFSummary(f).text
                } catch {
                    errorKinds[Mirror(reflecting: error).children.first?.label ?? "\(error)", default: 0] += 1
                }
            }
        }

        // 1. Truncation at every byte of the header region (every field boundary included).
        for n in 0 ... headerEnd { check(n, "truncated to \(n) bytes of \(name)") }

        // 2. Random byte flips in the header region: 1 to 4 bytes.
        for i in 0 ..< 3000 {
            let k = Int.random(in: 1 ... 4, using: &rng)
            let at = (0 ..< k).map { _ in Int.random(in: 0 ..< headerEnd, using: &rng) }
            let saved = at.map { bytes[$0] }
            for p in at { bytes[p] = UInt8.random(in: 0 ... 255, using: &rng) }
            check(bytes.count, "byte flip #\(i) at \(at) in \(name)")
            for (p, v) in zip(at, saved).reversed() { bytes[p] = v }
        }

        // 3. Length, count, dimension and offset fields set to huge or off-by-one values.
        let u64Fields = map.fields.filter { [.u64Length, .u64Dimension, .u64Offset].contains($0.kind) }.map(\.offset)
        for i in 0 ..< 2000 {
            let at = u64Fields.randomElement(using: &rng)!
            let old = Array(bytes[at ..< at + 8])
            let current = old.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let value: UInt64 = [UInt64.max, 1 << 63, 1 << 32, UInt64(Int.max), current &+ 1, current &- 1, 0,
                                 UInt64(bytes.count), UInt64.random(in: 0 ... .max, using: &rng)][i % 9]
            bytes.put64(value, at: at)
            check(bytes.count, "u64 at \(at) set to \(value) in \(name)")
            bytes.replaceSubrange(at ..< at + 8, with: old)
        }

        // 4. Type tags and dimension counts set to neighbouring and random values.
        let u32Fields = map.fields.filter { $0.kind == .u32Type || $0.kind == .u32Count }.map(\.offset)
        for i in 0 ..< 2000 {
            let at = u32Fields.randomElement(using: &rng)!
            let old = Array(bytes[at ..< at + 4])
            let value: UInt32 = [0, 1, 5, 7, 8, 9, 12, 13, 16, 39, 99, .max, UInt32.random(in: 0 ... .max, using: &rng)][i % 13]
            bytes.put32(value, at: at)
            check(bytes.count, "u32 at \(at) set to \(value) in \(name)")
            bytes.replaceSubrange(at ..< at + 4, with: old)
        }

        // 5. Truncated mutants: a flip and a cut together.
        for i in 0 ..< 1500 {
            let at = Int.random(in: 0 ..< headerEnd, using: &rng)
            let saved = bytes[at]
            bytes[at] = UInt8.random(in: 0 ... 255, using: &rng)
            check(Int.random(in: at ... headerEnd, using: &rng), "flip at \(at) and cut #\(i) in \(name)")
            bytes[at] = saved
        }

        XCTAssertEqual(bytes, original, "mutations were all restored")
        let seconds = Date().timeIntervalSince(start)
        print("mutation test: \(mutants) mutants of \(name) (header \(dataOffset) bytes) in \(String(format: "%.2f", seconds)) s;",
              "\(parsed) parsed, errors: \(errorKinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        XCTAssertGreaterThanOrEqual(mutants, 10_000)
        XCTAssertGreaterThan(errorKinds.count, 8, "mutants reach many different checks")
    }

    /// A few dozen mutants of the real SmolLM2 header, aimed past its 1.7 MB of vocabulary at
    /// the tensor infos (each parse reads the whole header, ~70 ms in debug, so this stays small).
    func testSmolLM2TensorInfoMutants() throws {
        let path = try TestData.realModel(TestData.smolLM2)
        let f = try GGUFFile(path: path)
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: f.dataOffset + 4096)
        XCTAssertEqual(bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }, bytes.count)
        let map = HeaderMap(bytes)
        let kvEnd = map.fields.first(where: { $0.kind == .u32Count })!.offset   // first tensor's n_dims
        let fields = map.fields.filter { $0.offset >= kvEnd - 40 }
        var rng = SplitMix64(seed: Self.seed)
        var outcomes = 0
        for i in 0 ..< 24 {
            let field = fields.randomElement(using: &rng)!
            let width = field.kind == .u32Type || field.kind == .u32Count ? 4 : 8
            let old = Array(bytes[field.offset ..< field.offset + width])
            for k in 0 ..< width where Bool.random(using: &rng) { bytes[field.offset + k] = UInt8.random(in: 0 ... 255, using: &rng) }
            if i % 4 == 0 { bytes[field.offset + width - 1] = 0xFF }
            let e = parseError(bytes)
            if e != nil { outcomes += 1 }
            bytes.replaceSubrange(field.offset ..< field.offset + width, with: old)
        }
        // The tail of the data is cut off, so only mutants that break the header earlier and
        // those that leave it intact both throw; none may crash.
        XCTAssertEqual(outcomes, 24)
    }
}
