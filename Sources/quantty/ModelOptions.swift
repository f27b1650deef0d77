import ArgumentParser
import Catalog
import Engine
import Foundation
import LLM

/// `-m MODEL` plus what the catalog says about it.
struct ModelOptions: ParsableArguments {
    @Option(name: [.short, .customLong("model")], help: "A GGUF file, a catalog id or id:LEVEL (default: the catalog's default model).")
    var model: String?

    @Option(name: [.short, .customLong("ctx-size")], parsing: .unconditional, help: "Context length in tokens (default: the catalog's, else the model's up to 4096).")
    var contextLength: Int?

    @Option(name: [.short, .customLong("threads")], parsing: .unconditional, help: "Compute threads.")
    var threads: Int = 2
}

/// A model reference made concrete: the file, how to load it, and the catalog's defaults.
struct ChosenModel {
    var path: String
    var label: String
    var entry: ModelEntry?
    var load: LoadOptions
    /// Say on stderr when `-c` asks for more than the model was trained for (it is lowered).
    var saysContextClamp = true

    init(_ options: ModelOptions, global: GlobalOptions) throws {
        let ref = options.model
        let isPath = ref.map { FileManager.default.fileExists(atPath: $0) || $0.contains("/") || $0.hasSuffix(".gguf") } ?? false
        if let ref, isPath {
            path = ref
            label = (ref as NSString).lastPathComponent
            entry = nil
        } else {
            let catalog = try global.catalog()
            let r: ResolvedModel
            do { r = try catalog.resolve(ref) } catch { throw UserError(error) }
            path = r.path
            label = r.label
            entry = r.model
            if !FileManager.default.fileExists(atPath: path) {
                throw UserError("\(label) is not downloaded yet (\(path)); run `quantty fetch \(label)`")
            }
        }
        try checkOption("--threads", options.threads, atLeast: 1, atMost: 256)
        try checkOption("--ctx-size", options.contextLength, atLeast: 16)
        load = LoadOptions(contextLength: options.contextLength ?? entry?.contextLength, template: entry?.template, label: label)
    }

    /// Sampling from the catalog's defaults for this model, else llama.cpp's.
    var sampling: SamplingParameters {
        var p = SamplingParameters()
        guard let s = entry?.sampling else { return p }
        if let v = s.temperature { p.temperature = Float(v) }
        if let v = s.topK { p.topK = v }
        if let v = s.topP { p.topP = Float(v) }
        if let v = s.minP { p.minP = Float(v) }
        if let v = s.repeatPenalty { p.repeatPenalty = Float(v) }
        if let v = s.seed { p.seed = UInt64(v) }
        return p
    }

    /// Opens the model on a new engine.
    func open(threads: Int) async throws -> (Engine, ModelInfo) {
        let engine = Engine(threads: threads)
        do {
            let info = try await engine.load(path: path, options: load)
            if saysContextClamp, let asked = load.contextLength, asked > info.contextLength {
                note("quantty: -c \(asked) is more than \(label) was trained for; using its \(info.contextLength) tokens")
            }
            return (engine, info)
        } catch {
            throw UserError(fileMessage(error, path: path))
        }
    }
}
