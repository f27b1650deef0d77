import Foundation
import XCTest
@testable import Catalog

/// The one parse of "what to load" (`-m`, picker rows) and its resolution.
final class ModelReferenceTests: XCTestCase {
    let catalogText = """
    default = "m"

    [models.m]
    name = "M"

    [models.m.levels.Q8_0]
    file = "m-q8.gguf"
    quantize_from = "Q4_1"

    [models.m.levels.Q4_1]
    file = "m-q4.gguf"
    sha256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    pip = ["pkg==1"]
    members = ["pkg/m.gguf"]
    """

    func testParsingNamesCatalogLevelsAndFiles() {
        XCTAssertEqual(ModelReference(parsing: "m:Q8_0"), .catalog(model: "m", level: "Q8_0"))
        XCTAssertEqual(ModelReference(parsing: "m"), .catalog(model: "m", level: nil))
        XCTAssertEqual(ModelReference(parsing: "a:b:Q4_1"), .catalog(model: "a:b", level: "Q4_1"), "the last colon splits")
        XCTAssertEqual(ModelReference(parsing: "./x.gguf"), .file(path: "./x.gguf"))
        XCTAssertEqual(ModelReference(parsing: "x.gguf"), .file(path: "x.gguf"), "a .gguf name is a file even when absent")
        XCTAssertEqual(ModelReference(parsing: "dir/m:Q8_0"), .file(path: "dir/m:Q8_0"), "a slash makes it a path")
        let home = NSString(string: "~").expandingTildeInPath
        XCTAssertEqual(ModelReference(parsing: "~/m.gguf"), .file(path: home + "/m.gguf"))
    }

    func testAnExistingFileWinsUnlessTheCatalogClaimsTheName() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mref-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let previous = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(dir.path)
        defer { FileManager.default.changeCurrentDirectoryPath(previous) }
        FileManager.default.createFile(atPath: "m", contents: Data())
        FileManager.default.createFile(atPath: "loose", contents: Data())
        XCTAssertEqual(ModelReference(parsing: "loose"), .file(path: "loose"))
        XCTAssertEqual(ModelReference(parsing: "m"), .file(path: "m"), "no catalog consulted: the file wins")
        let c = try Catalog.parse(text: catalogText, path: "t.toml")
        XCTAssertEqual(c.reference("m"), .catalog(model: "m", level: nil), "the catalog's id wins over a file of that name")
        XCTAssertEqual(c.reference("loose"), .file(path: "loose"))
    }

    func testDescriptionReadsBack() {
        for r: ModelReference in [.catalog(model: "m", level: "Q8_0"), .catalog(model: "m", level: nil), .file(path: "/a/b.gguf")] {
            XCTAssertEqual(ModelReference(parsing: r.description), r, r.description)
        }
    }

    func testLevelNameAndModelIdentity() {
        XCTAssertEqual(ModelReference.catalog(model: "m", level: "Q4_1").levelName, "Q4_1")
        XCTAssertEqual(ModelReference.file(path: "/a/b.gguf").levelName, "b.gguf")
        XCTAssertEqual(ModelReference.catalog(model: "m", level: "Q4_1").modelIdentity, "m")
        XCTAssertEqual(ModelReference.file(path: "/a/b.gguf").modelIdentity, "/a/b.gguf")
        XCTAssertEqual(ModelReference.file(path: "/a/./c/../b.gguf").standardized, .file(path: "/a/b.gguf"))
    }

    func testResolvingFillsTheLevel() throws {
        let c = try Catalog.parse(text: catalogText, path: "t.toml")
        let paths = Paths(environment: ["HOME": "/home/u", "XDG_CACHE_HOME": "/c"])
        let def = try c.resolve(c.reference(nil), paths: paths)
        XCTAssertEqual(def.reference, .catalog(model: "m", level: "Q8_0"))
        XCTAssertEqual(def.label, "m:Q8_0")
        let q4 = try c.resolve(.catalog(model: "m", level: "q4_1"), paths: paths)
        XCTAssertEqual(q4.reference, .catalog(model: "m", level: "Q4_1"), "the catalog's spelling of the level")
        XCTAssertEqual(q4.path, "/c/quantty/models/m-q4.gguf")
        XCTAssertEqual(try c.resolve(.file(path: "/x/y.gguf"), paths: paths).reference, .file(path: "/x/y.gguf"))
        XCTAssertThrowsError(try c.resolve(.catalog(model: "nope", level: nil), paths: paths)) { e in
            XCTAssertTrue("\(e)".contains("no model 'nope' in the catalog"), "\(e)")
        }
    }
}
