import ArgumentParser
import Catalog
import Foundation
import GGUF

/// `quantty inspect FILE`: what is inside a GGUF file.
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Show a GGUF file's architecture, size, tensor types and tokenizer.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "A GGUF file, a catalog id or id:LEVEL.") var model: String
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try await reportingErrors {
            let path = try resolveModelPath(model, global: global)
            let file: GGUFFile
            do { file = try GGUFFile(path: path, requireSupportedTypes: false) } catch { throw UserError(fileMessage(error, path: path)) }
            let summary = GGUFSummary(file)
            print(json ? summary.json() : summary.text)
        }
    }
}

/// A model argument to a file path: paths as given, catalog ids through the catalog.
func resolveModelPath(_ ref: String, global: GlobalOptions) throws -> String {
    let reference = ModelReference(parsing: ref)
    if case .file(let path) = reference { return path }
    let catalog = try global.catalog()
    do { return try catalog.resolve(reference).path } catch { throw UserError(error) }
}
