import Foundation
import XCTest
import TestSupport

/// Runs the real `quantty` binary that `swift build` put beside the test bundle.
enum CLI {
    static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        return "."
    }()

    static var binary: String {
        // The test runner (.build/<triple>/<config>/quanttyPackageTests.xctest) and the
        // executable sit in the same folder.
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        return runner.deletingLastPathComponent().appendingPathComponent("quantty").path
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var uncaughtSignal: Bool
    }

    /// Runs `quantty args...` with `environment` added, in the repository root.
    @discardableResult
    static func run(_ args: [String], environment: [String: String] = [:], stdin: String? = nil,
                    timeout: TimeInterval = 300) throws -> Result {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw TestEnvironment.missing("no quantty binary at \(binary): build the product first (make test does)")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: repoRoot)
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        if let stdin {
            let inPipe = Pipe()
            p.standardInput = inPipe
            inPipe.fileHandleForWriting.write(Data(stdin.utf8))
            try inPipe.fileHandleForWriting.close()
        } else {
            p.standardInput = FileHandle.nullDevice
        }
        try p.run()
        // Read both pipes concurrently so a full pipe never blocks the child.
        final class Box: @unchecked Sendable { var data = Data() }
        let outBox = Box(), errBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { outBox.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errBox.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        if group.wait(timeout: .now() + timeout) == .timedOut {
            p.terminate()
            XCTFail("quantty \(args.joined(separator: " ")) timed out after \(timeout) s")
        }
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: outBox.data, as: UTF8.self),
                      stderr: String(decoding: errBox.data, as: UTF8.self),
                      uncaughtSignal: p.terminationReason == .uncaughtSignal)
    }

    static var modelsDirectory: String {
        let env = ProcessInfo.processInfo.environment
        let cache = env["XDG_CACHE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? (NSHomeDirectory() + "/.cache")
        return cache + "/quantty/models"
    }

    static func requireModel(_ file: String) throws -> String {
        let path = modelsDirectory + "/" + file
        guard FileManager.default.fileExists(atPath: path) else {
            throw TestEnvironment.missing("\(path) is absent: run `quantty fetch` (make test does)")
        }
        return path
    }

    static let smolFile = "SmolLM2-135M-Instruct.Q4_1.gguf"
    static let gemmaFile = "gemma-3-270m-q4_k_m.gguf"

    static var fixtures: String { repoRoot + "/../shared/fixtures" }
}
