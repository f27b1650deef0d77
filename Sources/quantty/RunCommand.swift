import ArgumentParser
import Engine
import Foundation
import GGUF
import LLM

/// `quantty run`: one prompt, streamed to stdout.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Generate from one prompt, streaming the text to stdout.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var modelOptions: ModelOptions
    @Option(name: [.short, .customLong("prompt")], help: "The prompt.") var prompt: String
    @Option(name: [.short, .customLong("n-predict")], parsing: .unconditional, help: "Most tokens to generate (default: until the model stops or the context is full).")
    var nPredict: Int?
    @Option(name: .customLong("temp"), parsing: .unconditional, help: "Temperature (0: greedy).") var temperature: Float?
    @Option(name: .customLong("top-k"), parsing: .unconditional) var topK: Int?
    @Option(name: .customLong("top-p"), parsing: .unconditional) var topP: Float?
    @Option(name: .customLong("min-p"), parsing: .unconditional) var minP: Float?
    @Option(name: .customLong("repeat-penalty"), parsing: .unconditional) var repeatPenalty: Float?
    @Option(name: .customLong("repeat-last-n"), parsing: .unconditional) var repeatLastN: Int?
    @Option(name: .customLong("presence-penalty"), parsing: .unconditional) var presencePenalty: Float?
    @Option(name: .customLong("frequency-penalty"), parsing: .unconditional) var frequencyPenalty: Float?
    @Option(name: .customLong("seed"), parsing: .unconditional) var seed: UInt64?
    @Flag(help: "Apply the model's chat template to the prompt as one user turn.") var chat = false
    @Option(name: .customLong("system"), help: "System prompt (with --chat; default: the catalog's or the template's).")
    var system: String?
    @Flag(name: .customLong("no-thinking"), help: "Do not print a thinking model's reasoning (and set enable_thinking false for templates that read it).")
    var noThinking = false
    @Flag(help: "Print one JSON object: text, token ids, log-probs and stats.") var json = false

    struct Output: Encodable {
        var model: String
        var text: String
        var tokens: [Int32]
        var logprobs: [Float]
        var finish_reason: String
        var stats: GenerationStats
        var seed: UInt64?
        /// A thinking model's reasoning (`<think>...</think>`), also part of `text`.
        var reasoning: String?
    }

    func run() async throws {
        try await reportingErrors {
            let chosen = try ChosenModel(modelOptions, global: global)
            var sampling = chosen.sampling
            if let v = temperature { sampling.temperature = v }
            if let v = topK { sampling.topK = v }
            if let v = topP { sampling.topP = v }
            if let v = minP { sampling.minP = v }
            if let v = repeatPenalty { sampling.repeatPenalty = v }
            if let v = repeatLastN { sampling.repeatLastN = v }
            if let v = presencePenalty { sampling.presencePenalty = v }
            if let v = frequencyPenalty { sampling.frequencyPenalty = v }
            if let v = seed { sampling.seed = v }
            do { try sampling.validate() } catch let e as SamplingParameterError { throw UserError(Self.optionMessage(e)) }
            try checkOption("--n-predict", nPredict, atLeast: 0)

            let (engine, info) = try await chosen.open(threads: modelOptions.threads)
            if let w = info.templateWarning, chat { note("warning: \(w)") }
            var out = Output(model: info.label, text: "", tokens: [], logprobs: [], finish_reason: "", stats: GenerationStats(), seed: sampling.seed)
            let stdout = FileHandle.standardOutput
            let p: Prompt
            let variables: [String: JinjaValue] = noThinking ? ["enable_thinking": false] : [:]
            let promptText: String
            if chat {
                var messages: [ChatMessage] = []
                if let s = system ?? chosen.entry?.systemPrompt { messages.append(.system(s)) }
                messages.append(.user(prompt))
                p = .chat(messages)
                let rendered = try await engine.chatPrompt(messages, templateVariables: variables)
                if let w = rendered.warning { note("warning: \(w)") }
                promptText = rendered.text
            } else {
                p = .text(prompt)
                promptText = prompt
            }
            // Reasoning goes to stderr (or nowhere with --no-thinking); the answer to stdout.
            var thinking = ThinkingParser(startsInsideThinking: ThinkingParser.startsInsideThinking(prompt: promptText))
            let stderr = FileHandle.standardError
            func show(_ pieces: [ThinkingParser.Piece]) {
                for piece in pieces {
                    switch piece {
                    case .reasoning(let r):
                        out.reasoning = (out.reasoning ?? "") + r
                        if !json, !noThinking { stderr.write(Data(r.utf8)) }
                    case .answer(let a):
                        if !json { stdout.write(Data(a.utf8)) }
                    }
                }
            }
            do {
                let request = GenerationRequest(prompt: p, sampling: sampling, maxTokens: nPredict, templateVariables: variables)
                for try await event in await engine.generate(request) {
                    switch event {
                    case .token(let t):
                        out.text += t.text
                        if t.id >= 0 { out.tokens.append(t.id); out.logprobs.append(t.logProbability) }
                        if !t.text.isEmpty { show(thinking.feed(t.text)) }
                    case .finished(let reason, let stats):
                        out.finish_reason = reason.rawValue
                        out.stats = stats
                    case .contextTrimmed(let n):
                        note("(context full: left out the \(n) oldest messages)")
                    case .promptProgress, .stats:
                        break
                    }
                }
            } catch {
                throw UserError(error)
            }
            show(thinking.flush())
            if json {
                try printJSON(out)
            }
            // A sampled token always has a probability above 0: a NaN or infinite log-probability
            // means the logits were NaN or infinite and the tokens were picked from garbage.
            if out.logprobs.contains(where: { !$0.isFinite }) {
                if !json { print("") }
                throw UserError("\(info.label) produced NaN logits (its weights or arithmetic give NaN or infinity): the text above means nothing")
            }
            if !json {
                print("")
                let s = out.stats
                note(String(format: "\n%@: prompt %d tokens, %.1f tok/s | generated %d tokens, %.1f tok/s | first token %.0f ms | context %d/%d",
                            info.label, s.promptTokens, s.promptTokensPerSecond, s.generatedTokens,
                            s.generationTokensPerSecond, s.timeToFirstToken * 1000, s.contextUsed, s.contextSize))
            }
        }
    }

    /// A sampling parameter out of range, named by the option that set it (`--temp`, not
    /// `temperature`); the catalog's values were checked when it was read.
    static func optionMessage(_ error: SamplingParameterError) -> String {
        let options = ["temperature": "--temp", "topK": "--top-k", "topP": "--top-p", "minP": "--min-p",
                       "repeatPenalty": "--repeat-penalty", "repeatLastN": "--repeat-last-n",
                       "presencePenalty": "--presence-penalty", "frequencyPenalty": "--frequency-penalty"]
        guard let option = options[error.parameter] else { return error.description }
        return "\(option) \(error.value) is out of range: expected \(error.expected)"
    }
}

