import Foundation

/// How fast the chat answers keys, measured inside the loop when `QUANTTY_KEY_LATENCY_LOG`
/// names a file (off otherwise; `scripts/tui-pressure.sh` turns it on).
///
/// One line per key: its name, `total_ms` and `handled_ms`. `handled_ms` runs from the loop
/// reading the key to the frame drawn after it being flushed (`doupdate`). `total_ms` also
/// counts the time the key may have sat unread: when the wait for input came back at once,
/// the key was already there, and it may have come in as early as the start of the loop's
/// previous stretch of work (drawing, handling backend events), which is where `total_ms`
/// starts; when the loop did wait, it starts at the wake-up. Not counted: the 25 ms curses and
/// the 30 ms `KeyDecoder` hold a lone Esc to tell it from an escape sequence.
///
/// Costs a clock read per wake-up and per key; lines are kept in memory and written in blocks.
final class KeyLatencyLog {
    static let variable = "QUANTTY_KEY_LATENCY_LOG"

    private let file: FileHandle
    private var buffer = "# key\ttotal_ms\thandled_ms\n"
    /// Keys handled since the last flush: name, when read, when `total_ms` starts.
    private var pending: [(name: String, readAt: UInt64, since: UInt64)] = []
    private var waitStartedAt: UInt64 = 0
    /// When the loop last came back from waiting for input (its current stretch of work began).
    private var wokeAt: UInt64
    /// Where `total_ms` starts for the keys read since the last wake-up.
    private var since: UInt64

    /// nil unless the variable names a file that can be created.
    init?(environment: [String: String]) {
        guard let path = environment[Self.variable], !path.isEmpty,
              FileManager.default.createFile(atPath: path, contents: nil),
              let f = FileHandle(forWritingAtPath: path) else { return nil }
        file = f
        wokeAt = Self.now()
        since = wokeAt
    }

    deinit { write(); try? file.close() }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// The loop is about to wait for input.
    func waiting() { waitStartedAt = Self.now() }

    /// The wait is over, with `key` or without one.
    func woke(with key: KeyEvent?) {
        let t = Self.now()
        let waited = t - waitStartedAt >= 1_000_000
        since = waited ? t : wokeAt
        wokeAt = t
        if let key { pending.append(("\(key)", t, since)) }
    }

    /// Another key taken without waiting, in the same stretch of work.
    func read(_ key: KeyEvent) { pending.append(("\(key)", Self.now(), since)) }

    /// Ctrl-Z: the time stopped is not the app's; the keys before it are not counted.
    func forget() { pending.removeAll(); wokeAt = Self.now() }

    /// The frame after the pending keys is on the terminal.
    func flushed() {
        guard !pending.isEmpty else { return }
        let t = Self.now()
        for k in pending {
            buffer += "\(k.name)\t\(Self.ms(t - k.since))\t\(Self.ms(t - k.readAt))\n"
        }
        pending.removeAll(keepingCapacity: true)
        if buffer.utf8.count > 1 << 16 { write() }
    }

    private func write() {
        guard !buffer.isEmpty else { return }
        file.write(Data(buffer.utf8))
        buffer = ""
    }

    private static func ms(_ ns: UInt64) -> String { String(format: "%.2f", Double(ns) / 1e6) }
}
