import Foundation
import XCTest
import TestSupport

/// Runs one of the scripts that drive the real chat in tmux (`scripts/tui-*.sh`) and waits for
/// it with a deadline.
///
/// The script owns tmux (a private socket, stdio on files, the server killed on every exit):
/// driving tmux from XCTest through `Process` and pipes hung, since the tmux server that the
/// first command starts inherits the pipes and keeps them open. Here the script's own stdio
/// are files, and the test only waits for its exit.
struct TmuxScript {
    var status: Int32
    var stdout: String
    var stderr: String
    var timedOut: Bool
    /// Where the script's screens (and logs) went; removed by `finish` when the run passed.
    var captures: URL
    private var work: URL

    /// Runs `scripts/NAME` on the test's binary with `environment` added (`outVariable` set to
    /// the captures folder), ending it after `deadline` seconds. Throws `XCTSkip` on status 77.
    static func run(_ name: String, outVariable: String, environment: [String: String] = [:],
                    deadline: TimeInterval) throws -> TmuxScript {
        let script = CLI.repoRoot + "/scripts/" + name
        let work = FileManager.default.temporaryDirectory
            .appendingPathComponent("quantty-\(name)-\(getpid())-\(UUID().uuidString.prefix(8))")
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
        env[outVariable] = captures.path
        for (k, v) in environment { env[k] = v }
        p.environment = env
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let end = Date().addingTimeInterval(deadline)
        while p.isRunning, Date() < end { Thread.sleep(forTimeInterval: 0.2) }
        let timedOut = p.isRunning
        if timedOut {
            p.terminate()   // the script's trap kills its tmux server
            let grace = Date().addingTimeInterval(10)
            while p.isRunning, Date() < grace { Thread.sleep(forTimeInterval: 0.1) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        }
        p.waitUntilExit()
        try out.close(); try err.close()
        let r = TmuxScript(status: p.terminationStatus,
                           stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                           stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "",
                           timedOut: timedOut, captures: captures, work: work)
        print(r.stdout)
        if r.status == 77, !timedOut {
            try? FileManager.default.removeItem(at: work)
            throw TestEnvironment.missing(r.stdout.split(separator: "\n").last.map(String.init) ?? "skipped")
        }
        return r
    }

    /// Removes the captures when the script passed (they stay for a failed run).
    func finish() {
        if status == 0, !timedOut { try? FileManager.default.removeItem(at: work) }
    }
}
