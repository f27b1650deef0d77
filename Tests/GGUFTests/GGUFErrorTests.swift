import Foundation
import XCTest
import GGUF

/// One test per way a file can be wrong, each checking the typed error and what it says.
final class GGUFErrorTests: XCTestCase {

    /// A small valid file: two keys, two tensors.
    private func small() throws -> [UInt8] {
        var w = GGUFWriter()
        w["general.architecture"] = .string("llama")
        w["tokenizer.ggml.tokens"] = .array(.string, [.string("a"), .string("bc")])
        try w.addTensor(name: "w", shape: [32, 2], type: .q8_0, data: Sample.bytes(68, seed: 1))
        try w.addTensor(name: "n", shape: [4], type: .f32, data: Sample.bytes(16, seed: 2))
        return try w.serialized()
    }

    private func expect(_ bytes: [UInt8], _ expected: GGUFError, message: String? = nil, line: UInt = #line) {
        let e = parseError(bytes)
        XCTAssertEqual(e, expected, line: line)
        if let message, let e { XCTAssertEqual(e.description, message, line: line) }
    }

    // MARK: - Header

    func testBadMagic() throws {
        var b = try small()
        b[0] = UInt8(ascii: "X")
        expect(b, .badMagic(found: 0x4655_4758), message: "not a GGUF file: bad magic 0x46554758 at byte 0 (expected \"GGUF\")")
    }

    func testUnsupportedVersions() throws {
        var b = try small()
        for v: UInt32 in [0, 1, 4] {
            b.put32(v, at: 4)
            expect(b, .unsupportedVersion(v))
        }
        b.put32(0x0300_0000, at: 4)
        XCTAssertTrue(parseError(b)!.description.contains("big-endian"))
        b.put32(2, at: 4)
        XCTAssertNil(parseError(b), "version 2 has the same layout")
    }

    func testTruncationAtEveryHeaderBoundary() throws {
        let b = try small()
        let map = HeaderMap(b)
        let dataOffset = try withParsed(b) { $0.dataOffset }
        // Every field start and every byte in between, up to the end of the tensor infos.
        for n in 0 ..< map.end {
            switch parseError(Array(b[0 ..< n])) {
            case .truncated?, .lengthPastEnd?: break
            case let e: XCTFail("prefix of \(n) bytes: \(String(describing: e))")
            }
        }
        for f in map.fields {
            guard case .truncated(let at, _)? = parseError(Array(b[0 ..< f.offset + 1])) else {
                if case .lengthPastEnd? = parseError(Array(b[0 ..< f.offset + 1])) { continue }
                return XCTFail("field at \(f.offset)")
            }
            XCTAssertLessThanOrEqual(at, f.offset)
        }
        // Past the header the tensors are what is missing.
        for n in map.end ..< b.count - 28 {
            guard case .tensorOutOfBounds? = parseError(Array(b[0 ..< n])) else { return XCTFail("prefix of \(n) bytes") }
        }
        XCTAssertEqual(parseError(Array(b[0 ..< dataOffset + 68 + 28 + 16])), nil, "only the last tensor's padding missing")
    }

    func testTruncatedMessageSaysWhere() throws {
        let b = try small()
        expect(Array(b[0 ..< 10]), .truncated(offset: 8, reading: "tensor count"),
               message: "file truncated at byte 8 while reading tensor count")
    }

    // MARK: - Lengths and counts

    func testStringLengthPastEnd() throws {
        var b = try small()
        let keyLength = HeaderMap(b).offsets(.u64Length)[2]   // after the two counts: the first key
        b.put64(UInt64(b.count), at: keyLength)
        expect(b, .lengthPastEnd(offset: keyLength, length: UInt64(b.count), reading: "key of metadata entry 0"))
        b.put64(UInt64.max, at: keyLength)
        expect(b, .lengthPastEnd(offset: keyLength, length: UInt64.max, reading: "key of metadata entry 0"))
    }

