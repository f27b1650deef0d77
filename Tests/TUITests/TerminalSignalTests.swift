import Foundation
import XCTest
@testable import TUI

/// The terminal is restored on every catchable signal whose default action ends the process
/// (issue 13, finding 5); `scripts/tui-e2e.sh` sends some of them to the real chat.
final class TerminalSignalTests: XCTestCase {
    func testEverySignalThatEndsTheProcessRestoresTheTerminal() {
        // signal(7): default action Term or Core (SIGKILL cannot be caught; real-time
        // signals are left alone).
        let ending: [Int32] = [SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGUSR1, SIGSEGV,
                               SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGSTKFLT, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF,
                               SIGIO, SIGPWR, SIGSYS]
        let missing = ending.filter { !Terminal.restoringSignals.contains($0) }
        XCTAssertEqual(missing, [], "signals that would leave the terminal raw: \(missing.map { String(cString: strsignal($0)) })")
        // Stops and continues are not deaths: Ctrl-Z has its own handler, SIGCHLD/SIGWINCH are ignored by default.
        for s in [SIGTSTP, SIGCONT, SIGCHLD, SIGWINCH, SIGURG] { XCTAssertFalse(Terminal.restoringSignals.contains(s)) }
    }
}
