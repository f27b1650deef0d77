import ArgumentParser
import Catalog
import Foundation

/// `quantty models`: every catalog model and level, with file, size and presence.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models", abstract: "List the catalog's models and levels, and which files are present.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON.") var json = false

    struct Row: Encodable {
        var id: String, name: String, level: String, file: String, path: String
        var present: Bool, size: Int?, isDefault: Bool, source: String
        enum CodingKeys: String, CodingKey {
            case id, name, level, file, path, present, size, source
            case isDefault = "default"
        }
    }

    func run() async throws {
        try await reportingErrors {
            let catalog = try global.catalog()
            let dir = Paths().modelsDirectory
            var rows: [Row] = []
            for m in catalog.models {
                for l in m.levels {
                    let path = l.path(in: dir)
                    let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int
                    let source: String
                    switch l.source {
                    case .pip(let pkgs, _)?: source = "pip: " + pkgs.joined(separator: " ")
                    case .quantize(let from, _)?: source = "quantize from \(from)"
                    case nil: source = "local"
                    }
                    rows.append(Row(id: m.id, name: m.name, level: l.name, file: l.file, path: path,
                                    present: size != nil, size: size,
                                    isDefault: m.id == catalog.defaultModel && l == m.preferredLevel, source: source))
                }
            }
            if json { try printJSON(rows); return }
            print("catalog: \(catalog.path)")
            print("models:  \(dir)")
            let w = max(20, rows.map { $0.id.count + $0.level.count + 1 }.max() ?? 0)
            print("  " + "MODEL".padding(toLength: w + 2, withPad: " ", startingAt: 0) + "SIZE        PRESENT  SOURCE")
            for r in rows {
                let name = "\(r.id):\(r.level)".padding(toLength: w + 2, withPad: " ", startingAt: 0)
                let size = (r.size.map(formatBytes) ?? "-").padding(toLength: 12, withPad: " ", startingAt: 0)
                print((r.isDefault ? "* " : "  ") + name + size + (r.present ? "yes      " : "no       ") + r.source)
            }
            print("(* the default; `quantty fetch ID[:LEVEL]` gets a missing one)")
        }
    }
}

/// `quantty fetch [MODEL]`: downloads and verifies a catalog model.
struct FetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Get a catalog model into $XDG_CACHE_HOME/quantty/models (default: the default model).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Catalog id or id:LEVEL; all its levels when --all.") var model: String?
    @Flag(help: "Fetch every level of the model (levels with `quantize_from` are made by the quantizer, once).") var all = false

    func run() async throws {
        try await reportingErrors {
            let catalog = try global.catalog()
            let resolved: ResolvedModel
            do { resolved = try catalog.resolve(model) } catch { throw UserError(error) }
            guard let entry = resolved.model, let level = resolved.level else {
                throw UserError("\(model ?? "") is a file path, not a catalog model: nothing to fetch")
            }
            let levels = all ? entry.levels : [level]
            // Ctrl-C, SIGTERM or SIGHUP: the running download (or quantization) is stopped, its
            // temporary files removed, and the command exits 128 + signal by itself; a second
            // signal exits at once, removing them too.
            let cancellation = FetchCancellation()
            var fetcher = Fetcher(quantizer: QuantizeCommand.catalogQuantizer(showProgress: true, cancellation: cancellation))
            fetcher.cancellation = cancellation
            let folder = fetcher.modelsDirectory
            let interruption = Interruption.install(onFirstSignal: { cancellation.cancel() },
                                                    onSecondSignal: { Fetcher.removeTemporaries(of: getpid(), in: folder) })
            func stopIfInterrupted() throws {
                guard let s = interruption.signal else { return }
                note("quantty: interrupted (signal \(s)): fetch stopped; its unfinished files were removed")
                throw ExitCode(128 + s)
            }
            for l in levels {
                let outcome: Fetcher.Outcome
                do { outcome = try fetcher.fetch(l, of: entry, log: note) } catch {
                    try stopIfInterrupted()
                    throw UserError(error)
                }
                switch outcome {
                case .alreadyPresent(let path): print("\(entry.id):\(l.name) present: \(path)")
                case .fetched(let path, let bytes):
                    if case .quantize(let from, _)? = l.source {
                        print("\(entry.id):\(l.name) made from \(from): \(path) (\(formatBytes(bytes)))")
                    } else {
                        print("\(entry.id):\(l.name) fetched: \(path) (\(formatBytes(bytes)), sha256 ok)")
                    }
                }
                try stopIfInterrupted()
            }
        }
    }
}