    func testArrayLengthPastEnd() throws {
        var b = try small()
        // The array's count is the length field right after its u32 element type.
        let map = HeaderMap(b)
        let elemType = map.offsets(.u32Type)[2]
        b.put64(1 << 40, at: elemType + 4)
        expect(b, .lengthPastEnd(offset: elemType + 4, length: 1 << 40, reading: "array 'tokenizer.ggml.tokens'"))
    }

    func testHugeCounts() throws {
        var b = try small()
        b.put64(UInt64.max, at: 16)
        expect(b, .lengthPastEnd(offset: 16, length: UInt64.max, reading: "metadata count"))
        b = try small()
        b.put64(1 << 62, at: 8)
        expect(b, .lengthPastEnd(offset: 8, length: 1 << 62, reading: "tensor count"))
        b = try small()
        b.put64(3, at: 16)   // one more key than there is: the tensor infos are read as one
        XCTAssertNotNil(parseError(b))
    }

    // MARK: - Tensor shapes and types

    private func oneTensor(_ shape: [UInt64], type: UInt32 = 0, offset: UInt64 = 0, name: String = "t",
                           kv: [(String, UInt32, (inout RawGGUF) -> Void)] = []) -> [UInt8] {
        var r = RawGGUF.header(tensors: 1, kv: UInt64(kv.count))
        for (k, t, v) in kv { r.string(k); r.u32(t); v(&r) }
        r.tensorInfo(name, shape: shape, type: type, offset: offset)
        r.data(4096)
        return r.bytes
    }

    func testDimensionOverflow() {
        expect(oneTensor([1 << 32, 1 << 32]), .dimensionOverflow(tensor: "t"))
        expect(oneTensor([UInt64.max]), .dimensionOverflow(tensor: "t"))
        expect(oneTensor([1 << 20, 1 << 20, 1 << 20, 1 << 20]), .dimensionOverflow(tensor: "t"),
               message: "tensor 't' has an invalid or overflowing shape")
    }

    func testZeroDimension() {
        expect(oneTensor([4, 0]), .dimensionOverflow(tensor: "t"))
    }

    func testDimensionCount() {
        expect(oneTensor([1, 1, 1, 1, 1]), .tooManyDimensions(tensor: "t", count: 5),
               message: "tensor 't' has 5 dimensions (GGUF allows 1 to 4)")
        expect(oneTensor([]), .tooManyDimensions(tensor: "t", count: 0))
        XCTAssertNil(parseError(oneTensor([1, 1, 1, 1])))
    }

    func testUnknownTensorType() {
        expect(oneTensor([4], type: 99), .unknownTensorType(tensor: "t", raw: 99), message: "unknown type 99 in tensor 't'")
    }

    func testUnsupportedTensorTypes() throws {
        for type in [GGMLType.q8_K, .i32, .f64] {
            var w = GGUFWriter()
            let spec = try GGUFTensorSpec(name: "blk.0.ffn_up.weight", shape: [256], type: type)
            try w.addTensor(spec, data: Sample.bytes(spec.byteCount, seed: 0))
            let e = parseError(try w.serialized())
            XCTAssertEqual(e, .unsupportedTensorType(tensor: "blk.0.ffn_up.weight", type: type))
            XCTAssertEqual(e?.description, "unsupported type \(type.name.uppercased()) in tensor 'blk.0.ffn_up.weight'")
        }
    }

    func testRowNotWholeBlocks() {
        expect(oneTensor([16], type: GGMLType.q8_0.rawValue), .rowNotWholeBlocks(tensor: "t", type: .q8_0, width: 16))
    }

    // MARK: - Tensor data placement

    func testTensorDataOutOfBounds() {
        var r = RawGGUF.header(tensors: 1, kv: 0)
        r.tensorInfo("t", shape: [8], type: 0, offset: 0)
        r.data(31)
        expect(r.bytes, .tensorOutOfBounds(tensor: "t", end: 32, dataSize: 31))
        expect(oneTensor([4], offset: 1 << 49), .tensorOutOfBounds(tensor: "t", end: (1 << 49) + 16, dataSize: 4096))
        expect(oneTensor([4], offset: UInt64.max - 31), .tensorOutOfBounds(tensor: "t", end: .max - 15, dataSize: 4096))
    }

