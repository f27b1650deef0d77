import CNCursesW
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The only type that talks to ncurses: starts and restores the terminal, draws a
/// `CellGrid` with wide characters, and reads keys. Everything else is testable without it.
///
/// The terminal is restored on every way out: `stop()` (quit, or the run loop ending), and
/// a handler for SIGINT, SIGTERM, SIGHUP and SIGQUIT, for the signals of a crash (a Swift
/// trap in the engine is SIGILL or SIGTRAP; SIGABRT, SIGSEGV, SIGBUS, SIGFPE) and for every
/// other signal that would end the process (`restoringSignals`: SIGUSR1, SIGALRM, SIGXCPU,
/// SIGPIPE...), that leaves
/// the alternate screen and raw mode and then dies of the signal as it would have. Ctrl-Z
/// (SIGTSTP) restores the terminal, suspends, and on `fg` the next frame is redrawn in full.
public final class Terminal {
    public private(set) var colorMode: ColorMode
    private let theme: Theme
    private var pairs: [Int: Int16] = [:]   // (fg+1) << 9 | (bg+1) -> pair number
    private var decoder = KeyDecoder()
    private var queued: [KeyEvent] = []
    private var stopped = false
    /// curses' standard screen, kept here so nothing reads the C global.
    private let screen: UnsafeMutablePointer<WINDOW>
    private let maxPairs: Int32

    /// Starts curses: locale from the environment, raw keys, no echo, keypad decoding,
    /// mouse wheel, bracketed paste, colours as the terminal and `NO_COLOR` allow.
    /// Fails when standard input or output is not a terminal curses can drive.
    public init(theme: Theme, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else { throw TerminalError.notATerminal }
        setlocale(LC_ALL, "")
        if environment["ESCDELAY"] == nil { set_escdelay(25) }
        Self.installSignalHandlers()
        // newterm, not initscr: on a TERM without a usable terminfo entry initscr prints its own
        // message and exits; newterm returns nil and leaves the terminal as it was.
        guard let s = quantty_newterm() else {
            throw TerminalError.unknownType(environment["TERM"] ?? "")
        }
        set_term(s)
        guard let w = quantty_stdscr() else { endwin(); throw TerminalError.cannotStart }
        screen = w
        raw()
        noecho()
        nonl()                       // Enter reads as CR, Ctrl-J as LF: two keys
        keypad(screen, true)
        intrflush(screen, false)
        self.theme = theme
        var mode = ColorMode.none
        if has_colors() {
            start_color()
            use_default_colors()
            mode = ColorMode.detect(colors: Int(tigetnum("colors")), environment: environment)
        }
        colorMode = mode
        maxPairs = tigetnum("pairs")
        _ = mousemask(Self.wheelUpMask | Self.wheelDownMask, nil)
        mouseinterval(0)
        Self.writeRaw(Self.enterModes)
        Self.active = true
    }

    deinit { stop() }

