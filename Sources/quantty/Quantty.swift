import ArgumentParser
import Foundation

@main
struct Quantty: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantty",
        abstract: "Chat with local GGUF models and see what each quantization level costs and gives.",
        subcommands: [ChatCommand.self, RunCommand.self, TemplateCommand.self, BenchCommand.self, PerplexityCommand.self, TokenizeCommand.self, ModelsCommand.self, FetchCommand.self, InspectCommand.self, QuantizeCommand.self, ImatrixCommand.self, CompareCommand.self, SoakCommand.self],
        defaultSubcommand: ChatCommand.self
    )

    /// Declared here too so global options work before the subcommand (`quantty --config F
    /// models`); ArgumentParser gives their value to the subcommand's own `GlobalOptions`.
    @OptionGroup var global: GlobalOptions
}

/// A user-facing failure: printed to stderr as `quantty: message`, exit status 1.
struct UserError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
    init(_ error: any Error) { description = "\(error)" }
}

extension GlobalOptions {
    /// Loads the catalog chosen by `--config` and the XDG rules.
    func catalog() throws -> Catalog {
        guard let found = Catalog.locateWithOrigin(explicit: config) else {
            throw UserError("no models.toml found: looked in ./models.toml, \(Paths().userCatalog) and beside the executable; pass --config PATH")
        }
        do {
            var catalog = try Catalog.load(path: found.path)
            catalog.needsConsentToFetch = found.inCurrentFolder
            return catalog
        } catch { throw UserError(error) }
    }
}

/// A numeric option checked against its allowed range: a one-line error naming the option,
/// the range and the value given (negative numbers reach here because the numeric options
/// parse `.unconditional`ly: `-c -5` is the value -5, not a missing value).
func checkOption<T: Comparable>(_ name: String, _ value: T?, atLeast low: T, atMost high: T? = nil) throws {
    guard let value else { return }
    if let high, value < low || value > high {
        throw UserError("\(name) must be between \(low) and \(high) (got \(value))")
    }
    if value < low { throw UserError("\(name) must be at least \(low) (got \(value))") }
}

import Catalog
import GGUF

/// Runs `body`, turning thrown errors into a message on stderr and exit status 1, so a
/// user never sees a Swift stack trace for a mistake they can fix.
func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let e as ExitCode {
        throw e
    } catch let e as CleanExit {
        throw e
    } catch {
        FileHandle.standardError.write(Data("quantty: \(error)\n".utf8))
        throw ExitCode(1)
    }
}

/// A model file's error for the user: the file's path once, then what is wrong with it.
func fileMessage(_ error: any Error, path: String) -> String {
    if let e = error as? GGUFFileError {
        switch e.error {
        case .cannotOpen, .notAFile, .empty: return e.error.description   // these name the path
        default: return "\(e.path): \(e.error)"
        }
    }
    let text = "\(error)"
    return text.hasPrefix(path) ? text : "\(path): \(text)"
}

/// Writes a line to stderr (progress and warnings stay out of stdout, which scripts read).
func note(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

/// Pretty JSON with sorted keys, one object, to stdout. NaN and infinities are written as
/// `null`, with a warning on stderr saying how many (`JSONText`); returns that count.
@discardableResult
func printJSON<T: Encodable>(_ value: T) throws -> Int {
    let text = try JSONText.encode(value)
    if text.nonFinite > 0 {
        note("warning: \(text.nonFinite) value(s) were not finite numbers (NaN or infinity) and are null in the JSON")
    }
    print(text.json)
    return text.nonFinite
}

/// `1234567` -> `1.18 MiB`.
func formatBytes(_ n: Int) -> String {
    let mib = Double(n) / 1_048_576
    if mib >= 1024 { return String(format: "%.2f GiB", mib / 1024) }
    if mib >= 1 { return String(format: "%.1f MiB", mib) }
    return String(format: "%.1f KiB", Double(n) / 1024)
}
