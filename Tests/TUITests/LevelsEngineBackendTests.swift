import Catalog
import Foundation
import LLM
import XCTest
import TestSupport
@testable import TUI

/// `EngineBackend.swapLevel` and `compare` on the real engine with the tiny fixture models as
/// two levels of one catalog model.
final class LevelsEngineBackendTests: XCTestCase {
    func backend() throws -> (EngineBackend, [ModelRow]) { try Self.backend() }

    static func backend() throws -> (EngineBackend, [ModelRow]) {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/", !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url.deleteLastPathComponent()
        }
        let tiny = url.deletingLastPathComponent().path + "/shared/fixtures/tiny"
        guard FileManager.default.fileExists(atPath: tiny + "/tiny-llama-f32.gguf") else { throw TestEnvironment.missing("\(tiny) is absent") }
        let entry = ModelEntry(id: "tiny", name: "Tiny", contextLength: 512, levels: [
            LevelEntry(name: "F32", file: tiny + "/tiny-llama-f32.gguf"),
            LevelEntry(name: "Q8_0", file: tiny + "/tiny-llama-q8_0.gguf"),
        ])
        let b = EngineBackend(catalog: Catalog(path: "test", defaultModel: "tiny", models: [entry]))
        let rows = entry.levels.map { ModelRow(b.library.listing(model: entry, level: $0)) }
        return (b, rows)
    }

    func events(_ s: AsyncStream<BackendEvent>) async -> [BackendEvent] {
        var out: [BackendEvent] = []
        for await e in s { out.append(e) }
        return out
    }

    func testSwapLevelKeepsTheConversationAndCompareScores() async throws {
        let (b, rows) = try backend()
        XCTAssertEqual(rows.map(\.level), ["F32", "Q8_0"])
        let loaded = await events(b.load(rows[0]))
        XCTAssertTrue(loaded.contains { if case .modelLoaded = $0 { return true }; return false }, "\(loaded)")
        var settings = ChatSettings()
        settings.temperature = 0
        settings.seed = 1
        let first = ChatRequest(turns: [ChatMessage(role: .user, content: "hello there")], settings: settings)
        let reply = await events(b.generate(first))
        guard case .finished(let s)? = reply.last else { return XCTFail("\(reply)") }
        XCTAssertEqual(s.level, "F32", "the reply names its level")
        let text = String(reply.compactMap { if case .token(let t, _) = $0 { return t }; return nil }.joined().prefix(40))

        let conversation = ChatRequest(turns: [ChatMessage(role: .user, content: "hello there"), ChatMessage(role: .assistant, content: text)], settings: settings)
        let swap = await events(b.swapLevel(rows[1], conversation: conversation))
        guard case .levelSwapped(let m, let seconds, let reused)? = swap.first else { return XCTFail("\(swap)") }
        XCTAssertEqual(m.row.level, "Q8_0")
        XCTAssertFalse(reused)
        XCTAssertGreaterThan(seconds, 0)
        XCTAssertTrue(swap.contains { if case .prefillProgress = $0 { return true }; return false }, "\(swap)")
        XCTAssertTrue(swap.contains { if case .prefilled(let n, _) = $0 { return n > 10 }; return false }, "\(swap)")
        guard case .finished? = swap.last else { return XCTFail("\(swap)") }

        let back = await events(b.swapLevel(rows[0], conversation: conversation))
        guard case .levelSwapped(_, let backSeconds, let backReused)? = back.first else { return XCTFail("\(back)") }
        XCTAssertTrue(backReused, "F32 was still open: no reload")
        XCTAssertGreaterThanOrEqual(backSeconds, 0)

        let follow = ChatRequest(turns: conversation.turns + [ChatMessage(role: .user, content: "more")], settings: settings)
        let cmp = await events(b.compare(follow, levels: rows))
        let started = cmp.compactMap { if case .compareStarted(let c, let l) = $0 { return "\(c):\(l)" }; return nil }
        XCTAssertEqual(started, ["0:F32", "1:Q8_0"])
        XCTAssertTrue(cmp.contains { if case .compareColumnFinished(1, let st) = $0 { return st.mappedBytes > 0 }; return false })
        XCTAssertTrue(cmp.contains { if case .compareQuality(1, let q) = $0 { return q.reference == "tiny:F32" && q.sameTop > 0.5 }; return false }, "\(cmp)")
        guard case .finished(let done)? = cmp.last else { return XCTFail("\(cmp)") }
        XCTAssertEqual(done.level, "F32")
    }

    /// Regenerate: the replaced reply is dropped and the next one starts at once. Dropping a
    /// reply must stop that reply only, and the next one must run to its end. (Dropping used to
    /// also send a general stop, which could in principle land after the next reply started;
    /// this loop did not catch that race in practice, but guards the behaviour.)
    func testDroppingAReplyDoesNotStopTheNextOne() async throws {
        let (b, rows) = try backend()
        _ = await events(b.load(rows[1]))
        var settings = ChatSettings()
        settings.temperature = 0
        let request = ChatRequest(turns: [ChatMessage(role: .user, content: "hello there")], settings: settings)
        let full = await events(b.generate(request))
        guard case .finished(let whole)? = full.last, whole.tokens > 8 else { return XCTFail("\(full)") }
        for round in 0 ..< 20 {
            // As Ctrl-R does: the shown reply's consumer is cancelled mid-stream and the new
            // reply requested at once, without waiting for the old one to wind down.
            let streaming = AsyncStream<Void>.makeStream()
            let first = Task {
                for await e in b.generate(request) { if case .token = e { streaming.continuation.yield() } }
            }
            for await _ in streaming.stream { break }
            first.cancel()
            let next = await events(b.generate(request))
            guard case .finished(let s)? = next.last else { return XCTFail("round \(round): \(next)") }
            XCTAssertFalse(s.stopped, "round \(round): the new reply was stopped after \(s.tokens) tokens")
            XCTAssertEqual(s.tokens, whole.tokens, "round \(round)")
        }
    }
}

/// A catalog found in the current folder fetches nothing without the user's say (issue 13).
final class EngineBackendConsentTests: XCTestCase {
    func testAFolderCatalogDoesNotFetchOnItsOwn() throws {
        let cache = NSTemporaryDirectory() + "quantty-consent-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let level = LevelEntry(name: "Q4_0", file: "m.gguf", sha256: String(repeating: "a", count: 64),
                               source: .pip(packages: ["pkg==1.0"], members: ["pkg/m.gguf"]))
        let entry = ModelEntry(id: "m", name: "M", levels: [level])
        var catalog = Catalog(path: "/somewhere/models.toml", defaultModel: "m", models: [entry])
        catalog.needsConsentToFetch = true
        let b = EngineBackend(catalog: catalog, paths: Paths(environment: ["HOME": "/nonexistent", "XDG_CACHE_HOME": cache]))
        XCTAssertThrowsError(try b.prepare(ModelRow(b.library.listing(model: entry, level: level)))) { e in
            XCTAssertTrue("\(e)".contains("quantty fetch m:Q4_0"), "\(e)")
            XCTAssertTrue("\(e)".contains("without your say"), "\(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache + "/quantty/models"), "nothing was fetched")
    }
}
