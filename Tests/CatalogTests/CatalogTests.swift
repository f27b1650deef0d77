import Foundation
import XCTest
@testable import Catalog

final class CatalogTests: XCTestCase {
    static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        return "."
    }()

    let good = """
    default = "m"

    [models.m]
    name = "M"
    context_length = 512

    [models.m.sampling]
    temperature = 0.5
    top_k = 10

    [models.m.levels.Q8_0]
    file = "m-q8.gguf"
    quantize_from = "Q4_1"

    [models.m.levels.Q4_1]
    file = "m-q4.gguf"
    sha256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    pip = ["pkg==1"]
    members = ["pkg/m.gguf"]
    """

    func testShippedCatalogParses() throws {
        let c = try Catalog.load(path: Self.repoRoot + "/models.toml")
        XCTAssertEqual(c.defaultModel, "smollm2-135m-instruct")
        let smol = try XCTUnwrap(c.model("smollm2-135m-instruct"))
        XCTAssertEqual(smol.preferredLevel?.name, "Q4_1")
        XCTAssertEqual(smol.preferredLevel?.sha256, "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53")
        let gemma = try XCTUnwrap(c.model("gemma-3-270m"))
        guard case .pip(let pkgs, let members)? = gemma.levels.first?.source else { return XCTFail("gemma has no pip source") }
        XCTAssertEqual(pkgs.count, 4)
        XCTAssertEqual(members.count, 4)
    }

    func testLevelsKeepFileOrderAndFields() throws {
        let c = try Catalog.parse(text: good, path: "t.toml")
        let m = try XCTUnwrap(c.model("m"))
        XCTAssertEqual(m.levels.map(\.name), ["Q8_0", "Q4_1"], "file order, not TOMLKit's sorted order")
        XCTAssertEqual(m.contextLength, 512)
        XCTAssertEqual(m.sampling.temperature, 0.5)
        XCTAssertEqual(m.sampling.topK, 10)
        XCTAssertEqual(m.levels[0].source, .quantize(from: "Q4_1", type: "Q8_0"))
        XCTAssertEqual(m.levels[1].source, .pip(packages: ["pkg==1"], members: ["pkg/m.gguf"]))
    }

    private func assertError(_ text: String, line: Int?, key: String?, contains: String,
                             file: StaticString = #filePath, fileLine: UInt = #line) {
        do {
            _ = try Catalog.parse(text: text, path: "bad.toml")
            XCTFail("parsed but should not have", file: file, line: fileLine)
        } catch {
            XCTAssertEqual(error.file, "bad.toml", file: file, line: fileLine)
            XCTAssertEqual(error.line, line, "\(error)", file: file, line: fileLine)
            XCTAssertEqual(error.key, key, "\(error)", file: file, line: fileLine)
            XCTAssertTrue(error.description.contains(contains), "\(error)", file: file, line: fileLine)
        }
    }

    func testSyntaxErrorNamesLine() {
        assertError("default = \"m\"\n[models.m\nname = 1\n", line: 2, key: nil, contains: "TOML syntax error")
    }

    func testUnknownKeyNamesLineAndKey() {
        let text = good.replacingOccurrences(of: "top_k = 10", with: "top_k = 10\ntopk = 3")
        assertError(text, line: 10, key: "models.m.sampling.topk", contains: "unknown key")
    }

    func testWrongTypeNamesLineAndKey() {
        let text = good.replacingOccurrences(of: "context_length = 512", with: "context_length = \"big\"")
        assertError(text, line: 5, key: "models.m.context_length", contains: "should be an integer, found a string")
    }

    func testOutOfRange() {
        let text = good.replacingOccurrences(of: "temperature = 0.5", with: "temperature = -1")
        assertError(text, line: 8, key: "models.m.sampling.temperature", contains: "out of range")
    }

    func testMissingFileKey() {
        let text = good.replacingOccurrences(of: "file = \"m-q8.gguf\"\n", with: "")
        assertError(text, line: 11, key: "models.m.levels.Q8_0", contains: "missing required key 'file'")
    }

    func testBadSha() {
        let text = good.replacingOccurrences(of: "sha256 = \"b179", with: "sha256 = \"zz79")
        assertError(text, line: 17, key: "models.m.levels.Q4_1.sha256", contains: "64 hexadecimal digits")
    }

    func testDefaultMustExist() {
        assertError(good.replacingOccurrences(of: "default = \"m\"", with: "default = \"x\""),
                    line: 1, key: "default", contains: "not a model in this file")
    }

    func testUnknownLevelName() {
        assertError(good.replacingOccurrences(of: "levels.Q8_0]", with: "levels.Q9_9]"),
                    line: 11, key: "models.m.levels.Q9_9", contains: "unknown quantization level")
    }

    func testQuantizeFromMustBeALevel() {
        assertError(good.replacingOccurrences(of: "quantize_from = \"Q4_1\"", with: "quantize_from = \"Q2_K\""),
                    line: 13, key: "models.m.levels.Q8_0.quantize_from", contains: "not a level")
    }

    func testNoModels() {
        assertError("default = \"m\"\n", line: nil, key: "models", contains: "lists no models")
    }

    func testMissingAndFolderFiles() {
        XCTAssertThrowsError(try Catalog.load(path: "/nonexistent/models.toml")) { e in
            XCTAssertTrue("\(e)".contains("/nonexistent/models.toml: no such file"), "\(e)")
        }
        XCTAssertThrowsError(try Catalog.load(path: NSTemporaryDirectory())) { e in
            XCTAssertTrue("\(e)".contains("is a folder"), "\(e)")
        }
    }

    func testResolveReferences() throws {
        let c = try Catalog.parse(text: good, path: "t.toml")
        let paths = Paths(environment: ["HOME": "/home/u", "XDG_CACHE_HOME": "/c"])
        let def = try c.resolve(nil, paths: paths)
        XCTAssertEqual(def.label, "m:Q8_0")
        XCTAssertEqual(def.path, "/c/quantty/models/m-q8.gguf")
        XCTAssertEqual(try c.resolve("m:q4_1", paths: paths).path, "/c/quantty/models/m-q4.gguf")
        XCTAssertEqual(try c.resolve("./x.gguf", paths: paths).path, "./x.gguf")
        XCTAssertThrowsError(try c.resolve("m:Q2_K", paths: paths)) { e in
            XCTAssertTrue("\(e)".contains("has no level 'Q2_K'"), "\(e)")
        }
        XCTAssertThrowsError(try c.resolve("zzz", paths: paths)) { e in
            XCTAssertTrue("\(e)".contains("no model 'zzz'"), "\(e)")
        }
    }

    func testXDGPaths() {
        let p = Paths(environment: ["HOME": "/home/u"])
        XCTAssertEqual(p.modelsDirectory, "/home/u/.cache/quantty/models")
        XCTAssertEqual(p.dataDirectory, "/home/u/.local/share/quantty")
        XCTAssertEqual(p.userCatalog, "/home/u/.config/quantty/models.toml")
        let q = Paths(environment: ["HOME": "/home/u", "XDG_CACHE_HOME": "relative"])
        XCTAssertEqual(q.modelsDirectory, "/home/u/.cache/quantty/models", "relative XDG paths are ignored, as the spec says")
    }
}
