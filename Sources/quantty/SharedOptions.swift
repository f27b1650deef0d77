import ArgumentParser
import Catalog
import Foundation
import LLM
import Quant

// MARK: - Option groups shared by the subcommands

/// `--config FILE`: which catalog. Accepted before the subcommand too (`quantty --config F models`).
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The model catalog (default: ./models.toml, then $XDG_CONFIG_HOME/quantty/models.toml, then the shipped one).")
    var config: String?
}

/// `-m MODEL`: what to load, parsed once into a `ModelReference`.
struct ModelChoice: ParsableArguments {
    @Option(name: [.short, .customLong("model")], help: "A GGUF file, a catalog id or id:LEVEL (default: the catalog's default model).")
    var model: ModelReference?
}

/// `-t N`: compute threads, 1 to 256.
struct ThreadOptions: ParsableArguments {
    @Option(name: [.short, .customLong("threads")], parsing: .unconditional, help: "Compute threads.")
    var threads: Int = 2

    func validate() throws {
        try validating { try checkOption("--threads", threads, atLeast: 1, atMost: 256) }
    }
}

// MARK: - Typed arguments

extension ModelReference: ExpressibleByArgument {
    /// What the user typed after `-m`: a file when it looks like one or exists, else a
    /// catalog id or `id:LEVEL` (never fails; the catalog says later whether the id exists).
    public init?(argument: String) { self.init(parsing: argument) }
    public var defaultValueDescription: String { description }
}

/// An argument parsed into `Value` that keeps what was typed, so `validate()` can refuse an
/// unknown value with quantty's message and status 1 (`quantty: unknown ...`), not
/// ArgumentParser's usage text and status 64.
struct Named<Value: NamedArgumentValue>: ExpressibleByArgument, Sendable {
    /// What was typed.
    var text: String
    /// The value, nil when `text` names none.
    var parsed: Value?

    init?(argument: String) { text = argument; parsed = Value(argumentText: argument) }

    static var allValueStrings: [String] { Value.knownNames }

    /// The value; a `UserError` naming the known values when the text names none.
    func value() throws -> Value {
        guard let parsed else {
            throw UserError("unknown \(Value.argumentKind) '\(text)' (known: \(Value.knownNames.joined(separator: ", ")))")
        }
        return parsed
    }
}

/// A type whose values the command line names (levels, template families).
protocol NamedArgumentValue: Sendable {
    init?(argumentText: String)
    /// What the values are called in messages: "quantization type".
    static var argumentKind: String { get }
    static var knownNames: [String] { get }
}

extension QuantizationLevel: NamedArgumentValue {
    init?(argumentText: String) { self.init(name: argumentText) }
    static var argumentKind: String { "quantization type" }
    static var knownNames: [String] { allCases.map(\.name) }
}

extension ChatTemplateFamily: NamedArgumentValue {
    init?(argumentText: String) { self.init(rawValue: argumentText.lowercased()) }
    static var argumentKind: String { "template family" }
    static var knownNames: [String] { allCases.map(\.rawValue) }
}

// MARK: - Validation

/// Runs a `validate()` check: a `UserError` is printed as `quantty: message` and exits with
/// status 1, as `reportingErrors` does in `run()`, not with ArgumentParser's usage text.
func validating(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let e as UserError {
        FileHandle.standardError.write(Data("quantty: \(e)\n".utf8))
        throw ExitCode(1)
    }
}
