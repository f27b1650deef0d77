import ArgumentParser
import Catalog
import Engine
import Foundation
import LLM

/// `-m MODEL`, `-c N`, `-t N`: the options of the commands that run one model.
struct ModelOptions: ParsableArguments {
    @OptionGroup var choice: ModelChoice

    @Option(name: [.short, .customLong("ctx-size")], parsing: .unconditional, help: "Context length in tokens (default: the catalog's, else the model's up to 4096).")
    var contextLength: Int?

    @OptionGroup var threading: ThreadOptions

    var model: ModelReference? { choice.model }
    var threads: Int { threading.threads }

    func validate() throws {
        try validating { try checkOption("--ctx-size", contextLength, atLeast: 16) }
    }
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
        try self.init(model: options.model, contextLength: options.contextLength, global: global)
    }

    /// `model` (nil: the catalog's default) with `contextLength` (nil: the catalog's, else
    /// `ContextPolicy`'s).
    init(model ref: ModelReference?, contextLength: Int?, global: GlobalOptions) throws {
        if case .file(let file)? = ref {
            path = file
            label = (file as NSString).lastPathComponent
            entry = nil
        } else {
            let catalog = try global.catalog()
            let r: ResolvedModel
            do { r = try catalog.resolve(ref ?? catalog.reference(nil)) } catch { throw UserError(error) }
            path = r.path
            label = r.label
            entry = r.model
            if !FileManager.default.fileExists(atPath: path) {
                throw UserError("\(label) is not downloaded yet (\(path)); run `quantty fetch \(label)`")
            }
        }
        load = LoadOptions(contextLength: contextLength ?? entry?.contextLength, template: entry?.template, label: label)
    }

    /// Sampling from the catalog's defaults for this model, else llama.cpp's.
    var sampling: SamplingParameters {
        entry.map { SamplingParameters(catalog: $0.sampling) } ?? SamplingParameters()
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
