import Foundation
import XCTest

/// `quantty models`, `fetch` and `inspect` on the real catalog and files.
final class CatalogCommandTests: XCTestCase {
    func testModelsJSONListsEveryLevel() throws {
        let r = try CLI.run(["models", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        let ids = rows.map { "\($0["id"]!):\($0["level"]!)" }
        XCTAssertTrue(ids.contains("smollm2-135m-instruct:Q4_1"), "\(ids)")
        XCTAssertTrue(ids.contains("gemma-3-270m:Q4_K_M"), "\(ids)")
        let smol = try XCTUnwrap(rows.first { $0["id"] as? String == "smollm2-135m-instruct" && $0["level"] as? String == "Q4_1" })
        XCTAssertEqual(smol["default"] as? Bool, true)
        if smol["present"] as? Bool == true { XCTAssertEqual(smol["size"] as? Int, 98_362_432) }
    }

    func testModelsTextShowsPresence() throws {
        let r = try CLI.run(["models"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("smollm2-135m-instruct:Q4_1"), r.stdout)
        XCTAssertTrue(r.stdout.contains("PRESENT"), r.stdout)
    }

    /// A second fetch is a no-op (its time is a figure of `make bench`, not asserted here).
    func testFetchTwiceIsNoOp() throws {
        let path = try CLI.requireModel(CLI.smolFile)
        let first = try CLI.run(["fetch"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let before = try FileManager.default.attributesOfItem(atPath: path)
        let second = try CLI.run(["fetch"])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stdout.contains("present"), second.stdout)
        let after = try FileManager.default.attributesOfItem(atPath: path)
        XCTAssertEqual(before[.modificationDate] as? Date, after[.modificationDate] as? Date, "the file was not rewritten")
        XCTAssertEqual(before[.systemFileNumber] as? Int, after[.systemFileNumber] as? Int)
    }

    func testInspectRealModels() throws {
        _ = try CLI.requireModel(CLI.smolFile)
        let r = try CLI.run(["inspect", "smollm2-135m-instruct", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(o["architecture"] as? String, "llama")
        XCTAssertEqual(o["parameter_count"] as? Int, 134_515_008)
        XCTAssertEqual(o["file_type_name"] as? String, "Q4_1")
        let text = try CLI.run(["inspect", try CLI.requireModel(CLI.gemmaFile)])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("gemma3"), text.stdout)
        XCTAssertTrue(text.stdout.contains("Q4_K_M"), text.stdout)
    }

    func testBadInputsAreMessagesNotCrashes() throws {
        let tmp = NSTemporaryDirectory() + "quantty-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let empty = tmp + "/empty.gguf"
        FileManager.default.createFile(atPath: empty, contents: Data())
        let garbage = tmp + "/garbage.gguf"
        FileManager.default.createFile(atPath: garbage, contents: Data("not a model at all".utf8))
        let badToml = tmp + "/models.toml"
        try "default = \"x\"\n[models.x]\nname = 3\n[models.x.levels.Q8_0]\nfile = \"x.gguf\"\n".write(toFile: badToml, atomically: true, encoding: .utf8)

        let cases: [([String], String)] = [
            (["inspect", tmp + "/missing.gguf"], "missing.gguf"),
            (["inspect", tmp + "/"], "not a regular file"),
            (["inspect", empty], "is empty"),
            (["inspect", garbage], "bad magic"),
            (["models", "--config", badToml], "models.toml:3: key 'models.x.name': should be a string"),
            (["models", "--config", tmp + "/nope.toml"], "nope.toml: no such file"),
            (["fetch", "no-such-model"], "no model 'no-such-model'"),
        ]
        for (args, expected) in cases {
            let r = try CLI.run(args)
            XCTAssertFalse(r.uncaughtSignal, "\(args) died by a signal")
            XCTAssertEqual(r.status, 1, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(expected), "\(args): expected '\(expected)' in: \(r.stderr)")
            XCTAssertTrue(r.stderr.hasPrefix("quantty: "), "\(args): \(r.stderr)")
        }
    }
}
