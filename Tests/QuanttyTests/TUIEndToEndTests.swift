import Foundation
import XCTest

/// Drives the real `quantty` chat in tmux, as a person would, through `scripts/tui-e2e.sh`:
/// start, see the default model load, change a setting, send a message and watch the reply
/// stream with a non-zero tok/s in the stats panel, paste, scroll (wheel, Home, End), open and
/// close help, resize, quit with Ctrl-Q and check the terminal is back to normal; start again,
/// recall the message and the setting, and end the app with SIGTERM, SIGINT, SIGHUP, SIGILL,
/// SIGUSR1, SIGALRM, SIGXCPU and SIGPIPE, checking the terminal each time. How the script is run: `TmuxScript`.
final class TUIEndToEndTests: XCTestCase {
    func testChatSessionInTmux() throws {
        // The script has its own 400 s budget (a hang guard); the deadline is the backstop.
        let r = try TmuxScript.run("tui-e2e.sh", outVariable: "E2E_OUT", environment: ["E2E_MAX": "400"], deadline: 500)
        XCTAssertFalse(r.timedOut, "scripts/tui-e2e.sh ran over 500 s")
        XCTAssertEqual(r.status, 0, "scripts/tui-e2e.sh failed; screens in \(r.captures.path)\n\(r.stdout)\n\(r.stderr)")
        XCTAssertTrue(r.stdout.contains("PASS"), r.stdout)
        for step in ["streaming", "gen-speed", "help-f1", "too-small-40x10", "wheel-up", "input-history", "sigTERM", "terminal-restored-after-sigILL",
                     "terminal-restored-after-sigUSR1", "terminal-restored-after-sigALRM", "terminal-restored-after-sigXCPU",
                     "terminal-restored-after-sigPIPE"] {
            XCTAssertTrue(r.stdout.contains("ok: \(step)"), "step \(step) missing:\n\(r.stdout)")
        }
        r.finish()
    }
}
