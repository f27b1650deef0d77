import Foundation
import XCTest
import TestSupport

/// `../shared/fixtures` and the real models, through `TestEnvironment` (a skip, or a failure
/// under `QUANTTY_REQUIRE_FIXTURES=1`, when one is missing).
enum Fixtures {
    static func root() -> URL? { TestEnvironment.sharedFixtures }

    /// The fixture file at `relative`, or `TestEnvironment.missing`.
    static func require(_ relative: String) throws -> URL { try TestEnvironment.fixture(relative) }

    /// A real model from `$XDG_CACHE_HOME/quantty/models` (default `~/.cache`).
    static func model(_ name: String) throws -> String { try TestEnvironment.model(name) }
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

    /// The source folder, or `TestEnvironment.missing` saying how to get it (`make test` does).
    static func require() throws -> URL {
        guard let r = root() else {
            throw TestEnvironment.missing("llama.cpp source not found under $QUANTTY_LLAMACPP or ~/.cache/quantty-llamacpp (run ../shared/bench/llamacpp.sh src; make test does)")
        }
        return r
    }
}
