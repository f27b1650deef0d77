import Foundation
import XCTest

/// Locates `../shared/fixtures` next to the repository root (the folder holding Package.swift).
enum Fixtures {
    static func root(file: String = #filePath) -> URL? {
        var dir = URL(fileURLWithPath: file).deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                let f = dir.deletingLastPathComponent().appendingPathComponent("shared/fixtures")
                return FileManager.default.fileExists(atPath: f.path) ? f : nil
            }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    /// The fixture file at `relative`, or an XCTSkip naming what is missing.
    static func require(_ relative: String) throws -> URL {
        guard let r = root() else {
            print("skip: ../shared/fixtures not found next to the repository")
            throw XCTSkip("../shared/fixtures not found next to the repository")
        }
        let u = r.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: u.path) else {
            print("skip: fixture \(relative) missing")
            throw XCTSkip("fixture \(relative) missing")
        }
        return u
    }

    /// A real model from `$XDG_CACHE_HOME/quantty/models` (default `~/.cache`), or XCTSkip.
    static func model(_ name: String) throws -> String {
        let env = ProcessInfo.processInfo.environment
        let cache = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() + "/.cache")
        let path = cache + "/quantty/models/" + name
        guard FileManager.default.fileExists(atPath: path) else {
            print("skip: model \(name) not found at \(path)")
            throw XCTSkip("model \(name) not found at \(path)")
        }
        return path
    }
}

/// Skips a slow numeric test in debug builds (run `swift test -c release -Xswiftc -enable-testing`),
/// unless MODEL_SLOW_TESTS=1.
func skipSlowInDebug(_ what: String) throws {
    #if DEBUG
    if ProcessInfo.processInfo.environment["MODEL_SLOW_TESTS"] == nil {
        print("skip: \(what) is slow in a debug build; run with -c release -Xswiftc -enable-testing (or MODEL_SLOW_TESTS=1)")
        throw XCTSkip("\(what) is slow in a debug build; run with -c release -Xswiftc -enable-testing")
    }
    #endif
}

/// `tiny/logits.json`: llama.cpp's full logits per position for token sequences.
struct TinyLogits: Decodable {
    struct Case: Decodable {
        let model: String
        let ids: [Int32]
        let logits: [[Float]]
    }
    let cases: [Case]
}

/// `logits/*.json`: llama.cpp's top-10 log-probs per position on real prompts.
struct PromptLogits: Decodable {
    struct Position: Decodable {
        let top_ids: [Int32]
        let top_logprobs: [Double]
        let next_id: Int32?
        let next_logprob: Double?
    }
    struct Prompt: Decodable {
        let text: String
        let ids: [Int32]
        let positions: [Position]
        let ppl: Double
    }
    let model: String
    let prompts: [Prompt]
}

func loadJSON<T: Decodable>(_ type: T.Type, _ url: URL) throws -> T {
    try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
}

/// log-softmax of a logit row, in double.
func logSoftmax(_ x: [Float]) -> [Double] {
    let m = Double(x.max() ?? 0)
    let lse = m + log(x.reduce(0.0) { $0 + exp(Double($1) - m) })
    return x.map { Double($0) - lse }
}

func argmax(_ x: [Float]) -> Int {
    var best = 0
    for i in x.indices where x[i] > x[best] { best = i }
    return best
}

/// llama.cpp's source tree (from `../shared/bench/llamacpp.sh src`): `$QUANTTY_LLAMACPP`, default
/// `~/.cache/quantty-llamacpp`, holding `llama_cpp_python-VERSION/vendor/llama.cpp`.
enum LlamaCppSource {
    /// The version `llamacpp.sh` unpacks; another unpacked version is used when this one is absent.
    static let version = "0.3.36"

    /// The source folder, or nil when it is not unpacked.
    static func root() -> URL? {
        let env = ProcessInfo.processInfo.environment
        let base = env["QUANTTY_LLAMACPP"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() + "/.cache/quantty-llamacpp")
        let fm = FileManager.default
        var candidates = ["llama_cpp_python-\(version)"]
        candidates += ((try? fm.contentsOfDirectory(atPath: base)) ?? []).filter { $0.hasPrefix("llama_cpp_python-") }.sorted()
        for c in candidates {
            let src = URL(fileURLWithPath: base).appendingPathComponent(c).appendingPathComponent("vendor/llama.cpp")
            if fm.fileExists(atPath: src.appendingPathComponent("models").path) { return src }
        }
        return nil
    }

    /// The source folder, or an XCTSkip saying how to get it.
    static func require() throws -> URL {
        guard let r = root() else {
            let why = "llama.cpp source not found under $QUANTTY_LLAMACPP or ~/.cache/quantty-llamacpp (run ../shared/bench/llamacpp.sh src)"
            print("skip: \(why)")
            throw XCTSkip(why)
        }
        return r
    }
}
