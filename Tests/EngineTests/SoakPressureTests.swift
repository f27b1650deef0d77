import Foundation
import GGUF
@testable import LLM
import XCTest
import TestSupport
@testable import Engine

/// Reliability under load: a short soak (many turns in a small context) and stop /
/// regenerate / swap pressed many times during generation. Real SmolLM2 levels when present
/// (~/.cache/quantty/models), else the tiny llama's F32 and Q8_0 files.
final class SoakPressureTests: XCTestCase {
    static var modelsDirectory: String {
        let cache = ProcessInfo.processInfo.environment["XDG_CACHE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? NSHomeDirectory() + "/.cache"
        return cache + "/quantty/models"
    }

    /// The levels to swap between: SmolLM2's four when present, else the tiny pair.
    func levels() throws -> [String] {
        let real = ["Q4_1", "Q4_K_M", "Q5_K_M", "Q8_0"].map { Self.modelsDirectory + "/SmolLM2-135M-Instruct.\($0).gguf" }
            .filter { FileManager.default.fileExists(atPath: $0) }
        if real.count >= 2 { return real }
        let tiny = ["tiny-llama-f32.gguf", "tiny-llama-q8_0.gguf"].map { EngineTests.fixtures + "/tiny/" + $0 }
        guard tiny.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) else {
            throw TestEnvironment.missing("neither SmolLM2 levels in \(Self.modelsDirectory) nor the tiny fixtures are present")
        }
        return tiny
    }

    /// Hang guards (minutes, never speed bounds) are multiplied by `QUANTTY_TEST_TIME_SCALE`
    /// (`make tsan` sets 10, `make asan` 3): instrumented builds run the real model several
    /// times slower.
    static let timeScale = Double(ProcessInfo.processInfo.environment["QUANTTY_TEST_TIME_SCALE"] ?? "") ?? 1

