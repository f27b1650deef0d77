import Foundation
import XCTest

/// `quantty soak` (the hidden subcommand behind `make soak`), short: its checks run and can fail.
final class SoakCLITests: XCTestCase {
    func testShortSoakPassesAndReportsMemory() throws {
        _ = try CLI.requireModel(CLI.smolFile)
        let r = try CLI.run(["soak", "--turns", "24", "--warmup", "8", "-n", "8", "--json"], timeout: 600)
        XCTAssertFalse(r.uncaughtSignal)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
        XCTAssertEqual(o["turns"] as? Int, 24)
        XCTAssertEqual(o["contextLength"] as? Int, 256)
        XCTAssertEqual((o["failures"] as? [Any])?.count, 0, r.stdout)
        XCTAssertGreaterThan(o["contextTrims"] as? Int ?? 0, 3, "a 256-token context overflows within 24 turns")
        XCTAssertGreaterThan(o["rssAfterWarmupMiB"] as? Double ?? 0, 50)
        XCTAssertLessThan(o["rssGrowthMiB"] as? Double ?? 99, 5)
        print("soak (24 turns): \(o["seconds"] ?? 0) s, rss \(o["rssAfterWarmupMiB"] ?? 0) -> \(o["rssEndMiB"] ?? 0) MiB")
    }

    /// A memory bound nothing can meet makes the soak fail, with its figures, exit status 1.
    func testSoakFailsWhenMemoryGrowsPastTheBound() throws {
        _ = try CLI.requireModel(CLI.smolFile)
        let r = try CLI.run(["soak", "--turns", "3", "--warmup", "1", "-n", "2", "--max-growth=-1000"], timeout: 300)
        XCTAssertFalse(r.uncaughtSignal)
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("FAIL resident memory grew"), r.stdout)
        XCTAssertTrue(r.stdout.contains("rss: start"), r.stdout)
    }

    func testSoakIsHiddenFromHelp() throws {
        let r = try CLI.run(["--help"])
        XCTAssertEqual(r.status, 0)
        XCTAssertFalse(r.stdout.contains("soak"), r.stdout)
    }
}
