import Foundation
import GGUF
import XCTest
@testable import LLM

/// Locating real models and llama.cpp fixtures; tests skip (with the reason) when absent.
enum TokenizerTestSupport {
    static var repoRoot: URL {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
            url.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }

    static var sharedFixtures: URL { repoRoot.appendingPathComponent("../shared/fixtures").standardized }

    static var modelsDirectory: URL {
        let env = ProcessInfo.processInfo.environment
        let cache = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() + "/.cache")
        return URL(fileURLWithPath: cache).appendingPathComponent("quantty/models")
    }

    static let smolLM2 = "SmolLM2-135M-Instruct.Q4_1.gguf"
    static let gemma3 = "gemma-3-270m-q4_k_m.gguf"

    nonisolated(unsafe) private static var cache: [String: Tokenizer] = [:]
    private static let lock = NSLock()

    /// The tokenizer of a real model, loaded once per test run.
    static func tokenizer(_ file: String) throws -> Tokenizer {
        lock.lock()
        defer { lock.unlock() }
        if let t = cache[file] { return t }
        let path = modelsDirectory.appendingPathComponent(file).path
        guard FileManager.default.fileExists(atPath: path) else {
            print("SKIP: model \(path) not found")
            throw XCTSkip("model \(path) not found")
        }
        let t0 = Date()
        let gguf = try GGUFFile(path: path)
        let t1 = Date()
        let t = try Tokenizer(gguf: gguf)
        print(String(format: "%@: GGUF open %.0f ms, tokenizer build %.0f ms (%d tokens)",
                     file, t1.timeIntervalSince(t0) * 1000, Date().timeIntervalSince(t1) * 1000, t.count))
        cache[file] = t
        return t
    }

    struct Case: Decodable {
        var text: String
        var add_special: Bool
        var parse_special: Bool
        var ids: [Int32]
    }

    struct FixtureFile: Decodable {
        var model: String
        var cases: [Case]
    }

    static func fixture(_ name: String) throws -> FixtureFile {
        let url = sharedFixtures.appendingPathComponent("tokenizer/\(name).json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            print("SKIP: fixture \(url.path) not found")
            throw XCTSkip("fixture \(url.path) not found")
        }
        return try JSONDecoder().decode(FixtureFile.self, from: data)
    }

    static func text(_ relative: String) throws -> String {
        let url = sharedFixtures.appendingPathComponent(relative)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            print("SKIP: fixture \(url.path) not found")
            throw XCTSkip("fixture \(url.path) not found")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