    func testMisalignedOffset() {
        expect(oneTensor([4], offset: 16), .misalignedTensor(tensor: "t", offset: 16, alignment: 32),
               message: "tensor 't' data offset 16 is not aligned to 32 bytes")
    }

    func testOverlappingTensors() {
        var r = RawGGUF.header(tensors: 2, kv: 0)
        r.tensorInfo("a", shape: [16], type: 0, offset: 0)
        r.tensorInfo("b", shape: [16], type: 0, offset: 32)
        r.data(128)
        expect(r.bytes, .tensorsOverlap("a", "b"))
    }

    func testDuplicateTensorName() {
        var r = RawGGUF.header(tensors: 2, kv: 0)
        r.tensorInfo("a", shape: [4], type: 0, offset: 0)
        r.tensorInfo("a", shape: [4], type: 0, offset: 32)
        r.data(64)
        expect(r.bytes, .duplicateTensor("a"), message: "duplicate tensor name 'a'")
    }

    // MARK: - Metadata

    func testDuplicateKey() {
        var r = RawGGUF.header(tensors: 0, kv: 2)
        r.string("k"); r.u32(4); r.u32(1)
        let second = r.bytes.count
        r.string("k"); r.u32(4); r.u32(2)
        expect(r.bytes, .duplicateKey("k", offset: second), message: "duplicate metadata key 'k' at byte \(second)")
    }

    func testBadAlignment() {
        func file(_ type: UInt32, _ put: @escaping (inout RawGGUF) -> Void) -> [UInt8] {
            oneTensor([4], kv: [("general.alignment", type, put)])
        }
        expect(file(4) { $0.u32(0) }, .badAlignment(0))
        expect(file(4) { $0.u32(48) }, .badAlignment(48),
               message: "general.alignment = 48 is not a power of two between 1 and 65536")
        expect(file(4) { $0.u32(1 << 20) }, .badAlignment(1 << 20))
        expect(file(7) { $0.u8(1) }, .wrongType(key: "general.alignment", expected: "uint32", found: .bool))
        expect(file(10) { $0.u64(32) }, .wrongType(key: "general.alignment", expected: "uint32", found: .uint64))
        XCTAssertNil(parseError(file(4) { $0.u32(64) }))
    }

    func testInvalidUTF8InKey() {
        var r = RawGGUF.header(tensors: 0, kv: 1)
        r.rawString([0x67, 0xC3, 0x28])
        r.u32(0); r.u8(0)
        expect(r.bytes, .invalidUTF8(offset: 32, reading: "key of metadata entry 0"))
    }

    func testInvalidUTF8InValueAndTensorName() {
        var r = RawGGUF.header(tensors: 0, kv: 1)
        r.string("k"); r.u32(8); r.rawString([0xFF])
        guard case .invalidUTF8(_, "value of 'k'")? = parseError(r.bytes) else { return XCTFail() }
        var t = RawGGUF.header(tensors: 1, kv: 0)
        t.rawString([0xED, 0xA0, 0x80])   // an encoded surrogate
        t.data(64)
        guard case .invalidUTF8(_, "name of tensor 0")? = parseError(t.bytes) else { return XCTFail() }
    }

    func testBoolByteTwo() {
        var r = RawGGUF.header(tensors: 0, kv: 1)
        r.string("flag"); r.u32(7)
        let at = r.bytes.count
        r.u8(2)
        expect(r.bytes, .invalidBool(offset: at, value: 2, key: "flag"),
               message: "invalid bool byte 2 at byte \(at) for key 'flag' (expected 0 or 1)")
    }