    /// Restores the terminal. Safe to call more than once.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        Self.active = false
        Self.writeRaw(Self.leaveModes)
        endwin()
    }

    public var size: (width: Int, height: Int) { (Int(getmaxx(screen)), Int(getmaxy(screen))) }

    // MARK: - Drawing

    /// Copies the grid to the screen; ncurses sends only what changed.
    public func draw(_ grid: CellGrid) {
        if Self.resumed != 0 {
            Self.resumed = 0
            Self.writeRaw(Self.enterModes)
            clearok(screen, true)
        }
        var cc = cchar_t()
        for y in 0 ..< grid.height {
            for x in 0 ..< grid.width {
                let cell = grid[x, y]
                if cell.isContinuation { continue }
                let (fg, bg, attrs) = theme.resolve(cell.style, mode: colorMode)
                let pair = colorMode == .none ? 0 : pairNumber(fg, bg)
                var wide: [wchar_t] = cell.text.unicodeScalars.prefix(Int(CCHARW_MAX) - 1).map { wchar_t(bitPattern: $0.value) }
                if wide.isEmpty { wide = [32] }
                wide.append(0)
                setcchar(&cc, wide, Self.attributes(attrs), pair, nil)
                mvwadd_wch(screen, Int32(y), Int32(x), &cc)
            }
        }
        if let c = grid.cursor {
            wmove(screen, Int32(c.y), Int32(c.x))
            curs_set(1)
        } else {
            curs_set(0)
        }
        wnoutrefresh(screen)
        doupdate()
    }

    private func pairNumber(_ fg: Int, _ bg: Int) -> Int16 {
        let key = (fg + 1) << 9 | (bg + 1)
        if let p = pairs[key] { return p }
        let n = Int16(clamping: pairs.count + 1)
        guard Int32(n) < maxPairs else { return 0 }
        init_pair(n, Int16(fg), Int16(bg))
        pairs[key] = n
        return n
    }

    static func attributes(_ a: TextAttributes) -> attr_t {
        var v: attr_t = 0
        if a.contains(.underline) { v |= 1 << 17 }   // A_UNDERLINE = NCURSES_BITS(1, 9)
        if a.contains(.reverse) { v |= 1 << 18 }     // A_REVERSE = NCURSES_BITS(1, 10)
        if a.contains(.dim) { v |= 1 << 20 }         // A_DIM = NCURSES_BITS(1, 12)
        if a.contains(.bold) { v |= 1 << 21 }        // A_BOLD = NCURSES_BITS(1, 13)
        if a.contains(.italic) { v |= 1 << 31 }      // A_ITALIC = NCURSES_BITS(1, 23)
        return v
    }

    // MARK: - Keys

    /// The next key, waiting at most `timeoutMs` milliseconds (nil if none came).
    ///
    /// An ESC that may start a sequence is held until more comes or 30 ms pass. With
    /// `timeoutMs` 0 (taking what is already typed, before drawing) that wait is left to the
    /// next call, after the frame: a key followed by Esc is drawn at once, not 30 ms later.
    public func readKey(timeoutMs: Int32) -> KeyEvent? {
        if !queued.isEmpty { return queued.removeFirst() }
        while true {
            let pending = decoder.isPending
            wtimeout(screen, pending && timeoutMs > 0 ? 30 : timeoutMs)
            var ch: wint_t = 0
            let r = wget_wch(screen, &ch)
            var events: [KeyEvent]
            if r == ERR {
                if pending && timeoutMs == 0 { return nil }   // the sequence may still come
                events = decoder.timeout()
            } else if r == KEY_CODE_YES {
                guard let k = key(forCode: Int32(ch)) else { return nil }
                events = decoder.feed(.key(k))
            } else if let s = Unicode.Scalar(UInt32(ch)) {
                events = decoder.feed(.scalar(s))
            } else {
                events = []
            }
            if events.isEmpty {
                if decoder.isPending { continue }
                return nil
            }
            queued = Array(events.dropFirst())
            return events[0]
        }
    }

    private func key(forCode c: Int32) -> KeyEvent? {
        switch c {
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case KEY_HOME: return .home
        case KEY_END: return .end
        case KEY_PPAGE: return .pageUp
        case KEY_NPAGE: return .pageDown
        case KEY_BACKSPACE: return .backspace
        case KEY_DC: return .delete
        case KEY_ENTER: return .enter
        case KEY_BTAB: return .backTab
        case KEY_RESIZE: return .resize(width: size.width, height: size.height)
        case KEY_F0 + 1 ... KEY_F0 + 12: return .function(Int(c - KEY_F0))
        case KEY_MOUSE:
            var ev = MEVENT()
            guard getmouse(&ev) == OK else { return nil }
            if ev.bstate & Self.wheelUpMask != 0 { return .wheelUp }
            if ev.bstate & Self.wheelDownMask != 0 { return .wheelDown }
            return nil
        default: return nil
        }
    }

    // BUTTON4_PRESSED and BUTTON5_PRESSED for NCURSES_MOUSE_VERSION 2: 2 << ((b - 1) * 5).
    static let wheelUpMask: mmask_t = 2 << 15
    static let wheelDownMask: mmask_t = 2 << 20

    // MARK: - Signals and modes

    /// Bracketed paste on.
    static let enterModes = "\u{1B}[?2004h"
    /// Bracketed paste and mouse reporting off, cursor shown.
    static let leaveModes = "\u{1B}[?2004l\u{1B}[?1000l\u{1B}[?1006l\u{1B}[?25h"

    /// Whether curses is running (read by the signal handlers).
    nonisolated(unsafe) static var active = false
    /// Set by the SIGCONT path: the next draw repaints everything.
    nonisolated(unsafe) static var resumed: sig_atomic_t = 0

    static func writeRaw(_ s: String) {
        var bytes = Array(s.utf8)
        _ = write(STDOUT_FILENO, &bytes, bytes.count)
    }

    /// Signals after which the terminal is restored before the process ends: every signal
    /// whose default action ends the process and that can be caught (signal(7)), from a
    /// session manager (SIGTERM, SIGHUP), a crash (SIGILL is a Swift trap), a limit (SIGXCPU from
    /// `ulimit -t`, SIGXFSZ), a timer (SIGALRM, SIGVTALRM, SIGPROF), a broken pipe or a stray
    /// `kill` (SIGUSR1, SIGUSR2, SIGIO, SIGPWR, SIGSTKFLT, SIGSYS). Real-time signals are left to
    /// their default.
    public static let restoringSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT,
                                                   SIGILL, SIGTRAP, SIGABRT, SIGSEGV, SIGBUS, SIGFPE,
                                                   SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGVTALRM, SIGPROF,
                                                   SIGXCPU, SIGXFSZ, SIGIO, SIGPWR, SIGSTKFLT, SIGSYS]

    static func installSignalHandlers() {
        for sig in restoringSignals {
            signal(sig) { sig in
                if Terminal.active {
                    Terminal.writeRaw(Terminal.leaveModes)
                    endwin()
                }
                signal(sig, SIG_DFL)
                raise(sig)
            }
        }
        signal(SIGTSTP) { _ in
            if Terminal.active {
                Terminal.writeRaw(Terminal.leaveModes)
                endwin()
            }
            signal(SIGTSTP, SIG_DFL)
            // The signal is blocked inside its own handler: unblock it so raising it
            // stops the process here, until `fg` sends SIGCONT.
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, SIGTSTP)
            sigprocmask(SIG_UNBLOCK, &set, nil)
            raise(SIGTSTP)
            // Resumed (fg): take the signal again, repaint on the next draw.
            Terminal.installSignalHandlers()
            Terminal.resumed = 1
        }
    }

    /// Ctrl-Z: restore the terminal and stop; `fg` resumes here and the next draw repaints.
    ///
    /// The whole process group stops, as the terminal's own Ctrl-Z would stop it: under
    /// `make chat` (or any wrapper) stopping quantty alone would leave make waiting in the
    /// foreground, and the shell would never get the terminal back.
    ///
    /// The stop happens in this thread, before this returns. The loop runs on a thread of its
    /// own, and a process-directed SIGTSTP is handled by whichever thread the
    /// kernel picks (usually the idle main thread): the loop would go on drawing (raw mode
    /// back on) while the handler elsewhere restored the terminal from the background, which
    /// stops the process with SIGTTOU and leaves it stopped again after `fg`.
    public func suspend() {
        if Self.active {
            Self.writeRaw(Self.leaveModes)
            endwin()
            Self.active = false
        }
        // The rest of the group (make, a wrapper script) stops; the copy sent to this process
        // is ignored, and this thread stops the process itself.
        signal(SIGTSTP, SIG_IGN)
        kill(0, SIGTSTP)
        signal(SIGTSTP, SIG_DFL)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTSTP)
        sigprocmask(SIG_UNBLOCK, &set, nil)
        raise(SIGTSTP)   // thread-directed: stops here, until SIGCONT (fg)
        Self.installSignalHandlers()
        Self.active = true
        Self.resumed = 1
    }

    // MARK: - Running the app

    /// `run` on a thread of its own, awaited. The loop holds its thread for the whole session:
    /// on one of Swift's cooperative threads it would take that thread from the backend's
    /// tasks all along (and every thread on a one-core machine, where the pool has just one).
    public func runOnOwnThread(_ controller: AppController) async {
        let job = UncheckedJob { self.run(controller) }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                job.body()
                done.resume()
            }
            thread.name = "quantty-ui"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Runs the controller until it quits: keys in, backend events pumped, the screen
    /// drawn after changes and at least 4 times a second. Restores the terminal at the end.
    /// With `QUANTTY_KEY_LATENCY_LOG=path`, the time from each key to the frame after it is
    /// written to `path` (see `KeyLatencyLog`).
    public func run(_ controller: AppController, environment: [String: String] = ProcessInfo.processInfo.environment) {
        defer { stop() }
        let latency = KeyLatencyLog(environment: environment)
        let (w, h) = size
        controller.dispatch(.resize(width: w, height: h))
        draw(controller.render())
        var lastDraw = Date()
        while !controller.state.shouldQuit {
            var dirty = false
            latency?.waiting()
            let key = readKey(timeoutMs: 50)
            latency?.woke(with: key)
            if let k = key {
                dirty = true
                // Raw mode delivers Ctrl-Z as a key; suspending is the terminal's business.
                if k == .ctrl("z") { suspend(); latency?.forget(); continue }
                controller.handle(k)
                // Take everything already typed or pasted before drawing.
                while let more = readKey(timeoutMs: 0) {
                    latency?.read(more)
                    if more == .ctrl("z") { suspend(); latency?.forget(); break }
                    controller.handle(more)
                }
            }
            if controller.pump() { dirty = true }
            if Terminal.resumed != 0 { dirty = true }
            if dirty || Date().timeIntervalSince(lastDraw) > 0.25 {
                draw(controller.render())
                latency?.flushed()
                lastDraw = Date()
            }
        }
        controller.shutdown()
    }
}

public enum TerminalError: Error, CustomStringConvertible {
    case notATerminal, cannotStart
    /// curses found no usable terminfo entry for TERM (unknown, or its entry unreadable).
    case unknownType(String)
    public var description: String {
        switch self {
        case .notATerminal: "standard input and output must be a terminal"
        case .cannotStart: "cannot start curses on this terminal (check TERM)"
        case .unknownType(let term) where term.isEmpty:
            "TERM is not set: set it to your terminal's type (e.g. TERM=xterm-256color)"
        case .unknownType(let term):
            "unknown terminal type '\(term)' (TERM): set TERM to a known type such as xterm-256color, or install its terminfo entry (apt-get install ncurses-term)"
        }
    }
}

/// The chat loop's closure, handed to its thread once: nothing else touches the terminal or
/// the controller while it runs.
private struct UncheckedJob: @unchecked Sendable {
    let body: () -> Void
}
