import ArgumentParser
import Catalog
import Engine
import Foundation
import GGUF
import LLM

/// `quantty compare`: quality and speed of several levels of one model against a base, with
/// llama-perplexity's method (chunks of n_ctx, second halves scored) and its
/// `--kl-divergence` statistics. All levels stay open; the text is processed chunk by chunk,
/// so only one chunk's base distributions are ever in memory.
struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare quantization levels of a model: size, bits per weight, PPL, KL divergence, same top token, Δp, speed.",
        discussion: """
        MODEL is a catalog id (its levels are compared) or a GGUF file. --levels and --base take \
        catalog level names or GGUF file paths. The base is the highest-precision level (most bits \
        per weight) unless --base names one; it may be an F32/F16 file.
        """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "A catalog model id or a GGUF file.") var model: String
    @Option(name: [.short, .customLong("file")], help: "The text file.") var file: String
    @Option(name: [.customShort("c"), .customLong("ctx-size")], parsing: .unconditional, help: "Tokens per chunk (n_ctx).") var nCtx = 256
    @Option(help: "Levels to compare, comma-separated (catalog level names or GGUF paths; default: every present level).") var levels: String?
    @Option(help: "The base level or file (default: the level with the most bits per weight).") var base: String?
    @OptionGroup var threading: ThreadOptions
    @Option(parsing: .unconditional, help: "Use at most this many chunks (default: all).") var chunks: Int?
    @Flag(help: "Skip the speed measurements.") var noSpeed = false
    @Flag(help: "Multiply long batches in float (about 3x faster). By default every quantized matmul quantizes its activations, as llama.cpp's CPU backend does, so the figures match llama-perplexity's; in float, quantized levels score better than llama-perplexity says (Q8_0's KLD about a third).")
    var floatActivations = false
    @Flag(help: "Print one JSON object.") var json = false
    @Flag(help: "Print a Markdown table.") var markdown = false
    @Flag(help: "Also print llama-perplexity's full statistics for every level.") var full = false

    var threads: Int { threading.threads }

    func validate() throws {
        try validating {
            try checkOption("--ctx-size", nCtx, atLeast: 16)
            try checkOption("--chunks", chunks, atLeast: 1)
            if json && markdown { throw UserError("choose one of --json and --markdown") }
        }
    }

    struct Level {
        var name: String
        var path: String
    }

    struct Speed: Encodable { var pp_tps: Double; var tg_tps: Double }

    struct LevelResult: Encodable {
        var level: String
        var path: String
        var is_base: Bool
        var file_size: Int
        var bpw: Double
        var ppl: Double
        var ppl_ratio: Double
        var ln_ppl_ratio: Double
        var mean_kld: Double
        var same_top: Double
        var rms_dp: Double
        var pp_tps: Double?
        var tg_tps: Double?
        var load_seconds: Double
        var statistics: QualityStatistics?
    }

    struct Output: Encodable {
        var model: String
        var base: String
        var file: String
        var n_ctx: Int
        var chunks: Int
        var ggml_activations: Bool
        var tokens_scored: Int
        var seconds: Double
        var levels: [LevelResult]
    }

    func resolveLevels() throws -> (base: Level, others: [Level], modelName: String) {
        var entry: ModelEntry?
        var modelName = (model as NSString).lastPathComponent
        if case .catalog = ModelReference(parsing: model) {
            let catalog = try global.catalog()
            guard let e = catalog.model(model) else {
                throw UserError("no model '\(model)' in the catalog (models: \(catalog.models.map(\.id).joined(separator: ", "))); a GGUF file path works too")
            }
            entry = e
            modelName = e.id
        }
        let dir = Paths().modelsDirectory
        func level(_ s: String) throws -> Level {
            if case .file = ModelReference(parsing: s) {
                guard FileManager.default.fileExists(atPath: s) else { throw UserError("\(s): no such file") }
                return Level(name: ((s as NSString).lastPathComponent as NSString).deletingPathExtension, path: s)
            }
            guard let entry else { throw UserError("'\(s)' is not a file, and \(model) is not a catalog model whose levels could be named") }
            guard let l = entry.level(s) else {
                throw UserError("model '\(entry.id)' has no level '\(s)' (levels: \(entry.levels.map(\.name).joined(separator: ", ")))")
            }
            let p = l.path(in: dir)
            guard FileManager.default.fileExists(atPath: p) else {
                throw UserError("\(entry.id):\(l.name) is not present (\(p)); run `quantty fetch \(entry.id):\(l.name)`")
            }
            return Level(name: l.name, path: p)
        }
        var list: [Level]
        if let levels {
            list = try levels.split(separator: ",").map { try level(String($0).trimmingCharacters(in: .whitespaces)) }
        } else if let entry {
            list = entry.levels.map { Level(name: $0.name, path: $0.path(in: dir)) }
                .filter { FileManager.default.fileExists(atPath: $0.path) }
        } else {
            list = [Level(name: modelName, path: model)]
        }
        if entry == nil, levels != nil, base == nil, !list.contains(where: { $0.path == model }) {
            list.insert(try level(model), at: 0)
        }
        var baseLevel: Level
        if let base {
            baseLevel = try level(base)
        } else {
            guard !list.isEmpty else { throw UserError("no level of \(model) is present: run `quantty fetch --all \(model)`") }
            func bpw(_ l: Level) -> Double {
                guard let f = try? GGUFFile(path: l.path, requireSupportedTypes: false), f.parameterCount > 0 else { return 0 }
                return Double(f.tensorBytes) / Double(f.parameterCount)
            }
            baseLevel = list.max { bpw($0) < bpw($1) }!
        }
        let others = list.filter { $0.path != baseLevel.path }
        guard !others.isEmpty else { throw UserError("nothing to compare: give at least one level besides the base (\(baseLevel.name))") }
        return (baseLevel, others, modelName)
    }

    func run() async throws {
        try await reportingErrors {
            guard let data = FileManager.default.contents(atPath: file) else { throw UserError("cannot read \(file)") }
            let text = String(decoding: data, as: UTF8.self)
            let (baseLevel, others, modelName) = try resolveLevels()
            let t0 = Date()

            // Every level open at once, each on its own engine (its own compute thread).
            var engines: [Engine] = []
            var infos: [ModelInfo] = []
            for l in [baseLevel] + others {
                let e = Engine(threads: threads)
                do {
                    infos.append(try await e.load(path: l.path, options: LoadOptions(contextLength: nCtx, label: l.name,
                                                              maxBatch: !floatActivations && Self.isQuantized(l.path) ? Self.ggmlMicroBatch : nil)))
                } catch { throw UserError("\(l.path): \(error)") }
                engines.append(e)
            }
            for (i, info) in infos.enumerated().dropFirst() where info.vocabularySize != infos[0].vocabularySize {
                throw UserError("\(others[i - 1].name) has \(info.vocabularySize) tokens in its vocabulary, the base \(infos[0].vocabularySize): they are not levels of one model")
            }

            let n = nCtx
            let tokens: [Int32] = try await engines[0].withSession { _, tok in tok.encode(text, addSpecial: true, parseSpecial: false) }
            let bos: Int32? = try await engines[0].withSession { _, tok in tok.vocabulary.addBOS ? tok.bos : nil }
            var chunkCount = tokens.count / n
            if let chunks { chunkCount = min(chunkCount, max(1, chunks)) }
            guard chunkCount > 0 else {
                throw UserError("\(file) has \(tokens.count) tokens: comparing needs at least n_ctx = \(n)")
            }
            note("compare: \(tokens.count) tokens, \(chunkCount) chunks of \(n), base \(baseLevel.name), levels \(others.map(\.name).joined(separator: ", "))")

            var accumulators = [QualityAccumulator](repeating: QualityAccumulator(), count: others.count)
            let first = n / 2
            for ci in 0 ..< chunkCount {
                var chunk = Array(tokens[(ci * n) ..< (ci * n + n)])
                if let bos { chunk[0] = bos }
                let targets = Array(tokens[(ci * n + 1) ..< (ci * n + n)])
                let c = chunk
                // The base's distributions for this chunk's scored positions.
                let dists: [BaseDistribution] = try await engines[0].withSession { s, _ in
                    var out: [BaseDistribution] = []
                    out.reserveCapacity(n - 1 - first)
                    try s.evaluate(c, startPosition: 0, outputs: .from(first)) { i, logits in
                        if i < n - 1 { out.append(BaseDistribution(logits: logits)) }
                    }
                    return out
                }
                for k in 0 ..< others.count {
                    let acc = accumulators[k]
                    accumulators[k] = try await engines[k + 1].withSession { s, _ in
                        var a = acc
                        try s.evaluate(c, startPosition: 0, outputs: .from(first)) { i, logits in
                            if i < n - 1 { a.add(base: dists[i - first], other: logits, target: Int(targets[i])) }
                        }
                        return a
                    }
                }
                if !json {
                    let line = others.indices.map { String(format: "%@ %.4f", others[$0].name, accumulators[$0].statistics.meanKLD) }
                    note(String(format: "[%d/%d] KLD: ", ci + 1, chunkCount) + line.joined(separator: ", "))
                }
            }

            // Short speed measurements: n_ctx/2 prompt tokens in one call, then 32 single-token steps.
            var speeds: [Speed?] = Array(repeating: nil, count: engines.count)
            if !noSpeed {
                let pp = Array(tokens.prefix(min(n / 2, tokens.count)))
                let tg = Array(tokens.dropFirst(pp.count).prefix(32))
                for (i, l) in ([baseLevel] + others).enumerated() {
                    // Speed as chat runs it: the engine's usual batches, not the small ones above.
                    var e = engines[i]
                    if !floatActivations {
                        e = Engine(threads: threads)
                        try await e.load(path: l.path, options: LoadOptions(contextLength: n, label: l.name))
                        engines[i] = e   // the quality engine is no longer needed
                    }
                    speeds[i] = try await e.withSession { s, _ in
                        try s.evaluate(Array(pp.prefix(16)), startPosition: 0) { _, _ in }   // warm-up
                        let a = Date()
                        try s.evaluate(pp, startPosition: 0) { _, _ in }
                        let ppSeconds = Date().timeIntervalSince(a)
                        let b = Date()
                        for t in tg { try s.evaluate([t]) { _, _ in } }
                        let tgSeconds = Date().timeIntervalSince(b)
                        return Speed(pp_tps: Double(pp.count) / ppSeconds, tg_tps: Double(tg.count) / tgSeconds)
                    }
                }
            }

            let stats = accumulators.map(\.statistics)
            var results: [LevelResult] = []
            for (i, l) in ([baseLevel] + others).enumerated() {
                let info = infos[i]
                if i == 0 {
                    let ppl = stats[0].basePPL
                    results.append(LevelResult(level: l.name, path: l.path, is_base: true, file_size: info.fileSize,
                                               bpw: info.bitsPerWeight, ppl: ppl, ppl_ratio: 1, ln_ppl_ratio: 0,
                                               mean_kld: 0, same_top: 1, rms_dp: 0, pp_tps: speeds[i]?.pp_tps,
                                               tg_tps: speeds[i]?.tg_tps, load_seconds: info.loadSeconds, statistics: nil))
                } else {
                    let s = stats[i - 1]
                    results.append(LevelResult(level: l.name, path: l.path, is_base: false, file_size: info.fileSize,
                                               bpw: info.bitsPerWeight, ppl: s.ppl, ppl_ratio: s.pplRatio, ln_ppl_ratio: s.lnPPLRatio,
                                               mean_kld: s.meanKLD, same_top: s.sameTop, rms_dp: s.rmsDeltaP,
                                               pp_tps: speeds[i]?.pp_tps, tg_tps: speeds[i]?.tg_tps,
                                               load_seconds: info.loadSeconds, statistics: s))
                }
            }
            let out = Output(model: modelName, base: baseLevel.name, file: file, n_ctx: n, chunks: chunkCount, ggml_activations: !floatActivations,
                             tokens_scored: stats.first?.count ?? 0, seconds: Date().timeIntervalSince(t0), levels: results)
            if json { try printJSON(out); return }
            print(Self.table(out, markdown: markdown))
            if full {
                for r in results where !r.is_base {
                    print("\n### \(r.level) vs \(baseLevel.name)\n")
                    print(r.statistics!.llamaPerplexityReport)
                }
            }
        }
    }

    /// Micro-batch size that keeps every quantized matmul on the engine's vec-dot path
    /// (activations quantized to the weight's dot format, as ggml does): under its tile
    /// threshold (`MatmulEngine.defaultTileThreshold`, 64). `LevelsCompareTests` checks the figures this gives.
    static let ggmlMicroBatch = 15

    /// Whether the file holds block-quantized tensors (float files need no small batches:
    /// their matmuls never quantize activations, in ggml either).
    static func isQuantized(_ path: String) -> Bool {
        guard let f = try? GGUFFile(path: path, requireSupportedTypes: false) else { return true }
        return f.tensors.contains { $0.type.isBlockQuantized }
    }

    static func table(_ o: Output, markdown: Bool) -> String {
        let header = ["level", "size", "bpw", "PPL", "PPL ratio", "ln ratio", "mean KLD", "KLD 99%", "KLD median",
                      "same top", "RMS Δp", "pp t/s", "tg t/s"]
        var rows: [[String]] = []
        for r in o.levels {
            let s = r.statistics
            rows.append([
                r.level + (r.is_base ? " (base)" : ""),
                formatBytes(r.file_size),
                String(format: "%.2f", r.bpw),
                s.map { String(format: "%.4f ± %.4f", $0.ppl, $0.pplError) } ?? String(format: "%.4f", r.ppl),
                String(format: "%.4f", r.ppl_ratio),
                s.map { String(format: "%.5f ± %.5f", $0.lnPPLRatio, $0.lnPPLRatioError) } ?? "-",
                s.map { String(format: "%.6f ± %.6f", $0.meanKLD, $0.meanKLDError) } ?? "-",
                s.map { String(format: "%.5f", $0.kld.p99) } ?? "-",
                s.map { String(format: "%.6f", $0.kld.median) } ?? "-",
                s.map { String(format: "%.2f%%", 100 * $0.sameTop) } ?? "-",
                s.map { String(format: "%.3f%%", 100 * $0.rmsDeltaP) } ?? "-",
                r.pp_tps.map { String(format: "%.0f", $0) } ?? "-",
                r.tg_tps.map { String(format: "%.1f", $0) } ?? "-",
            ])
        }
        var text = ""
        if markdown {
            text += "| " + header.joined(separator: " | ") + " |\n"
            text += "|" + header.map { _ in "---" }.joined(separator: "|") + "|\n"
            for r in rows { text += "| " + r.joined(separator: " | ") + " |\n" }
        } else {
            let widths = header.indices.map { i in max(header[i].count, rows.map { $0[i].count }.max() ?? 0) }
            func line(_ cells: [String]) -> String {
                cells.enumerated().map { i, c in c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }.joined(separator: "  ")
            }
            text += line(header) + "\n"
            for r in rows { text += line(r) + "\n" }
        }
        text += "\(o.model) on \(o.file): \(o.chunks) chunks of \(o.n_ctx), \(o.tokens_scored) tokens scored against \(o.base) in \(String(format: "%.1f", o.seconds)) s"
        return text
    }
}
