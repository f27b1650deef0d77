import Catalog
import Foundation
import LLM
import XCTest
import TestSupport
@testable import Engine

/// The engine's model library: the picker's rows from the catalog and the model folder, and
/// a reference made ready to open.
final class ModelLibraryTests: XCTestCase {
    func library() throws -> (ModelLibrary, URL) {
        let src = EngineTests.fixtures + "/tiny/tiny-llama-q8_0.gguf"
        guard FileManager.default.fileExists(atPath: src) else { throw TestEnvironment.missing("\(src) is absent (../shared/fixtures)") }
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("modellib-\(getpid())")
        let models = cache.appendingPathComponent("quantty/models")
        try? FileManager.default.removeItem(at: cache)
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: src, toPath: models.appendingPathComponent("tiny-q8.gguf").path)
        try FileManager.default.copyItem(atPath: src, toPath: models.appendingPathComponent("loose.gguf").path)
        let catalog = try Catalog.parse(text: """
        default = "tiny"

        [models.tiny]
        name = "Tiny"
        context_length = 64
        template = "chatml"

        [models.tiny.sampling]
        temperature = 0.6
        seed = 7

        [models.tiny.levels.Q8_0]
        file = "tiny-q8.gguf"

        [models.tiny.levels.F32]
        file = "tiny-f32.gguf"
        quantize_from = "Q8_0"
        """, path: "t.toml")
        let paths = Paths(environment: ["HOME": cache.path, "XDG_CACHE_HOME": cache.path])
        return (ModelLibrary(catalog: catalog, paths: paths), cache)
    }

    func testListingsShowCatalogLevelsThenLooseFiles() throws {
        let (lib, dir) = try library()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rows = lib.listings()
        XCTAssertEqual(rows.map(\.reference), [.catalog(model: "tiny", level: "Q8_0"), .catalog(model: "tiny", level: "F32"),
                                               .file(path: dir.appendingPathComponent("quantty/models/loose.gguf").standardizedFileURL.path)])
        XCTAssertEqual(rows.map(\.isPresent), [true, false, true])
        XCTAssertEqual(rows[0].architecture, "llama")
        XCTAssertEqual(rows[1].architecture, "?", "an absent level has no file to read")
        XCTAssertNil(rows[1].sizeBytes)
        XCTAssertEqual(rows[2].level, "Q8_0", "a loose file's level is its file type's name")
        XCTAssertEqual(rows[0].bitsPerWeight, rows[2].bitsPerWeight)
        XCTAssertEqual(lib.defaultListing(), rows[0])
    }

    func testPrepareGivesTheFileAndTheCatalogsLoadOptions() throws {
        let (lib, dir) = try library()
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try lib.prepare(.catalog(model: "tiny", level: nil), contextLength: nil)
        XCTAssertEqual(t.resolved.reference, .catalog(model: "tiny", level: "Q8_0"))
        XCTAssertEqual(t.path, dir.appendingPathComponent("quantty/models/tiny-q8.gguf").path)
        XCTAssertEqual(t.options.contextLength, 64)
        XCTAssertEqual(t.options.template, "chatml")
        XCTAssertEqual(t.options.label, "tiny:Q8_0")
        XCTAssertEqual(try lib.prepare(.catalog(model: "tiny", level: "Q8_0"), contextLength: 32).options.contextLength, 32,
                       "the settings' length wins over the catalog's")
        let file = try lib.prepare(.file(path: "/x/y.gguf"), contextLength: nil)
        XCTAssertNil(file.options.contextLength)
        XCTAssertEqual(file.options.label, "y.gguf")
        XCTAssertEqual(lib.entry(.catalog(model: "tiny", level: "F32"))?.name, "Tiny")
        XCTAssertNil(lib.entry(.file(path: "/x/y.gguf")))
    }

    func testCatalogSamplingOverTheBase() throws {
        let (lib, dir) = try library()
        defer { try? FileManager.default.removeItem(at: dir) }
        let entry = try XCTUnwrap(lib.entry(.catalog(model: "tiny", level: nil)))
        let p = SamplingParameters(catalog: entry.sampling)
        XCTAssertEqual(p.temperature, 0.6)
        XCTAssertEqual(p.seed, 7)
        XCTAssertEqual(p.topK, SamplingParameters().topK, "unset keys keep the base's")
        let over = SamplingParameters(catalog: entry.sampling, over: SamplingParameters(topK: 3))
        XCTAssertEqual(over.topK, 3)
        XCTAssertEqual(over.temperature, 0.6)
    }
}