    func testUnknownValueType() {
        var r = RawGGUF.header(tensors: 0, kv: 1)
        r.string("k")
        let at = r.bytes.count
        r.u32(13); r.u8(0)
        expect(r.bytes, .invalidValueType(offset: at, raw: 13, key: "k"))
        var a = RawGGUF.header(tensors: 0, kv: 1)
        a.string("k"); a.u32(9)
        let elemAt = a.bytes.count
        a.u32(0xFFFF_FFFF); a.u64(0)
        expect(a.bytes, .invalidValueType(offset: elemAt, raw: 0xFFFF_FFFF, key: "k"))
    }

    func testNestedArraysTooDeep() {
        func nested(_ depth: Int) -> [UInt8] {
            var r = RawGGUF.header(tensors: 0, kv: 1)
            r.string("deep"); r.u32(9)
            for _ in 0 ..< depth - 1 { r.u32(9); r.u64(1) }
            r.u32(0); r.u64(1); r.u8(42)
            return r.bytes
        }
        XCTAssertNil(parseError(nested(8)))
        guard case .nestingTooDeep(_, "deep")? = parseError(nested(9)) else { return XCTFail() }
        guard case .nestingTooDeep? = parseError(nested(100_000)) else { return XCTFail("deep input must not overflow the stack") }
    }

    // MARK: - Files that are not files

    private func openError(_ path: String) -> GGUFFileError? {
        do throws(GGUFFileError) { _ = try GGUFFile(path: path); return nil } catch { return error }
    }

    func testMissingFile() {
        let path = "/nonexistent/model-\(getpid()).gguf"
        let e = openError(path)
        XCTAssertEqual(e?.path, path)
        XCTAssertEqual(e?.error, .cannotOpen(path: path, reason: "No such file or directory"))
        XCTAssertEqual(e?.description, "\(path): cannot open \(path): No such file or directory")
    }

    func testFolder() throws {
        let dir = try makeTemporaryDirectory(self)
        XCTAssertEqual(openError(dir)?.error, .notAFile(path: dir))
    }

    func testEmptyFile() throws {
        let path = try makeTemporaryDirectory(self) + "/empty.gguf"
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        XCTAssertEqual(openError(path)?.error, .empty(path: path))
        XCTAssertEqual([UInt8]().withUnsafeBytes { buf -> GGUFError? in
            do throws(GGUFError) { _ = try GGUFFile(unsafeBytes: buf); return nil } catch { return error }
        }, .truncated(offset: 0, reading: "magic"))
    }

    func testFifoDoesNotHang() throws {
        let path = try makeTemporaryDirectory(self) + "/pipe.gguf"
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        XCTAssertEqual(openError(path)?.error, .notAFile(path: path))
    }

    func testShortFileOnDiskNamesThePath() throws {
        let path = try makeTemporaryDirectory(self) + "/short.gguf"
        _ = FileManager.default.createFile(atPath: path, contents: Data("GGUF".utf8))
        let e = openError(path)
        XCTAssertEqual(e?.error, .truncated(offset: 4, reading: "version"))
        XCTAssertEqual(e?.description, "\(path): file truncated at byte 4 while reading version")
    }

    // MARK: - Typed getters

    func testTypedGettersReportWrongTypes() throws {
        try withParsed(try small()) { f in
            XCTAssertEqual(try f.string("general.architecture"), "llama")
            XCTAssertEqual(try f.stringArray("tokenizer.ggml.tokens"), ["a", "bc"])
            XCTAssertThrowsError(try f.int("general.architecture")) {
                XCTAssertEqual($0 as? GGUFError, .wrongType(key: "general.architecture", expected: "integer", found: .string))
            }
            XCTAssertThrowsError(try f.float("nope")) { XCTAssertEqual($0 as? GGUFError, .missingKey("nope")) }
            XCTAssertThrowsError(try f.tensorData(named: "nope")) { XCTAssertEqual($0 as? GGUFError, .missingTensor("nope")) }
        }
    }
}