/// `quantty tokenize`: token ids of a text.
struct TokenizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize", abstract: "Show the token ids (and pieces) of a text.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var modelOptions: ModelOptions
    @Flag(name: .customLong("no-add-special"), help: "Do not add BOS/EOS (llama.cpp's add_special off).") var noAddSpecial = false
    @Flag(name: .customLong("no-parse-special"), help: "Treat control-token text as plain text (parse_special off).") var noParseSpecial = false
    @Flag(help: "Print {\"ids\": [...]}.") var json = false
    @Argument(help: "The text.") var text: String

    func run() async throws {
        try await reportingErrors {
            let chosen = try ChosenModel(modelOptions, global: global)
            let ids: [Int32]
            let piece: (Int32) async throws -> String
            if let tokenizer = try Self.vocabularyOnlyTokenizer(chosen.path) {
                ids = tokenizer.encode(text, addSpecial: !noAddSpecial, parseSpecial: !noParseSpecial)
                piece = { tokenizer.pieceText(for: $0) }
            } else {
                let (engine, _) = try await chosen.open(threads: 1)
                ids = try await engine.tokenize(text, addSpecial: !noAddSpecial, parseSpecial: !noParseSpecial)
                piece = { try await engine.piece($0) }
            }
            if json {
                struct Out: Encodable { var ids: [Int32] }
                let enc = JSONEncoder()
                print(String(decoding: try enc.encode(Out(ids: ids)), as: UTF8.self))
                return
            }
            for id in ids {
                let text = try await piece(id)
                print(String(format: "%6d -> '", id) + text.replacingOccurrences(of: "\n", with: "\\n") + "'")
            }
            note("\(ids.count) tokens")
        }
    }

    /// A vocabulary-only file (metadata, no tensors, like llama.cpp's `models/ggml-vocab-*.gguf`)
    /// gets its tokenizer from the metadata alone; nil for a model, which the engine opens.
    static func vocabularyOnlyTokenizer(_ path: String) throws -> Tokenizer? {
        let file: GGUFFile
        do { file = try GGUFFile(path: path, requireSupportedTypes: false) } catch { throw UserError(fileMessage(error, path: path)) }
        guard file.tensors.isEmpty else { return nil }
        do { return try Tokenizer(gguf: file) } catch { throw UserError("\(path): \(error)") }
    }
}
