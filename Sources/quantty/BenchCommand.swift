import ArgumentParser
import Catalog
import Engine
import Foundation
import LLM

/// `quantty bench`: prompt-processing and generation speed, measured like llama-bench.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure prompt processing (pp) and generation (tg) speed, like llama-bench.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var choice: ModelChoice
    @Option(name: [.customShort("p"), .customLong("n-prompt")], parsing: .unconditional, help: "Prompt tokens for the pp test (0 skips it).") var nPrompt = 512
    @Option(name: [.customShort("n"), .customLong("n-gen")], parsing: .unconditional, help: "Generated tokens for the tg test (0 skips it).") var nGen = 128
    @OptionGroup var threading: ThreadOptions
    @Option(name: [.short, .customLong("repetitions")], parsing: .unconditional, help: "Measured runs per test, after one warm-up.") var repetitions = 3
    @Flag(help: "One JSON object per test, with llama-bench's field names.") var json = false
    var model: ModelReference? { choice.model }
    var threads: Int { threading.threads }

    func validate() throws {
        try validating {
            try checkOption("--n-prompt", nPrompt, atLeast: 0)
            try checkOption("--n-gen", nGen, atLeast: 0)
            guard nPrompt + nGen > 0 else { throw UserError("nothing to measure: -p and -n are both 0") }
            try checkOption("--repetitions", repetitions, atLeast: 1)
        }
    }

    struct Result: Encodable {
        var test: String
        var avg_ts: Double
        var stddev_ts: Double
        var n_prompt: Int
        var n_gen: Int
        var n_threads: Int
        var model_filename: String
        var model_size: Int
        var load_ms: Double
        var peak_rss: Int
        var samples_ts: [Double]
    }

    func run() async throws {
        try await reportingErrors {
            var chosen = try ChosenModel(model: model, contextLength: nPrompt + nGen + 16, global: global)
            chosen.saysContextClamp = false   // -p and -n are checked against the context below
            // One micro-batch of up to 512 prompt tokens, as llama-bench's default n_ubatch.
            if let b = ProcessInfo.processInfo.environment["QUANTTY_BENCH_UBATCH"].flatMap(Int.init) {
                chosen.load.maxBatch = max(1, b)
            } else {
                chosen.load.maxBatch = max(1, min(nPrompt, 512))
            }
            let t0 = Date()
            let (engine, info) = try await chosen.open(threads: threads)
            let loadMs = Date().timeIntervalSince(t0) * 1000
            guard nPrompt + nGen <= info.contextLength - 16 else {
                throw UserError("-p \(nPrompt) plus -n \(nGen) tokens do not fit in \(info.label)'s context of \(info.contextLength) tokens (what it was trained for): lower -p or -n")
            }
            let (np, ng, reps) = (nPrompt, nGen, repetitions)
            let vocab = info.vocabularySize
            let (pp, tg) = try await engine.withSession { session, _ -> ([Double], [Double]) in
                var rng = SamplerRNG(seed: 42)
                func randomTokens(_ n: Int) -> [Int32] { (0 ..< n).map { _ in Int32(rng.next() % UInt64(vocab)) } }
                func runPP() throws -> Double {
                    session.reset()
                    let toks = randomTokens(np)
                    let s = Date()
                    try session.evaluate(toks, outputs: .last) { _, _ in }
                    return Double(np) / Date().timeIntervalSince(s)
                }
                func runTG() throws -> Double {
                    session.reset()
                    let toks = randomTokens(ng)
                    let s = Date()
                    for t in toks { try session.evaluate([t], outputs: .last) { _, _ in } }
                    return Double(ng) / Date().timeIntervalSince(s)
                }
                var pp: [Double] = [], tg: [Double] = []
                if np > 0 { _ = try runPP(); for _ in 0 ..< reps { pp.append(try runPP()) } }
                if ng > 0 { _ = try runTG(); for _ in 0 ..< reps { tg.append(try runTG()) } }
                return (pp, tg)
            }
            let rss = ProcessMemory.current().peakResident
            var results: [Result] = []
            for (name, samples, p, g) in [("pp\(np)", pp, np, 0), ("tg\(ng)", tg, 0, ng)] where !samples.isEmpty {
                let mean = samples.reduce(0, +) / Double(samples.count)
                let sd = samples.count > 1 ? (samples.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(samples.count - 1)).squareRoot() : 0
                results.append(Result(test: name, avg_ts: (mean * 100).rounded() / 100, stddev_ts: (sd * 100).rounded() / 100,
                                      n_prompt: p, n_gen: g, n_threads: info.threads,
                                      model_filename: (info.path as NSString).lastPathComponent, model_size: info.fileSize,
                                      load_ms: (loadMs * 10).rounded() / 10, peak_rss: rss, samples_ts: samples))
            }
            if json {
                let enc = JSONEncoder()
                enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                for r in results { print(String(decoding: try enc.encode(r), as: UTF8.self)) }
                return
            }
            print("| model | size | params | threads | test | t/s |")
            print("| --- | ---: | ---: | ---: | ---: | ---: |")
            for r in results {
                print(String(format: "| %@ | %@ | %.2f M | %d | %@ | %.2f ± %.2f |", info.label, formatBytes(info.fileSize),
                             Double(info.parameterCount) / 1e6, r.n_threads, r.test, r.avg_ts, r.stddev_ts))
            }
            print(String(format: "load %.0f ms, peak RSS %@ (file %@, KV cache %@)", loadMs, formatBytes(rss),
                         formatBytes(info.fileSize), formatBytes(info.kvCacheBytes)))
        }
    }
}
