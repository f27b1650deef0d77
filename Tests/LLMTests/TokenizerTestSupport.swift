import Foundation
import GGUF
import XCTest
import TestSupport
@testable import LLM

/// Locating real models and llama.cpp fixtures; tests skip (with the reason) when absent.
enum TokenizerTestSupport {
    static var sharedFixtures: URL {
        TestEnvironment.sharedFixtures ?? URL(fileURLWithPath: "/nonexistent/shared/fixtures")
    }

    static var modelsDirectory: URL { URL(fileURLWithPath: TestEnvironment.modelsDirectory) }

    static let smolLM2 = "SmolLM2-135M-Instruct.Q4_1.gguf"
    static let gemma3 = "gemma-3-270m-q4_k_m.gguf"

    nonisolated(unsafe) private static var cache: [String: Tokenizer] = [:]
    private static let lock = NSLock()

    /// The tokenizer of a real model, loaded once per test run.
    static func tokenizer(_ file: String) throws -> Tokenizer {
        lock.lock()
        defer { lock.unlock() }
        if let t = cache[file] { return t }
        let path = try TestEnvironment.model(file)
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
            throw TestEnvironment.missing("fixture \(url.path) not found")
        }
        return try JSONDecoder().decode(FixtureFile.self, from: data)
    }

    static func text(_ relative: String) throws -> String {
        let url = sharedFixtures.appendingPathComponent(relative)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TestEnvironment.missing("fixture \(url.path) not found")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
