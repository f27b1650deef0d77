import Foundation
import LLM
import XCTest
import TestSupport
@testable import Engine

/// Hot-swap between levels and side-by-side comparison, on the tiny llama's F32 and Q8_0 files
/// (two "levels" of one model), and swap timings on the real SmolLM2 levels when present.
final class EngineLevelsTests: XCTestCase {
    let greedy = SamplingParameters.greedy
    var helper: EngineLevelsTests { self }

    func tinyModel(_ name: String) throws -> String {
        let path = EngineTests.fixtures + "/tiny/" + name
        guard FileManager.default.fileExists(atPath: path) else { throw TestEnvironment.missing("\(path) is absent (../shared/fixtures)") }
        return path
    }

    func levels() throws -> (f32: String, q8: String) {
        (try tinyModel("tiny-llama-f32.gguf"), try tinyModel("tiny-llama-q8_0.gguf"))
    }

    func collect(_ stream: AsyncThrowingStream<GenerationEvent, Error>) async throws -> EngineTests.Run {
        var r = EngineTests.Run()
        for try await e in stream {
            switch e {
            case .token(let t):
                r.text += t.text
                if t.id >= 0 { r.tokens.append(t.id); r.logProbs.append(t.logProbability) }
            case .finished(let reason, let s): r.finish = reason; r.stats = s
            case .contextTrimmed(let n): r.trimmed += n
            case .promptProgress(let d, let t): r.progress.append((d, t))
            case .stats: break
            }
        }
        return r
    }

    func testSwapKeepsTheConversationAndTheFollowUpRunsOnTheNewLevel() async throws {
        let (f32, q8) = try levels()
        let engine = Engine()
        try await engine.load(path: f32, options: LoadOptions(contextLength: 512, label: "tiny:F32"))
        var chat: [ChatMessage] = [.system("be brief"), .user("hi there, how are you today?")]
        let first = try await helper.collect(await engine.generate(GenerationRequest(prompt: .chat(chat), sampling: greedy, maxTokens: 8)))
        XCTAssertEqual(first.stats.level, "tiny:F32", "each reply names the level that wrote it")
        chat.append(.assistant(first.text))

        let swap = try await engine.swap(to: q8, options: LoadOptions(contextLength: 512, label: "tiny:Q8_0"))
        XCTAssertFalse(swap.reused)
        XCTAssertEqual(swap.info.label, "tiny:Q8_0")
        let info = await engine.info
        XCTAssertEqual(info?.label, "tiny:Q8_0")

        // The new level re-reads the conversation, with progress.
        let prefill = try await helper.collect(await engine.prefill(chat))
        XCTAssertEqual(prefill.finish, .prefilled)
        XCTAssertGreaterThan(prefill.stats.promptTokens, 20)
        XCTAssertEqual(prefill.progress.last?.0, prefill.stats.promptTokens)
        XCTAssertTrue(prefill.tokens.isEmpty)

        chat.append(.user("and then?"))
        let second = try await helper.collect(await engine.generate(GenerationRequest(prompt: .chat(chat), sampling: greedy, maxTokens: 8)))
        XCTAssertEqual(second.stats.level, "tiny:Q8_0")
        XCTAssertNotNil(second.finish)
        XCTAssertLessThan(second.stats.promptTokens, 40, "after the prefill only the new turn is read (byte-level vocabulary)")
        XCTAssertLessThan(second.stats.promptTokens * 2, prefill.stats.promptTokens)

        // The same follow-up on a fresh Q8_0 engine reading everything writes the same reply.
        let fresh = Engine()
        try await fresh.load(path: q8, options: LoadOptions(contextLength: 512))
        let reference = try await helper.collect(await fresh.generate(GenerationRequest(prompt: .chat(chat), sampling: greedy, maxTokens: 8)))
        XCTAssertEqual(second.tokens.prefix(4), reference.tokens.prefix(4))
    }

    func testSwitchingBackReusesTheMappingAndItsCache() async throws {
        let (f32, q8) = try levels()
        let engine = Engine()
        let a = LoadOptions(contextLength: 256, label: "A"), b = LoadOptions(contextLength: 256, label: "B")
        try await engine.load(path: f32, options: a)
        let chat: [ChatMessage] = [.user("tell me a story about a cat")]
        let first = try await helper.collect(await engine.generate(GenerationRequest(prompt: .chat(chat), sampling: greedy, maxTokens: 6)))
        let toB = try await engine.swap(to: q8, options: b)
        XCTAssertFalse(toB.reused)
        let back = try await engine.swap(to: f32, options: a)
        XCTAssertTrue(back.reused, "A was still open: no reload")
        let labels = await engine.openLevelLabels
        XCTAssertEqual(labels, ["B", "A"])
        // A's KV cache still holds the first turn: a follow-up reads only its new tokens.
        let follow = try await helper.collect(await engine.generate(GenerationRequest(
            prompt: .chat(chat + [.assistant(first.text), .user("more")]), sampling: greedy, maxTokens: 4)))
        XCTAssertLessThan(follow.stats.promptTokens, 30, "only the new turn (byte-level vocabulary)")
        XCTAssertLessThan(follow.stats.promptTokens, first.stats.promptTokens)
        XCTAssertEqual(follow.stats.level, "A")
    }

