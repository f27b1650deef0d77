import ArgumentParser
import Engine
import Foundation
import GGUF
import LLM

/// `quantty soak` (hidden; `make soak`): many chat turns through the engine, headless, with a
/// small context so the conversation overflows and is trimmed again and again. Checks that no
/// turn fails, every reply is valid UTF-8 and equals the one-shot decoding of its tokens, the
/// context never overflows, and resident memory stops growing after a warm-up.
struct SoakCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak", abstract: "Run many chat turns headless and check memory and replies (reliability test).",
        shouldDisplay: false)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var modelOptions: ModelOptions
    @Option(parsing: .unconditional, help: "Turns to run.") var turns = 500
    @Option(parsing: .unconditional, help: "Turns before the first memory reading.") var warmup = 50
    @Option(name: [.short, .customLong("n-predict")], parsing: .unconditional, help: "Most tokens per reply.") var nPredict = 16
    @Option(parsing: .unconditional, help: "Largest resident-memory growth allowed after the warm-up, MiB.") var maxGrowth = 5.0
    @Option(name: .customLong("seed"), parsing: .unconditional, help: "Seed of the first turn (turn i uses seed + i).") var seed: UInt64 = 1
    @Flag(help: "Print one JSON object.") var json = false

    struct Report: Encodable {
        var model: String
        var turns: Int
        var warmup: Int
        var contextLength: Int
        var seconds: Double
        var generatedTokens: Int
        var promptTokens: Int
        var contextTrims: Int
        var droppedMessages: Int
        var finishReasons: [String: Int]
        var rssStartMiB: Double
        var rssAfterWarmupMiB: Double
        var rssEndMiB: Double
        var rssGrowthMiB: Double
        var peakRssMiB: Double
        /// Replies cut by the token limit in the middle of a character (its bytes shown repaired).
        var repliesCutMidCharacter: Int
        /// Replies the model ended itself whose bytes are not valid UTF-8 (shown repaired).
        var repliesWithInvalidBytes: Int
        var failures: [String]
    }

    /// Prompts of different lengths and scripts, cycled through.
    static let prompts = [
        "Write a haiku about the sea.",
        "What is the capital of France? Answer in one word.",
        "Explain, in three sentences, why the sky is blue and what Rayleigh scattering has to do with it.",
        "Écris une phrase en français sur le café.",
        "日本語で短く挨拶してください。",
        "Name three prime numbers and a fruit 🍎.",
        "Continue the story: the robot opened the door and",
        "Summarise our conversation so far.",
        "List the days of the week, backwards, separated by commas, and then tell me which one you like best and why.",
        "Say something in Greek: Καλημέρα",
    ]

    /// Resident set size from `/proc/self/statm`, bytes.
    static func residentBytes() -> Int {
        guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = s.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    func run() async throws {
        try await reportingErrors {
            try checkOption("--turns", turns, atLeast: 1)
            try checkOption("--warmup", warmup, atLeast: 0, atMost: turns - 1)
            try checkOption("--n-predict", nPredict, atLeast: 1)
            // Negative is allowed: a bound nothing can meet (SoakCLITests uses it).
            guard maxGrowth.isFinite else { throw UserError("--max-growth must be a number of MiB (got \(maxGrowth))") }
            var options = modelOptions
            if options.contextLength == nil { options.contextLength = 256 }
            let chosen = try ChosenModel(options, global: global)
            let file: GGUFFile
            do { file = try GGUFFile(path: chosen.path) } catch { throw UserError(error) }
            let tokenizer: Tokenizer
            do { tokenizer = try Tokenizer(gguf: file) } catch { throw UserError("\(chosen.path): \(error)") }
            let (engine, info) = try await chosen.open(threads: options.threads)
            var sampling = chosen.sampling
            let rssStart = Self.residentBytes()
            var rssWarm = rssStart
            var messages: [ChatMessage] = []
            if let s = chosen.entry?.systemPrompt { messages.append(.system(s)) }
            var report = Report(model: info.label, turns: turns, warmup: warmup, contextLength: info.contextLength, seconds: 0,
                                generatedTokens: 0, promptTokens: 0, contextTrims: 0, droppedMessages: 0, finishReasons: [:],
                                rssStartMiB: 0, rssAfterWarmupMiB: 0, rssEndMiB: 0, rssGrowthMiB: 0, peakRssMiB: 0,
                                repliesCutMidCharacter: 0, repliesWithInvalidBytes: 0, failures: [])
            let t0 = Date()
            for turn in 0 ..< turns {
                if turn == warmup { rssWarm = Self.residentBytes() }
                messages.append(.user(Self.prompts[turn % Self.prompts.count]))
                sampling.seed = seed &+ UInt64(turn)
                var text = "", ids: [Int32] = []
                var finish: FinishReason?
                var stats = GenerationStats()
                do {
                    for try await e in await engine.generate(GenerationRequest(prompt: .chat(messages), sampling: sampling, maxTokens: nPredict)) {
                        switch e {
                        case .token(let t):
                            guard finish == nil else { report.failures.append("turn \(turn): a token after .finished"); break }
                            text += t.text
                            if t.id >= 0 { ids.append(t.id) }
                        case .finished(let r, let s): finish = r; stats = s
                        case .contextTrimmed(let n): report.contextTrims += 1; report.droppedMessages += n
                        case .promptProgress, .stats: break
                        }
                    }
                } catch {
                    report.failures.append("turn \(turn): \(error)")
                    messages.removeLast()
                    continue
                }
                guard let finish else { report.failures.append("turn \(turn): the stream ended without .finished"); continue }
                report.finishReasons[finish.rawValue, default: 0] += 1
                report.generatedTokens += stats.generatedTokens
                report.promptTokens += stats.promptTokens
                // The streamed text is what the tokens decode to in one go (never half a character).
                let bytes = tokenizer.decodeBytes(ids)
                let oneShot = String(decoding: bytes, as: UTF8.self)
                if text != oneShot {
                    report.failures.append("turn \(turn): streamed text \(text.debugDescription) differs from the tokens' decoding \(oneShot.debugDescription)")
                }
                if String(validating: bytes, as: UTF8.self) == nil {
                    if finish == .length { report.repliesCutMidCharacter += 1 } else { report.repliesWithInvalidBytes += 1 }
                }
                if Array(text.utf8) != Array(String(decoding: Array(text.utf8), as: UTF8.self).utf8) {
                    report.failures.append("turn \(turn): the reply is not valid UTF-8")
                }
                if stats.contextUsed > info.contextLength || ids.count > nPredict {
                    report.failures.append("turn \(turn): context \(stats.contextUsed)/\(info.contextLength), \(ids.count) tokens")
                }
                messages.append(.assistant(text))
                if !json, (turn + 1) % 50 == 0 {
                    note(String(format: "turn %d/%d: rss %.1f MiB, %d trims, %.0f s", turn + 1, turns,
                                Double(Self.residentBytes()) / 1_048_576, report.contextTrims, Date().timeIntervalSince(t0)))
                }
            }
            let rssEnd = Self.residentBytes()
            let mib = { (b: Int) in (Double(b) / 1_048_576 * 100).rounded() / 100 }
            report.seconds = (Date().timeIntervalSince(t0) * 10).rounded() / 10
            report.rssStartMiB = mib(rssStart)
            report.rssAfterWarmupMiB = mib(rssWarm)
            report.rssEndMiB = mib(rssEnd)
            report.rssGrowthMiB = mib(rssEnd - rssWarm)
            report.peakRssMiB = mib(ProcessMemory.current().peakResident)
            if report.contextTrims == 0 && turns >= 20 {
                report.failures.append("the context never overflowed: raise --turns or lower --ctx-size")
            }
            if report.rssGrowthMiB > maxGrowth {
                report.failures.append(String(format: "resident memory grew %.2f MiB after the warm-up (allowed %.1f)", report.rssGrowthMiB, maxGrowth))
            }
            if json {
                try printJSON(report)
            } else {
                print(String(format: "%@: %d turns in %.1f s (%d tokens generated, %d prompt tokens read), context %d, %d turns trimmed (%d messages left out, summed over turns)",
                             report.model, turns, report.seconds, report.generatedTokens, report.promptTokens,
                             report.contextLength, report.contextTrims, report.droppedMessages))
                print("finish: " + report.finishReasons.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
                print(String(format: "rss: start %.1f MiB, after %d warm-up turns %.2f MiB, end %.2f MiB, growth %.2f MiB (peak %.1f MiB)",
                             report.rssStartMiB, warmup, report.rssAfterWarmupMiB, report.rssEndMiB, report.rssGrowthMiB, report.peakRssMiB))
                print("replies cut mid-character by -n (bytes shown repaired): \(report.repliesCutMidCharacter); other replies with invalid UTF-8 bytes: \(report.repliesWithInvalidBytes)")
                for f in report.failures.prefix(20) { print("FAIL " + f) }
                print(report.failures.isEmpty ? "soak: ok" : "soak: \(report.failures.count) failures")
            }
            if !report.failures.isEmpty { throw ExitCode(1) }
        }
    }
}
