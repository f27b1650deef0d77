import Foundation
import XCTest

/// Drives the real `quantty` chat in tmux, as a person would, through `scripts/tui-e2e.sh`:
/// start, see the default model load, change a setting, send a message and watch the reply
/// stream with a non-zero tok/s in the stats panel, paste, scroll (wheel, Home, End), open and
/// close help, resize, quit with Ctrl-Q and check the terminal is back to normal; start again,
/// recall the message and the setting, and end the app with SIGTERM, SIGINT, SIGHUP and SIGILL,
/// checking the terminal each time.
///
/// The script owns tmux (a private socket, stdio on files, the server killed on every exit):
/// driving tmux from XCTest through `Process` and pipes hung, since the tmux server that the
/// first command starts inherits the pipes and keeps them open. Here the script's own stdio
/// are files, and the test only waits for its exit, with a deadline.
final class TUIEndToEndTests: XCTestCase {
    func testChatSessionInTmux() throws {
        let script = CLI.repoRoot + "/scripts/tui-e2e.sh"
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("quantty-tui-e2e-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let captures = work.appendingPathComponent("screens")
        let outURL = work.appendingPathComponent("stdout.txt"), errURL = work.appendingPathComponent("stderr.txt")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)

        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [script, CLI.binary]
        p.currentDirectoryURL = URL(fileURLWithPath: CLI.repoRoot)
        var env = ProcessInfo.processInfo.environment
        env["E2E_OUT"] = captures.path
        env["E2E_MAX"] = "90"
        p.environment = env
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // The script has its own 90 s budget; this is the backstop.
        let deadline = Date().addingTimeInterval(150)
        while p.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        let timedOut = p.isRunning
        if timedOut {
            p.terminate()   // the script's trap kills its tmux server
            let grace = Date().addingTimeInterval(10)
            while p.isRunning, Date() < grace { Thread.sleep(forTimeInterval: 0.1) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        }
        p.waitUntilExit()
        try out.close(); try err.close()
        let stdout = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        print(stdout)

        if p.terminationStatus == 77, !timedOut {
            try? FileManager.default.removeItem(at: work)
            throw XCTSkip(stdout.split(separator: "\n").last.map(String.init) ?? "skipped")
        }
        XCTAssertFalse(timedOut, "scripts/tui-e2e.sh ran over 150 s")
        XCTAssertEqual(p.terminationStatus, 0, "scripts/tui-e2e.sh failed; screens in \(captures.path)\n\(stdout)\n\(stderr)")
        XCTAssertTrue(stdout.contains("PASS"), stdout)
        for step in ["streaming", "gen-speed", "help-f1", "too-small-40x10", "wheel-up", "input-history", "sigTERM", "terminal-restored-after-sigILL"] {
            XCTAssertTrue(stdout.contains("ok: \(step)"), "step \(step) missing:\n\(stdout)")
        }
        if p.terminationStatus == 0 { try? FileManager.default.removeItem(at: work) }
    }
}
