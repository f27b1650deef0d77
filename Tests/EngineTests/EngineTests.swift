import Foundation
import GGUF
import LLM
import XCTest
import TestSupport
@testable import Engine

/// The engine on the tiny random-weight llama from the fixtures (272-token byte-level BPE):
/// fast enough to drive many generations, real enough to exercise every path.
final class EngineTests: XCTestCase {
    static let fixtures: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url.deletingLastPathComponent().appendingPathComponent("shared/fixtures").path
            }
        }
        return "../shared/fixtures"
    }()

    func tinyModel(_ name: String = "tiny-llama-f32.gguf") throws -> String {
        let path = Self.fixtures + "/tiny/" + name
        guard FileManager.default.fileExists(atPath: path) else { throw TestEnvironment.missing("\(path) is absent (../shared/fixtures)") }
        return path
    }

    /// Collects a whole generation.
    struct Run {
        var text = ""
        var tokens: [Int32] = []
        var logProbs: [Float] = []
        var finish: FinishReason?
        var stats = GenerationStats()
        var trimmed = 0
        var progress: [(Int, Int)] = []
    }

    func collect(_ stream: AsyncThrowingStream<GenerationEvent, Error>, onToken: (Int) async -> Void = { _ in }) async throws -> Run {
        var r = Run()
        for try await e in stream {
            switch e {
            case .token(let t):
                r.text += t.text
                if t.id >= 0 { r.tokens.append(t.id); r.logProbs.append(t.logProbability) }
                await onToken(r.tokens.count)
            case .finished(let reason, let s): r.finish = reason; r.stats = s
            case .contextTrimmed(let n): r.trimmed += n
            case .promptProgress(let d, let t): r.progress.append((d, t))
            case .stats: break
            }
        }
        return r
    }

    let greedy = SamplingParameters.greedy

    func testLoadReportsTheModel() async throws {
        let engine = Engine(threads: 2)
        let info = try await engine.load(path: try tinyModel(), options: LoadOptions(contextLength: 128, label: "tiny"))
        XCTAssertEqual(info.architecture, "llama")
        XCTAssertEqual(info.vocabularySize, 272)
        XCTAssertEqual(info.contextLength, 128)
        XCTAssertEqual(info.label, "tiny")
        XCTAssertEqual(info.parameterCount, 1_250_560)
        XCTAssertGreaterThan(info.kvCacheBytes, 0)
        let current = await engine.info
        XCTAssertEqual(current, info)
    }

    func testGreedyIsDeterministicAndHonoursMaxTokens() async throws {
        let engine = Engine()
        try await engine.load(path: try tinyModel(), options: LoadOptions(contextLength: 256))
        let req = GenerationRequest(prompt: .text("hello world"), sampling: greedy, maxTokens: 12)
        let a = try await collect(await engine.generate(req))
        try await engine.resetContext()
        let b = try await collect(await engine.generate(req))
        XCTAssertEqual(a.tokens, b.tokens)
        XCTAssertEqual(a.text, b.text)
        XCTAssertLessThanOrEqual(a.tokens.count, 12)
        if a.finish == .length { XCTAssertEqual(a.tokens.count, 12) } else { XCTAssertEqual(a.finish, .endOfTurn) }
        XCTAssertTrue(a.logProbs.allSatisfy { $0 <= 0 && $0.isFinite }, "\(a.logProbs)")
        XCTAssertEqual(a.stats.generatedTokens, a.tokens.count)
        let promptIds = try await engine.tokenize("hello world")
        XCTAssertEqual(a.stats.promptTokens, promptIds.count)
        XCTAssertEqual(a.progress.last?.0, a.progress.last?.1)
    }

    func testSameSeedSameTextDifferentSeedDifferentText() async throws {
        let engine = Engine()
        try await engine.load(path: try tinyModel(), options: LoadOptions(contextLength: 256))
        var p = SamplingParameters()
        // The tiny model's logits reach ~100: a high temperature makes sampling matter.
        p.temperature = 8; p.topK = 0; p.topP = 1; p.minP = 0
        func sample(_ seed: UInt64) async throws -> [Int32] {
            p.seed = seed
            try await engine.resetContext()
            return try await collect(await engine.generate(GenerationRequest(prompt: .text("abc"), sampling: p, maxTokens: 24))).tokens
        }
        let a1 = try await sample(1), a2 = try await sample(1), b = try await sample(2)
        XCTAssertEqual(a1, a2)
        XCTAssertNotEqual(a1, b)
    }

    /// On the real default model (about 10 ms a token), so the consumer keeps up with the
    /// stream and "tokens after stop()" measures the engine, not the stream's buffer.
    func testStopTakesEffectWithinOneToken() async throws {
        let cache = ProcessInfo.processInfo.environment["XDG_CACHE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? NSHomeDirectory() + "/.cache"
        let path = cache + "/quantty/models/SmolLM2-135M-Instruct.Q4_1.gguf"
        guard FileManager.default.fileExists(atPath: path) else { throw TestEnvironment.missing("\(path) is absent: run `quantty fetch`") }
        let engine = Engine()
        try await engine.load(path: path, options: LoadOptions(contextLength: 512))
        var p = SamplingParameters()
        p.seed = 7; p.temperature = 1
        let stream = await engine.generate(GenerationRequest(prompt: .text("Once upon a time"), sampling: p, maxTokens: 400))
        var stoppedAt: Int?
        let r = try await collect(stream) { n in
            if n == 5, stoppedAt == nil { stoppedAt = n; await engine.stop() }
        }
        XCTAssertEqual(stoppedAt, 5, "the model ended before 5 tokens: pick another seed")
        XCTAssertEqual(r.finish, .stopped)
        XCTAssertLessThanOrEqual(r.tokens.count, 6, "at most one token after stop()")
    }

    func testDroppingTheStreamStopsGeneration() async throws {
        let engine = Engine()
        try await engine.load(path: try tinyModel(), options: LoadOptions(contextLength: 512))
        var p = SamplingParameters()
        p.seed = 7; p.temperature = 1
        do {
            var n = 0
            for try await e in await engine.generate(GenerationRequest(prompt: .text("abc"), sampling: p, maxTokens: 400)) {
                if case .token = e { n += 1 }
                if n == 3 { break }
            }
        }
        // Session work queues behind the generation job: had the dropped generation kept running,
        // this would see its ~400 tokens in the cache.
        let filled = try await engine.withSession { session, _ in session.position }
        XCTAssertLessThan(filled, 40, "the dropped generation stopped within a few tokens")
        let r = try await collect(await engine.generate(GenerationRequest(prompt: .text("abc"), sampling: greedy, maxTokens: 3)))
        XCTAssertLessThanOrEqual(r.tokens.count, 3)
    }

    func testFollowUpTurnReusesTheCachedPrefix() async throws {
        let engine = Engine()
        try await engine.load(path: try tinyModel(), options: LoadOptions(contextLength: 512))
        var chat: [ChatMessage] = [.system("be brief"), .user("hi")]
        let first = try await collect(await engine.generate(GenerationRequest(prompt: .chat(chat), sampling: greedy, maxTokens: 8)))
        chat.append(.assistant(first.text))
        chat.append(.user("and then?"))
        let second = try await collect(await engine.generate(GenerationRequest(prompt: .chat(chat), sampling: greedy, maxTokens: 8)))
        let full = try await engine.tokenize(ChatTemplate(family: .chatml).render(chat, addGenerationPrompt: true))
        XCTAssertGreaterThan(first.stats.promptTokens, 10)
        XCTAssertLessThan(second.stats.promptTokens, full.count - 10, "only the new part of the conversation is read")
    }

    func testLongChatNeverFailsAndKeepsTheSystemPrompt() async throws {
        let engine = Engine()
        try await engine.load(path: try tinyModel(), options: LoadOptions(contextLength: 96))
        var chat: [ChatMessage] = [.system("sys")]
        var trimmedTotal = 0
        for turn in 0 ..< 30 {
            chat.append(.user("turn \(turn): tell me more"))
            let r = try await collect(await engine.generate(GenerationRequest(prompt: .chat(chat), sampling: greedy, maxTokens: 10)))
            XCTAssertNotNil(r.finish)
            XCTAssertLessThanOrEqual(r.stats.contextUsed, 96)
            trimmedTotal += r.trimmed
            chat.append(.assistant(r.text))
        }
        XCTAssertGreaterThan(trimmedTotal, 10, "a 96-token context must have dropped many turns")
    }

    func testErrorsAreClearMessages() async throws {
        let engine = Engine()
        do {
            _ = try await collect(await engine.generate(GenerationRequest(prompt: .text("x"))))
            XCTFail("no model: should fail")
        } catch {
            XCTAssertEqual("\(error)", "no model is loaded")
        }
        do {
            try await engine.load(path: "/nonexistent/model.gguf")
            XCTFail("should fail")
        } catch {
            XCTAssertTrue("\(error)".contains("/nonexistent/model.gguf"), "\(error)")
        }
        try await engine.load(path: try tinyModel(), options: LoadOptions(contextLength: 32))
        do {
            _ = try await collect(await engine.generate(GenerationRequest(prompt: .text(String(repeating: "z", count: 100)))))
            XCTFail("a prompt longer than the context should fail")
        } catch {
            XCTAssertTrue("\(error)".contains("more than the context"), "\(error)")
        }
        // The engine still works after an error.
        let r = try await collect(await engine.generate(GenerationRequest(prompt: .text("ok"), sampling: greedy, maxTokens: 2)))
        XCTAssertNotNil(r.finish)
    }

    func testUnknownArchitectureIsNamed() async throws {
        let src = try GGUFFile(path: try tinyModel())
        var w = GGUFWriter(metadataOf: src)
        w["general.architecture"] = .string("mamba9")
        for t in src.tensors { try w.addTensor(name: t.name, shape: t.shape, type: t.type, bytes: src.tensorData(t)) }
        let path = NSTemporaryDirectory() + "quantty-mamba9-\(UUID().uuidString).gguf"
        try w.write(to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            try await Engine().load(path: path)
            XCTFail("should fail")
        } catch {
            XCTAssertTrue("\(error)".contains("unknown architecture 'mamba9'"), "\(error)")
        }
    }
}
