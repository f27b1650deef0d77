import ArgumentParser
import Catalog
import Engine
import Foundation
import GGUF
import LLM

/// `quantty imatrix`: llama-imatrix's importance matrix (sums of squared input activations per
/// column of every matmul weight, and counts) over chunks of a text, in llama.cpp's GGUF format.
struct ImatrixCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imatrix",
        abstract: "Compute an importance matrix like llama-imatrix (for `quantize --imatrix`).",
        discussion: "The text is tokenized and cut into chunks of --ctx-size tokens (the first replaced by BOS when the model adds one); each chunk is evaluated from an empty cache. The file written is llama.cpp's GGUF imatrix format.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var choice: ModelChoice
    @Option(name: [.short, .customLong("file")], help: "The calibration text file.") var file: String
    @Option(name: [.customShort("c"), .customLong("ctx-size")], parsing: .unconditional, help: "Tokens per chunk (n_ctx).") var nCtx = 512
    @Option(name: .customLong("chunks"), parsing: .unconditional, help: "Use at most this many chunks (default: all).") var chunks: Int?
    @Option(name: [.short, .customLong("output")], help: "The file to write.") var output = "imatrix.gguf"
    @Flag(name: .customLong("process-output"), help: "Also collect output.weight's input (llama-imatrix --process-output).") var processOutput = false
    @OptionGroup var threading: ThreadOptions
    var model: ModelReference? { choice.model }

    func validate() throws {
        try validating {
            try checkOption("--ctx-size", nCtx, atLeast: 16)
            if let chunks { try checkOption("--chunks", chunks, atLeast: 1) }
        }
    }

    func run() async throws {
        try await reportingErrors {
            guard let data = FileManager.default.contents(atPath: file) else {
                var isDir: ObjCBool = false
                let exists = FileManager.default.fileExists(atPath: file, isDirectory: &isDir)
                throw UserError("cannot read \(file): \(!exists ? "no such file" : isDir.boolValue ? "it is a folder" : "permission denied?")")
            }
            var isDir: ObjCBool = false
            let folder = URL(fileURLWithPath: output).deletingLastPathComponent().path
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
                throw UserError("cannot write \(output): the folder \(folder) does not exist")
            }
            let text = String(decoding: data, as: UTF8.self)
            let chosen = try ChosenModel(model: model, contextLength: nCtx, global: global)
            let (engine, _) = try await chosen.open(threads: threading.threads)
            let n = nCtx, limit = chunks, processOutput = processOutput
            let collector = ImatrixCollector(processOutput: processOutput)
            let used: Int
            do {
                used = try await engine.withSession { session, tokenizer in
                    let tokens = tokenizer.encode(text, addSpecial: true, parseSpecial: false)
                    let count = min(tokens.count / n, limit ?? Int.max)
                    guard count > 0 else {
                        throw UserError("\(file) has \(tokens.count) tokens: an importance matrix needs at least one chunk of --ctx-size = \(n)")
                    }
                    note("imatrix: tokenized \(tokens.count) tokens; computing over \(count) chunks, n_ctx=\(n)")
                    let bos = tokenizer.vocabulary.addBOS ? tokenizer.bos : nil
                    session.matmulInputs = collector.observer
                    defer { session.matmulInputs = nil }
                    var chunk = [Int32](repeating: 0, count: n)
                    for ci in 0..<count {
                        for j in 0..<n { chunk[j] = tokens[ci * n + j] }
                        if let bos { chunk[0] = bos }
                        session.reset()
                        try session.evaluate(chunk, startPosition: 0, outputs: processOutput ? .all : .last) { _, _ in }
                        note("imatrix: chunk \(ci + 1)/\(count)")
                    }
                    return count
                }
            } catch let e as UserError { throw e } catch { throw UserError(error) }
            do {
                let w = try collector.writer(datasets: [file], chunkCount: used, chunkSize: n)
                try w.write(to: output)
            } catch { throw UserError("cannot write \(output): \(error)") }
            print("\(output): \(collector.sums.count) entries from \(used) chunks of \(n) tokens")
        }
    }
}