    static func residentBytes() -> Int {
        guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = s.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Runs `body` and fails (instead of hanging the suite) when it takes longer than `seconds`.
    func withDeadline(_ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> Void) async throws {
        let done = expectation(description: what)
        let failure = ErrorBox()
        let task = Task {
            do { try await body() } catch { failure.error = error }
            done.fulfill()
        }
        await fulfillment(of: [done], timeout: seconds)
        task.cancel()
        if let e = failure.error { throw e }
    }

    final class ErrorBox: @unchecked Sendable { var error: Error? }

    // MARK: - Soak

    /// 40 chat turns in a 256-token context (it overflows many times): every turn finishes,
    /// every reply is its tokens' one-shot decoding, and memory stops growing.
    func testFortyTurnsInASmallContext() async throws {
        let path = try levels()[0]
        let file = try GGUFFile(path: path)
        let tokenizer = try Tokenizer(gguf: file)
        let engine = Engine(threads: 2)
        let info = try await engine.load(path: path, options: LoadOptions(contextLength: 256))
        let prompts = ["Write a haiku about the sea.", "Explain why the sky is blue, in three sentences with details.",
                       "Écris une phrase sur le café.", "日本語で挨拶してください。", "Name a fruit 🍎 and a prime."]
        var messages: [ChatMessage] = [.system("You are brief.")]
        var trims = 0, rssWarm = 0
        let warmup = 10, turns = 40
        for turn in 0 ..< turns {
            if turn == warmup { rssWarm = Self.residentBytes() }
            messages.append(.user(prompts[turn % prompts.count]))
            var p = SamplingParameters()
            p.seed = UInt64(turn)
            var text = "", ids: [Int32] = []
            var finish: FinishReason?
            var used = 0
            for try await e in await engine.generate(GenerationRequest(prompt: .chat(messages), sampling: p, maxTokens: 12)) {
                switch e {
                case .token(let t):
                    XCTAssertNil(finish, "token after .finished")
                    text += t.text
                    if t.id >= 0 { ids.append(t.id) }
                case .finished(let r, let s): finish = r; used = s.contextUsed
                case .contextTrimmed: trims += 1
                default: break
                }
            }
            XCTAssertNotNil(finish, "turn \(turn)")
            XCTAssertLessThanOrEqual(ids.count, 12)
            XCTAssertLessThanOrEqual(used, info.contextLength)
            XCTAssertEqual(text, String(decoding: tokenizer.decodeBytes(ids), as: UTF8.self), "turn \(turn): streamed text differs from the decoding")
            messages.append(.assistant(text))
        }
        let growth = Double(Self.residentBytes() - rssWarm) / 1_048_576
        print(String(format: "soak: %d turns, %d context trims, rss growth after %d warm-up turns %.2f MiB", turns, trims, warmup, growth))
        XCTAssertGreaterThan(trims, 5, "a 256-token context must overflow many times in \(turns) turns")
        XCTAssertLessThan(growth, 5, "resident memory grew \(growth) MiB in \(turns - warmup) turns")
    }

    /// Once the conversation no longer fits, most turns still read only their new messages:
    /// a trim leaves room for the next turns instead of cutting just enough every turn (which
    /// re-reads the whole context each time).
    func testTurnsAfterATrimMostlyReuseTheCache() async throws {
        let path = try levels()[0]
        let engine = Engine(threads: 2)
        try await engine.load(path: path, options: LoadOptions(contextLength: 256))
        var messages: [ChatMessage] = [.system("You are brief.")]
        var trimmedTurns = 0, rereads = 0, readTokens: [Int] = []
        for turn in 0 ..< 30 {
            messages.append(.user("Question \(turn): name an animal and a colour."))
            var trimmed = false, read = 0, text = ""
            for try await e in await engine.generate(GenerationRequest(prompt: .chat(messages), sampling: SamplingParameters(seed: UInt64(turn)), maxTokens: 12)) {
                switch e {
                case .contextTrimmed: trimmed = true
                case .finished(_, let s): read = s.promptTokens
                case .token(let t): text += t.text
                default: break
                }
            }
            messages.append(.assistant(text))
            if trimmed {
                trimmedTurns += 1
                readTokens.append(read)
                if read > 120 { rereads += 1 }
            }
        }
        print("turns after the context filled: \(trimmedTurns), prompt tokens read: \(readTokens)")
        XCTAssertGreaterThan(trimmedTurns, 10)
        XCTAssertLessThanOrEqual(rereads, trimmedTurns / 3, "most trimmed turns should reuse the cache: \(readTokens)")
    }

    /// A very long conversation (2,000 messages) in a small context is trimmed in a few
    /// tokenizations, not one per dropped message.
    func testTrimmingALongConversationIsFast() async throws {
        let path = try levels()[0]
        let engine = Engine(threads: 2)
        try await engine.load(path: path, options: LoadOptions(contextLength: 256))
        var messages: [ChatMessage] = [.system("You are brief.")]
        for i in 0 ..< 1000 {
            messages.append(.user("Question number \(i): what is \(i) plus \(i)?"))
            messages.append(.assistant("It is \(2 * i). Anything else?"))
        }
        messages.append(.user("Thanks, bye."))
        let t0 = Date()
        var dropped = 0
        for try await e in await engine.generate(GenerationRequest(prompt: .chat(messages), sampling: .greedy, maxTokens: 2)) {
            if case .contextTrimmed(let n) = e { dropped = n }
        }
        let seconds = Date().timeIntervalSince(t0)
        print(String(format: "trimming 2001 messages to fit 256 tokens: %.2f s, %d dropped", seconds, dropped))
        XCTAssertGreaterThan(dropped, 1900)
    }

    // MARK: - Pressure

    /// Stop, regenerate and swap, 200 commands in quick succession while the engine generates:
    /// no deadlock, no crash, every command answered promptly and every stream ended.
    func testStopRegenerateSwapPressure() async throws {
        let paths = try levels()
        let engine = Engine(threads: 2, maxOpenLevels: 4)
        try await engine.load(path: paths[0], options: LoadOptions(contextLength: 256))
        let request = GenerationRequest(prompt: .chat([.system("You are brief."), .user("Tell me a long story about a robot.")]),
                                        sampling: SamplingParameters(seed: 3), maxTokens: 200)

        struct Figures: Sendable { var commandMax = [String: Double](), endMax = [String: Double](), counts = [String: Int](), commands = [Double](), ends = [Double]() }
        final class FiguresBox: @unchecked Sendable { var f = Figures() }
        let figures = FiguresBox()
        try await withDeadline(600, "200 commands") {
            var rng = SystemRandomNumberGenerator()
            var current = StreamConsumer.start(await engine.generate(request))
            for i in 0 ..< 200 {
                // Let the generation run a little: sometimes not at all, sometimes a few tokens.
                let pause = [0, 0, 1, 3, 10, 25][Int.random(in: 0 ..< 6, using: &rng)]
                if pause > 0 { try await Task.sleep(nanoseconds: UInt64(pause) * 1_000_000) }
                let command = ["stop", "regenerate", "swap"][i % 3 == 0 ? Int.random(in: 0 ..< 3, using: &rng) : i % 3]
                let t0 = Date()
                let old = current
                switch command {
                case "stop":
                    await engine.stop()
                case "regenerate":
                    current = StreamConsumer.start(await engine.generate(request))
                default:
                    let target = paths[Int.random(in: 0 ..< paths.count, using: &rng)]
                    try await engine.swap(to: target, options: LoadOptions(contextLength: 256))
                }
                let latency = Date().timeIntervalSince(t0)
                let end = await old.waitEnd(since: t0)
                figures.f.commandMax[command] = max(figures.f.commandMax[command] ?? 0, latency)
                figures.f.counts[command, default: 0] += 1
                figures.f.endMax[command] = max(figures.f.endMax[command] ?? 0, end)
                figures.f.commands.append(latency)
                figures.f.ends.append(end)
                if command != "regenerate" { current = StreamConsumer.start(await engine.generate(request)) }
            }
            await engine.stop()
            _ = await current.waitEnd(since: Date())
        }
        let f = figures.f
        let sorted = f.commands.sorted(), ends = f.ends.sorted()
        print("pressure: " + f.counts.sorted { $0.key < $1.key }.map {
            String(format: "%@ x%d: answered in max %.1f ms, previous stream ended within max %.1f ms", $0.key, $0.value,
                   (f.commandMax[$0.key] ?? 0) * 1000, (f.endMax[$0.key] ?? 0) * 1000)
        }.joined(separator: "; ") + String(format: "; all commands: median %.2f ms, p99 %.1f ms", sorted[sorted.count / 2] * 1000,
                                          sorted[min(sorted.count - 1, sorted.count * 99 / 100)] * 1000)
              + String(format: "; stream ends: median %.1f ms, p90 %.1f ms", ends[ends.count / 2] * 1000, ends[ends.count * 9 / 10] * 1000))
        // The latencies above are figures, not asserted (`make bench` prints them on a quiet
        // machine); what is asserted: every command was answered and every stream ended.
        XCTAssertEqual(f.commands.count, 200)
        XCTAssertEqual(f.ends.count, 200)
        // The engine still answers normally.
        let labels = await engine.openLevelLabels
        XCTAssertLessThanOrEqual(labels.count, 4)
        var finish: FinishReason?
        for try await e in await engine.generate(GenerationRequest(prompt: .text("Hello"), sampling: .greedy, maxTokens: 4)) {
            if case .finished(let r, _) = e { finish = r }
        }
        XCTAssertNotNil(finish)
    }

    /// Dropping an engine ends its compute thread (tests and the TUI make many engines).
    /// One compute thread per engine (threads: 1, so the model's pool has no workers).
    func testEnginesDoNotLeakComputeThreads() async throws {
        let path = try levels()[0]
        func threads() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0 }
        do {
            let e = Engine(threads: 1)
            try await e.load(path: path, options: LoadOptions(contextLength: 64))
        }
        try await Task.sleep(nanoseconds: 200_000_000)
        let before = threads()
        weak var lastModel: OpenModel?
        for _ in 0 ..< 10 {
            let e = Engine(threads: 1)
            try await e.load(path: path, options: LoadOptions(contextLength: 64))
            for try await _ in await e.generate(GenerationRequest(prompt: .text("a"), sampling: .greedy, maxTokens: 2)) {}
            lastModel = await e.current
        }
        try await Task.sleep(nanoseconds: 500_000_000)
        let after = threads()
        XCTAssertNil(lastModel, "the engine's model outlives the engine")
        XCTAssertLessThanOrEqual(after - before, 1, "threads before \(before), after 10 engines \(after)")
    }
}

/// Consumes one generation stream on its own task: counts tokens, records when it ended.
private final class StreamConsumer: @unchecked Sendable {
    private let lock = NSLock()
    private var tokens = 0
    private var ended: Date?

    static func start(_ stream: AsyncThrowingStream<GenerationEvent, Error>) -> StreamConsumer {
        let c = StreamConsumer()
        Task {
            do {
                for try await e in stream { if case .token = e { c.lock.withLock { c.tokens += 1 } } }
            } catch {}
            c.lock.withLock { c.ended = Date() }
        }
        return c
    }

    /// Waits until the stream ended; returns seconds from `since`. Fails after 300 s: a hang
    /// guard, not a speed bound (a stream ends within milliseconds of a command).
    func waitEnd(since: Date) async -> Double {
        while true {
            if let e = lock.withLock({ ended }) { return e.timeIntervalSince(since) }
            let limit = 300 * SoakPressureTests.timeScale
            if Date().timeIntervalSince(since) > limit { XCTFail("a stream did not end within \(limit) s of a command"); return limit }
            try? await Task.sleep(nanoseconds: 1_000_000)
        }
    }
}
