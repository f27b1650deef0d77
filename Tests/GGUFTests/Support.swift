import Foundation
import XCTest
import TestSupport
import GGUF

// MARK: - Where test data lives

enum TestData {
    static var repoRoot: URL? { TestEnvironment.repoRoot }

    /// `<repo root>/../shared/fixtures/tiny/NAME`, or `TestEnvironment.missing`.
    static func tinyModel(_ name: String) throws -> String { try TestEnvironment.fixture("tiny/\(name)").path }

    /// `$XDG_CACHE_HOME/quantty/models/NAME` (default `~/.cache`), or `TestEnvironment.missing`.
    static func realModel(_ name: String) throws -> String { try TestEnvironment.model(name) }

    static let smolLM2 = "SmolLM2-135M-Instruct.Q4_1.gguf"
    static let gemma3 = "gemma-3-270m-q4_k_m.gguf"
    static let tinyModels = ["tiny-llama-f32.gguf", "tiny-llama-q8_0.gguf", "tiny-gemma3-f32.gguf", "tiny-gemma3-q8_0.gguf",
                             "tiny-qwen2-f32.gguf", "tiny-qwen2-q8_0.gguf", "tiny-qwen3-f32.gguf", "tiny-qwen3-q8_0.gguf"]
}

/// A fresh temporary folder, removed when the test ends.
func makeTemporaryDirectory(_ test: XCTestCase) throws -> String {
    let dir = NSTemporaryDirectory() + "gguf-tests-\(getpid())-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
    return dir
}

// MARK: - Parsing helpers

/// Parses `bytes` in memory and hands the file to `body` while the bytes are alive.
func withParsed<R>(_ bytes: [UInt8], _ body: (GGUFFile) throws -> R) throws -> R {
    try bytes.withUnsafeBytes { buf in try body(try GGUFFile(unsafeBytes: buf)) }
}

/// The error parsing `bytes` gives, or nil when they parse.
func parseError(_ bytes: [UInt8]) -> GGUFError? {
    bytes.withUnsafeBytes { buf -> GGUFError? in
        do throws(GGUFError) { _ = try GGUFFile(unsafeBytes: buf); return nil } catch { return error }
    }
}

/// Splittable, seedable generator (SplitMix64) so failing mutants reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

// MARK: - Hand-made bytes

/// Little-endian byte builder for files the writer refuses to produce.
struct RawGGUF {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func string(_ s: String) { u64(UInt64(s.utf8.count)); bytes.append(contentsOf: s.utf8) }
    mutating func rawString(_ b: [UInt8]) { u64(UInt64(b.count)); bytes.append(contentsOf: b) }

    /// Magic, version, tensor count, metadata count.
    static func header(version: UInt32 = 3, tensors: UInt64, kv: UInt64) -> RawGGUF {
        var r = RawGGUF()
        r.bytes = Array("GGUF".utf8)
        r.u32(version)
        r.u64(tensors)
        r.u64(kv)
        return r
    }

    mutating func tensorInfo(_ name: String, shape: [UInt64], type: UInt32, offset: UInt64) {
        string(name)
        u32(UInt32(shape.count))
        for d in shape { u64(d) }
        u32(type)
        u64(offset)
    }

    /// Pads to `alignment` and appends `count` data bytes.
    mutating func data(_ count: Int, alignment: Int = 32) {
        while bytes.count % alignment != 0 { bytes.append(0) }
        bytes.append(contentsOf: repeatElement(0x5A, count: count))
    }
}

// MARK: - Header map (an independent walk, used to aim mutations)

/// Offsets of the header's fields, found by walking a valid file independently of the parser.
struct HeaderMap {
    enum Kind { case u32Type, u64Length, u64Dimension, u64Offset, u32Count, value }
    /// Start offset and kind of every field, in file order.
    var fields: [(offset: Int, kind: Kind)] = []
    /// Where the tensor infos end (before padding).
    var end = 0

