import Foundation
import XCTest
import TestSupport
import GGUF

final class GGUFWriterTests: XCTestCase {

    // MARK: - Round trips

    func testRoundTripEveryValueTypeAndTensor() throws {
        let w = try Sample.writer()
        let bytes = try w.serialized()
        try withParsed(bytes) { f in
            XCTAssertEqual(f.version, 3)
            XCTAssertEqual(f.metadataKeys, Sample.metadata.map(\.0))
            for (k, v) in Sample.metadata { XCTAssertEqual(f[k], v, k) }
            XCTAssertEqual(f.alignment, 32)
            XCTAssertEqual(f.dataOffset % 32, 0)
            XCTAssertEqual(f.tensors.map(\.name), Sample.tensors.map(\.0))
            for (i, (name, shape, type)) in Sample.tensors.enumerated() {
                let (info, data) = try f.tensorData(named: name)
                XCTAssertEqual(info.shape, shape)
                XCTAssertEqual(info.type, type)
                XCTAssertEqual(info.offset % 32, 0, name)
                XCTAssertEqual(Array(data), Sample.bytes(info.byteCount, seed: i), name)
            }
        }
        XCTAssertEqual(bytes.count % 32, 0, "the last tensor is padded like ggml does")
    }

    func testExactBytesOfASmallFile() throws {
        var w = GGUFWriter()
        w["a"] = .uint8(7)
        try w.addTensor(name: "t", shape: [3], type: .f32, data: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
        var e = RawGGUF.header(tensors: 1, kv: 1)
        e.string("a"); e.u32(0); e.u8(7)
        e.tensorInfo("t", shape: [3], type: 0, offset: 0)
        while e.bytes.count % 32 != 0 { e.u8(0) }
        e.bytes += [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] + [UInt8](repeating: 0, count: 20)
        XCTAssertEqual(try w.serialized(), e.bytes)
    }

    func testEmptyFileRoundTrips() throws {
        let bytes = try GGUFWriter().serialized()
        XCTAssertEqual(bytes.count, 32)
        try withParsed(bytes) { f in
            XCTAssertTrue(f.metadataKeys.isEmpty)
            XCTAssertTrue(f.tensors.isEmpty)
        }
    }

    func testCustomAlignmentIsHonoured() throws {
        for a: UInt32 in [1, 8, 64, 4096] {
            let w = try Sample.writer(alignment: a)
            XCTAssertEqual(w.alignment, Int(a))
            let bytes = try w.serialized()
            XCTAssertEqual(bytes.count % Int(a), 0)
            try withParsed(bytes) { f in
                XCTAssertEqual(f.alignment, Int(a))
                XCTAssertEqual(f.dataOffset % Int(a), 0)
                for t in f.tensors { XCTAssertEqual(t.offset % Int(a), 0) }
                for (i, t) in f.tensors.enumerated() {
                    XCTAssertEqual(Array(f.tensorData(t)), Sample.bytes(t.byteCount, seed: i))
                }
            }
        }
    }

    func testSetReplacesInPlaceAndRemoves() {
        var w = GGUFWriter()
        w["a"] = .uint8(1); w["b"] = .uint8(2); w["c"] = .uint8(3)
        w["b"] = .string("two")
        w["a"] = nil
        XCTAssertEqual(w.metadata.map(\.key), ["b", "c"])
        XCTAssertEqual(w["b"], .string("two"))
    }

    func testNestingAtTheLimitRoundTrips() throws {
        var v = GGUFValue.array(.uint8, [.uint8(1)])
        for _ in 1 ..< 8 { v = .array(.array, [v]) }   // 8 levels: the most the reader takes
        var w = GGUFWriter()
        w["deep"] = v
        try withParsed(try w.serialized()) { XCTAssertEqual($0["deep"], v) }
        w["deep"] = .array(.array, [v])
        XCTAssertThrowsError(try w.serialized()) { XCTAssertEqual($0 as? GGUFWriteError, .nestingTooDeep(key: "deep")) }
    }

    // MARK: - What the writer refuses

    func testWriterRefusesInvalidInput() throws {
        func refuses(_ expected: GGUFWriteError, _ body: () throws -> Void, line: UInt = #line) {
            XCTAssertThrowsError(try body(), line: line) { XCTAssertEqual($0 as? GGUFWriteError, expected, line: line) }
        }
        refuses(.emptyKey) { var w = GGUFWriter(); w[""] = .uint8(1); _ = try w.serialized() }
        refuses(.mixedArray(key: "m", expected: .int32, found: .uint8)) {
            var w = GGUFWriter(); w["m"] = .array(.int32, [.int32(1), .uint8(2)]); _ = try w.serialized()
        }
        for bad: GGUFValue in [.uint32(0), .uint32(3), .uint32(131_072), .uint64(32), .int32(32)] {
            refuses(.badAlignment(bad)) { var w = GGUFWriter(); w["general.alignment"] = bad; _ = try w.serialized() }
        }
        refuses(.badTensorName("", reason: "empty")) { _ = try GGUFTensorSpec(name: "", shape: [1], type: .f32) }
        let long = String(repeating: "x", count: 64)
        refuses(.badTensorName(long, reason: "64 bytes, ggml allows at most 63")) { _ = try GGUFTensorSpec(name: long, shape: [1], type: .f32) }
        for shape in [[], [0], [4, -1], [1, 1, 1, 1, 1], [1 << 30, 1 << 30]] {
            refuses(.badShape(tensor: "t", shape: shape)) { _ = try GGUFTensorSpec(name: "t", shape: shape, type: .f32) }
        }
        refuses(.rowNotWholeBlocks(tensor: "t", type: .q4_K, width: 128)) { _ = try GGUFTensorSpec(name: "t", shape: [128], type: .q4_K) }
        refuses(.dataSizeMismatch(tensor: "t", expected: 8, got: 7)) {
            var w = GGUFWriter(); try w.addTensor(name: "t", shape: [2], type: .f32, data: [UInt8](repeating: 0, count: 7))
        }
        refuses(.duplicateTensor("t")) {
            var w = GGUFWriter()
            try w.addTensor(name: "t", shape: [1], type: .f32, data: [0, 0, 0, 0])
            try w.addTensor(name: "t", shape: [1], type: .f32, data: [0, 0, 0, 0])
        }
    }

    // MARK: - Files on disk

    func testWriteToPathIsAtomicAndLeavesNoTemporaryFile() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir + "/m.gguf"
        try "old".write(toFile: path, atomically: false, encoding: .utf8)
        let w = try Sample.writer()
        try w.write(to: path)
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), try w.serialized())
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["m.gguf"])
        let f = try GGUFFile(path: path)
        XCTAssertEqual(f.tensors.count, Sample.tensors.count)
    }

    func testWriteIntoMissingFolderFailsCleanly() throws {
        let path = "/nonexistent-\(getpid())/m.gguf"
        XCTAssertThrowsError(try GGUFWriter().write(to: path)) { e in
            guard case .io(let p, "create", _)? = e as? GGUFWriteError else { return XCTFail("\(e)") }
            XCTAssertEqual(p, path + ".tmp-\(getpid())")
        }
    }

    func testStreamWriterOutOfOrderMatchesInMemory() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir + "/s.gguf"
        let w = try Sample.writer()
        let s = try GGUFStreamWriter(path: path, metadata: w.metadata, tensors: w.tensors)
        XCTAssertTrue(FileManager.default.fileExists(atPath: s.temporaryPath))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "nothing at the final path before finish")
        for (i, spec) in w.tensors.enumerated().reversed() {
            try s.write(spec.name, data: Sample.bytes(spec.byteCount, seed: i))
        }
        XCTAssertThrowsError(try s.write("odd", data: Sample.bytes(12, seed: 4))) {
            XCTAssertEqual($0 as? GGUFWriteError, .tensorWrittenTwice("odd"))
        }
        XCTAssertThrowsError(try s.write("nope", data: [])) { XCTAssertEqual($0 as? GGUFWriteError, .unknownTensor("nope")) }
        XCTAssertThrowsError(try s.write("last", data: [1])) { XCTAssertEqual($0 as? GGUFWriteError, .tensorWrittenTwice("last")) }
        try s.finish()
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), try w.serialized())
        XCTAssertFalse(FileManager.default.fileExists(atPath: s.temporaryPath))
        XCTAssertThrowsError(try s.finish()) { XCTAssertEqual($0 as? GGUFWriteError, .alreadyFinished(path: path)) }
    }

    func testInterruptedStreamLeavesNothingBehind() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir + "/q.gguf"
        try "previous model".write(toFile: path, atomically: false, encoding: .utf8)
        let w = try Sample.writer()
        do {
            let s = try GGUFStreamWriter(path: path, metadata: w.metadata, tensors: w.tensors)
            try s.write(w.tensors[0].name, data: Sample.bytes(w.tensors[0].byteCount, seed: 0))
            XCTAssertThrowsError(try s.finish()) { e in
                guard case .tensorsNotWritten(let missing)? = e as? GGUFWriteError else { return XCTFail("\(e)") }
                XCTAssertEqual(missing, w.tensors.dropFirst().map(\.name))
            }
            XCTAssertThrowsError(try s.write("odd", data: [1])) {
                XCTAssertEqual($0 as? GGUFWriteError, .dataSizeMismatch(tensor: "odd", expected: 12, got: 1))
            }
            // dropped here without finish, as when a quantizer throws
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["q.gguf"])
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "previous model")

        let s = try GGUFStreamWriter(path: path, metadata: w.metadata, tensors: w.tensors)
        s.cancel()
        s.cancel()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["q.gguf"])
        XCTAssertThrowsError(try s.write("odd", data: [])) { XCTAssertEqual($0 as? GGUFWriteError, .alreadyFinished(path: path)) }
    }

    // MARK: - Re-writing real files byte for byte

    /// Copies `file` (metadata in order, tensors in order) into a writer.
    private func copy(_ file: GGUFFile) throws -> GGUFWriter {
        var w = GGUFWriter(metadataOf: file)
        for t in file.tensors { try w.addTensor(name: t.name, shape: t.shape, type: t.type, bytes: file.tensorData(t)) }
        return w
    }

    func testRewritingTinyFixturesReproducesThemExactly() throws {
        var compared = 0
        for name in TestData.tinyModels {
            guard let path = try? TestData.tinyModel(name) else { continue }
            let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let f = try GGUFFile(path: path)
            XCTAssertEqual(try copy(f).serialized(), original, name)
            compared += 1
        }
        if compared == 0 { throw TestEnvironment.missing("no tiny fixtures") }
    }

    func testRewritingSmolLM2ReproducesItExactly() throws {
        let path = try TestData.realModel(TestData.smolLM2)
        let f = try GGUFFile(path: path)
        let dir = try makeTemporaryDirectory(self)
        let out = dir + "/copy.gguf"
        let w = GGUFWriter(metadataOf: f)
        let specs = try f.tensors.map { t throws(GGUFWriteError) in try GGUFTensorSpec(name: t.name, shape: t.shape, type: t.type) }
        let s = try GGUFStreamWriter(path: out, metadata: w.metadata, tensors: specs)
        XCTAssertEqual(s.dataOffset, f.dataOffset)
        XCTAssertEqual(s.tensors, f.tensors, "offsets computed like ggml's")
        for t in f.tensors { try s.write(t.name, bytes: f.tensorData(t)) }
        try s.finish()
        let a = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        let b = try Data(contentsOf: URL(fileURLWithPath: out), options: .alwaysMapped)
        XCTAssertEqual(a.count, b.count)
        XCTAssertTrue(a == b, "re-written SmolLM2 differs from the original")
        let g = try GGUFFile(path: out)
        XCTAssertEqual(g.metadataKeys, f.metadataKeys)
        XCTAssertEqual(g.metadata, f.metadata)
    }
}
