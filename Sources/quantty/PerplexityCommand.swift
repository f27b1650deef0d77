import ArgumentParser
import Catalog
import Engine
import Foundation
import LLM

/// `quantty perplexity`: llama-perplexity's method and output.
struct PerplexityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity",
        abstract: "Perplexity of a text file, computed like llama-perplexity (chunks of n_ctx, second half scored).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var choice: ModelChoice
    @Option(name: [.short, .customLong("file")], help: "The text file.") var file: String
    @Option(name: [.customShort("c"), .customLong("ctx-size")], parsing: .unconditional, help: "Tokens per chunk (n_ctx).") var nCtx = 512
    @OptionGroup var threading: ThreadOptions
    @Flag(help: "Print one JSON object: ppl, ppl_err, chunks, n_ctx, tokens_scored.") var json = false
    var model: ModelReference? { choice.model }
    var threads: Int { threading.threads }

    func validate() throws {
        try validating { try checkOption("--ctx-size", nCtx, atLeast: 16) }
    }

    struct Output: Encodable {
        var model: String
        var ppl: Double
        var ppl_err: Double
        var chunks: Int
        var n_ctx: Int
        var tokens_scored: Int
        var chunk_ppl: [Double]
        var seconds: Double
    }

    /// Why `FileManager` could not read `file`, from the file itself rather than a guess.
    /// A device that reads nothing (`/dev/null`) is empty.
    static func unreadableReason(_ file: String, exists: Bool, isFolder: Bool) -> String {
        if !exists { return "no such file" }
        if isFolder { return "it is a folder" }
        let fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 { return String(cString: strerror(errno)) }
        defer { close(fd) }
        var byte: UInt8 = 0
        if read(fd, &byte, 1) == 0 { return "it is empty: perplexity needs a text to score" }
        return "it is not a regular file: give a text file"
    }

    func run() async throws {
        try await reportingErrors {
            guard let data = FileManager.default.contents(atPath: file) else {
                var isDir: ObjCBool = false
                let exists = FileManager.default.fileExists(atPath: file, isDirectory: &isDir)
                throw UserError("cannot read \(file): \(Self.unreadableReason(file, exists: exists, isFolder: isDir.boolValue))")
            }
            guard !data.isEmpty else { throw UserError("\(file) is empty: perplexity needs a text to score") }
            let text = String(decoding: data, as: UTF8.self)
            let chosen = try ChosenModel(model: model, contextLength: nCtx, global: global)
            let (engine, info) = try await chosen.open(threads: threads)
            let n = nCtx, quiet = json
            let t0 = Date()
            let result: PerplexityResult
            do {
                result = try await engine.withSession { session, tokenizer in
                    let tokens = tokenizer.encode(text, addSpecial: true, parseSpecial: false)
                    let chunks = tokens.count / n
                    guard chunks > 0 else {
                        throw UserError("\(file) has \(tokens.count) tokens: perplexity needs at least n_ctx = \(n) (2 x n_ctx recommended)")
                    }
                    if !quiet {
                        note("perplexity: tokenized \(tokens.count) tokens; calculating perplexity over \(chunks) chunks, n_ctx=\(n)")
                    }
                    let bos = tokenizer.vocabulary.addBOS ? tokenizer.bos : nil
                    return try session.perplexity(tokens: tokens, nCtx: n, bos: bos, progress: { done, _, running in
                        if !quiet { FileHandle.standardOutput.write(Data(String(format: "[%d]%.4f,", done, running).utf8)) }
                    })
                }
            } catch let e as UserError { throw e } catch { throw UserError(error) }
            let seconds = Date().timeIntervalSince(t0)
            if json {
                try printJSON(Output(model: info.label, ppl: result.perplexity, ppl_err: result.perplexityError,
                                     chunks: result.chunkPerplexities.count, n_ctx: n, tokens_scored: result.tokensScored,
                                     chunk_ppl: result.chunkPerplexities, seconds: seconds))
            } else {
                print("")
                print(String(format: "Final estimate: PPL = %.4f +/- %.5f", result.perplexity, result.perplexityError))
                note(String(format: "%@: %d chunks, %d tokens scored in %.1f s", info.label, result.chunkPerplexities.count,
                            result.tokensScored, seconds))
            }
            guard result.perplexity.isFinite else {
                throw UserError("the perplexity is not a number (\(result.perplexity)): \(info.label) produces NaN or infinite values, so the result means nothing")
            }
        }
    }
}