    init(_ b: [UInt8]) {
        var p = 0
        func u32() -> UInt32 { defer { p += 4 } ; return b[p ..< p + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        func u64() -> UInt64 { defer { p += 8 } ; return b[p ..< p + 8].reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        func mark(_ k: Kind) { fields.append((p, k)) }
        func string() { mark(.u64Length); p += Int(u64()) }
        func value(_ t: UInt32) {
            switch t {
            case 0, 1, 7: mark(.value); p += 1
            case 2, 3: mark(.value); p += 2
            case 4, 5, 6: mark(.value); p += 4
            case 10, 11, 12: mark(.value); p += 8
            case 8: string()
            case 9:
                mark(.u32Type); let e = u32()
                mark(.u64Length); let n = u64()
                for _ in 0 ..< n { value(e) }
            default: fatalError("HeaderMap needs a valid file")
            }
        }
        p = 8
        mark(.u64Length); let nt = u64()
        mark(.u64Length); let nkv = u64()
        for _ in 0 ..< nkv {
            string()
            mark(.u32Type); value(u32())
        }
        for _ in 0 ..< nt {
            string()
            mark(.u32Count); let nd = u32()
            for _ in 0 ..< nd { mark(.u64Dimension); p += 8 }
            mark(.u32Type); p += 4
            mark(.u64Offset); p += 8
        }
        end = p
    }

    func offsets(_ kind: Kind) -> [Int] { fields.filter { $0.kind == kind }.map(\.offset) }
}

extension Array where Element == UInt8 {
    mutating func put64(_ v: UInt64, at i: Int) { for k in 0 ..< 8 { self[i + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) } }
    mutating func put32(_ v: UInt32, at i: Int) { for k in 0 ..< 4 { self[i + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(k))) } }
}

// MARK: - A sample file exercising every value type

enum Sample {
    /// Deterministic tensor bytes.
    static func bytes(_ n: Int, seed: Int) -> [UInt8] { (0 ..< n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed &* 7 &+ 3) } }

    static let metadata: [(String, GGUFValue)] = [
        ("general.architecture", .string("llama")),
        ("general.name", .string("sample ✓ ünïcode")),
        ("sample.u8", .uint8(200)), ("sample.i8", .int8(-100)),
        ("sample.u16", .uint16(60000)), ("sample.i16", .int16(-30000)),
        ("sample.u32", .uint32(4_000_000_000)), ("sample.i32", .int32(-2_000_000_000)),
        ("sample.u64", .uint64(UInt64.max)), ("sample.i64", .int64(Int64.min)),
        ("sample.f32", .float32(3.25)), ("sample.f64", .float64(-1e300)),
        ("sample.true", .bool(true)), ("sample.false", .bool(false)),
        ("sample.empty_string", .string("")),
        ("sample.strings", .array(.string, [.string("a"), .string(""), .string("<|im_start|>")])),
        ("sample.floats", .array(.float32, [.float32(1.5), .float32(-0.0)])),
        ("sample.ints", .array(.int32, GGUFArray((0 ..< 10).map { .int32(Int32($0) - 5) }))),
        ("sample.bools", .array(.bool, [.bool(true), .bool(false)])),
        ("sample.u64s", .array(.uint64, [.uint64(1), .uint64(UInt64.max)])),
        ("sample.empty", .array(.uint8, [])),
        ("sample.nested", .array(.array, [.array(.int16, [.int16(1), .int16(2)]), .array(.int16, [])])),
        ("llama.context_length", .uint32(128)),
        ("llama.embedding_length", .uint32(64)),
        ("llama.block_count", .uint32(1)),
        ("general.file_type", .uint32(7)),
    ]

    static let tensors: [(String, [Int], GGMLType)] = [
        ("token_embd.weight", [64, 3], .q8_0),
        ("output_norm.weight", [64], .f32),
        ("blk.0.attn_q.weight", [256, 2], .q4_K),
        ("blk.0.ffn_up.weight", [32, 2, 1, 1], .f16),
        ("odd", [3], .f32),           // 12 bytes: padding inside the data section
        ("last", [32], .q4_1),        // 20 bytes: the last tensor is padded too
    ]

    static func writer(alignment: UInt32? = nil) throws -> GGUFWriter {
        var w = GGUFWriter()
        for (k, v) in metadata { w[k] = v }
        if let a = alignment { w["general.alignment"] = .uint32(a) }
        for (i, (name, shape, type)) in tensors.enumerated() {
            let spec = try GGUFTensorSpec(name: name, shape: shape, type: type)
            try w.addTensor(spec, data: bytes(spec.byteCount, seed: i))
        }
        return w
    }
}
