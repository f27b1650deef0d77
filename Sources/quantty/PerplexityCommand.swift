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

    func run() async throws {
        try await reportingErrors {
            guard let data = FileManager.default.contents(atPath: file) else {
                var isDir: ObjCBool = false
                let exists = FileManager.default.fileExists(atPath: file, isDirectory: &isDir)
                throw UserError("cannot read \(file): \(!exists ? "no such file" : isDir.boolValue ? "it is a folder" : "permission denied?")")
            }
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
        }
    }
}