    func testLeastRecentlyUsedLevelsAreClosed() async throws {
        let (f32, q8) = try levels()
        let engine = Engine(maxOpenLevels: 2)
        try await engine.swap(to: f32, options: LoadOptions(contextLength: 64, label: "a"))
        try await engine.swap(to: q8, options: LoadOptions(contextLength: 64, label: "b"))
        try await engine.swap(to: f32, options: LoadOptions(contextLength: 128, label: "c"))   // other context: another entry
        let labels = await engine.openLevelLabels
        XCTAssertEqual(labels, ["b", "c"])
        let again = try await engine.swap(to: f32, options: LoadOptions(contextLength: 64, label: "a"))
        XCTAssertFalse(again.reused, "a was closed")
    }

    func collectCompare(_ s: AsyncThrowingStream<CompareEvent, Error>) async throws
        -> (texts: [Int: String], started: [Int], finished: [Int: GenerationStats], quality: [Int: ReplyQuality], ended: Bool) {
        var texts: [Int: String] = [:], started: [Int] = [], finished: [Int: GenerationStats] = [:], quality: [Int: ReplyQuality] = [:]
        var ended = false
        for try await e in s {
            switch e {
            case .columnStarted(let c, _, _): started.append(c)
            case .generation(let c, .token(let t)): texts[c, default: ""] += t.text
            case .generation: break
            case .columnFinished(let c, let st, let mem, let mapped):
                finished[c] = st
                XCTAssertGreaterThan(mem.resident, 0); XCTAssertGreaterThan(mapped, 0)
            case .quality(let c, let q): quality[c] = q
            case .finished: ended = true
            }
        }
        return (texts, started, finished, quality, ended)
    }

    func testCompareStreamsColumnsAndScoresTheReferenceReply() async throws {
        let (f32, q8) = try levels()
        let engine = Engine()
        try await engine.load(path: q8, options: LoadOptions(contextLength: 256, label: "Q8_0"))
        try await engine.swap(to: f32, options: LoadOptions(contextLength: 512, label: "current"))
        let request = GenerationRequest(prompt: .chat([.user("hello, who are you?")]), sampling: greedy, maxTokens: 16)
        let r = try await collectCompare(await engine.compare(request, levels: [
            CompareLevel(path: f32, options: LoadOptions(contextLength: 256, label: "F32")),
            CompareLevel(path: q8, options: LoadOptions(contextLength: 256, label: "Q8_0")),
        ]))
        XCTAssertTrue(r.ended)
        XCTAssertEqual(r.started, [0, 1])
        XCTAssertEqual(r.finished[0]?.level, "F32")
        XCTAssertEqual(r.finished[1]?.level, "Q8_0")
        let q = try XCTUnwrap(r.quality[1])
        XCTAssertNil(r.quality[0], "the reference is not scored against itself")
        XCTAssertEqual(q.reference, "F32")
        XCTAssertEqual(q.tokens, r.finished[0]?.generatedTokens)
        // The tiny model's logits reach ~100: its distributions are nearly one-hot.
        XCTAssertGreaterThanOrEqual(q.meanKLD, 0)
        XCTAssertLessThan(q.meanKLD, 0.1, "Q8_0 is close to F32")
        XCTAssertGreaterThan(q.sameTop, 0.6)
        XCTAssertGreaterThanOrEqual(q.perplexity, 0.999)
        let info = await engine.info
        XCTAssertEqual(info?.label, "current", "the level open before the comparison is open after it")
    }

    func testComparingALevelWithItselfIsZeroDivergence() async throws {
        let (f32, _) = try levels()
        let engine = Engine()
        let request = GenerationRequest(prompt: .text("the quick brown fox"), sampling: greedy, maxTokens: 12)
        let r = try await collectCompare(await engine.compare(request, levels: [
            CompareLevel(path: f32, options: LoadOptions(contextLength: 128, label: "x")),
            CompareLevel(path: f32, options: LoadOptions(contextLength: 96, label: "y")),
        ]))
        XCTAssertEqual(r.texts[0], r.texts[1])
        let q = try XCTUnwrap(r.quality[1])
        XCTAssertEqual(q.meanKLD, 0, accuracy: 1e-4)
        XCTAssertEqual(q.sameTop, 1)
    }

    /// The real model: a reply of Q8_0 scored by Q4_K_M has a measurable divergence.
    func testRealSmolLM2CompareScoresTheReference() async throws {
        let dir = (ProcessInfo.processInfo.environment["XDG_CACHE_HOME"] ?? NSHomeDirectory() + "/.cache") + "/quantty/models"
        let q8 = dir + "/SmolLM2-135M-Instruct.Q8_0.gguf", q4 = dir + "/SmolLM2-135M-Instruct.Q4_K_M.gguf"
        guard FileManager.default.fileExists(atPath: q8), FileManager.default.fileExists(atPath: q4) else {
            throw TestEnvironment.missing("SmolLM2 levels absent: run `quantty fetch --all`")
        }
        let engine = Engine()
        let request = GenerationRequest(prompt: .chat([.user("Write one sentence about the sea.")]), sampling: greedy, maxTokens: 24)
        let r = try await collectCompare(await engine.compare(request, levels: [
            CompareLevel(path: q8, options: LoadOptions(contextLength: 512, label: "Q8_0")),
            CompareLevel(path: q4, options: LoadOptions(contextLength: 512, label: "Q4_K_M")),
        ]))
        let q = try XCTUnwrap(r.quality[1])
        XCTAssertEqual(q.tokens, r.finished[0]?.generatedTokens)
        XCTAssertGreaterThan(q.meanKLD, 0.001)
        XCTAssertLessThan(q.meanKLD, 1)
        XCTAssertGreaterThan(q.sameTop, 0.5)
        XCTAssertGreaterThan(q.perplexity, 1)
        print("compare Q8_0 vs Q4_K_M: \(r.texts[0] ?? "") | \(r.texts[1] ?? "") | KLD \(q.meanKLD) same top \(q.sameTop) ppl \(q.perplexity)")
    }

    /// Swap timings on the real default model's levels (first open vs switching back).
    func testRealSmolLM2LevelSwapTimings() async throws {
        let dir = (ProcessInfo.processInfo.environment["XDG_CACHE_HOME"] ?? NSHomeDirectory() + "/.cache") + "/quantty/models"
        let names = ["Q4_1", "Q4_K_M", "Q5_K_M", "Q8_0"]
        let paths = names.map { dir + "/SmolLM2-135M-Instruct.\($0).gguf" }
        guard paths.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) else {
            throw TestEnvironment.missing("SmolLM2 levels absent: run `quantty fetch --all`")
        }
        let engine = Engine()
        var chat: [ChatMessage] = [.user("What is the capital of France?")]
        try await engine.load(path: paths[0], options: LoadOptions(contextLength: 1024, label: names[0]))
        let first = try await helper.collect(await engine.generate(GenerationRequest(prompt: .chat(chat), sampling: greedy, maxTokens: 16)))
        chat.append(.assistant(first.text))
        var report: [String] = []
        for (name, path) in zip(names, paths).dropFirst() + [(names[0], paths[0])] {
            let s = try await engine.swap(to: path, options: LoadOptions(contextLength: 1024, label: name))
            let p = try await helper.collect(await engine.prefill(chat))
            report.append(String(format: "%@ %@ %.1f ms, prefill %d tokens %.0f ms", name, s.reused ? "reused" : "opened",
                                 s.seconds * 1000, p.stats.promptTokens, p.stats.promptSeconds * 1000))
            if name == names[0] { XCTAssertTrue(s.reused); XCTAssertLessThan(s.seconds, 0.01) }
        }
        chat.append(.user("And of Germany?"))
        let r = try await helper.collect(await engine.generate(GenerationRequest(prompt: .chat(chat), sampling: greedy, maxTokens: 16)))
        XCTAssertEqual(r.stats.level, "Q4_1")
        print("swap timings: " + report.joined(separator: "; "))
    }
}

extension EngineLevelsTests {
    /// A conversation too long to read ahead is not an error: the next reply trims it.
    func testPrefillOfAnOverlongConversationIsANoOp() async throws {
        let (f32, _) = try levels()
        let engine = Engine()
        try await engine.load(path: f32, options: LoadOptions(contextLength: 64))
        let chat: [ChatMessage] = [.user(String(repeating: "long text ", count: 20))]
        let r = try await collect(await engine.prefill(chat))
        XCTAssertEqual(r.finish, .prefilled)
        XCTAssertEqual(r.stats.promptTokens, 0)
    }
}
