import Foundation
import XCTest
@testable import TUI

/// A backend whose streams the test feeds by hand, to put events of different streams in the
/// order a busy engine can produce them.
final class ScriptedBackend: ChatBackend, @unchecked Sendable {
    private let lock = NSLock()
    private var _replies: [AsyncStream<BackendEvent>.Continuation] = []
    private var _swaps: [AsyncStream<BackendEvent>.Continuation] = []
    var replies: [AsyncStream<BackendEvent>.Continuation] { lock.withLock { _replies } }
    var swaps: [AsyncStream<BackendEvent>.Continuation] { lock.withLock { _swaps } }

    func models() async -> [ModelRow] { LevelsAppStateTests.rows }
    func load(_ model: ModelRow) -> AsyncStream<BackendEvent> { AsyncStream { $0.finish() } }
    func generate(_ request: ChatRequest) -> AsyncStream<BackendEvent> {
        let (s, c) = AsyncStream<BackendEvent>.makeStream()
        lock.withLock { _replies.append(c) }
        return s
    }
    func swapLevel(_ level: ModelRow, conversation: ChatRequest) -> AsyncStream<BackendEvent> {
        let (s, c) = AsyncStream<BackendEvent>.makeStream()
        lock.withLock { _swaps.append(c) }
        return s
    }
    func stop() async {}
}

/// Events stay with their stream under fast stop / regenerate / swap (what
/// `scripts/tui-pressure.sh` found): a swap ending under a regenerated reply does not end the
/// reply, and a replaced reply's late tokens do not land in the next one.
final class AppControllerStreamTests: XCTestCase {
    /// A controller on `ScriptedBackend` with one finished exchange.
    func chatting() async throws -> (AppController, ScriptedBackend) {
        let backend = ScriptedBackend()
        let c = AppController(state: LevelsAppStateTests.loadedState(), backend: backend)
        for ch in "hi" { c.handle(.character(ch)) }
        c.handle(.enter)
        XCTAssertEqual(backend.replies.count, 1)
        backend.replies[0].yield(.token("first", logProb: nil))
        backend.replies[0].yield(.finished(ReplySummary(tokens: 1, seconds: 0.1)))
        backend.replies[0].finish()
        try await waitUntil(c) { !$0.isGenerating }
        return (c, backend)
    }

    func testASwapEndingUnderARegeneratedReplyDoesNotEndIt() async throws {
        let (c, backend) = try await chatting()
        c.handle(.function(3))
        c.handle(.home)         // the highest precision: Q8_0 (Q4_1 is open)
        let other = try XCTUnwrap(c.state.quantPicker.selected)
        XCTAssertEqual(other.level, "Q8_0")
        c.handle(.enter)
        XCTAssertEqual(backend.swaps.count, 1)
        c.handle(.escape)       // closes the picker; the swap goes on
        c.handle(.ctrl("r"))    // regenerate while the new level opens
        XCTAssertTrue(c.state.isGenerating)
        XCTAssertEqual(backend.replies.count, 2)

        backend.swaps[0].yield(.levelSwapped(LoadedModel(row: other, contextSize: 2048, threads: 2), seconds: 0.2, reused: false))
        backend.swaps[0].yield(.prefilled(tokens: 12, seconds: 0.1))
        backend.swaps[0].yield(.finished(ReplySummary(tokens: 0, seconds: 0)))
        backend.swaps[0].finish()
        try await waitUntil(c) { $0.model?.row.level == other.level }
        try await Task.sleep(for: .milliseconds(50))
        c.pump()
        XCTAssertTrue(c.state.isGenerating, "the swap's end ended the reply")

        backend.replies[1].yield(.token("second", logProb: nil))
        backend.replies[1].yield(.finished(ReplySummary(tokens: 1, seconds: 0.1)))
        backend.replies[1].finish()
        try await waitUntil(c) { !$0.isGenerating }
        let assistant = c.state.chat.messages.filter { $0.role == .assistant }
        XCTAssertEqual(assistant.map(\.text), ["second"])
        XCTAssertEqual(assistant.last?.footer?.tokens, 1)
        XCTAssertFalse(c.state.chat.messages.contains { $0.isStreaming })
        // The swap's notices sit before the reply, which stays last.
        XCTAssertEqual(c.state.chat.messages.last?.role, .assistant)
        XCTAssertTrue(c.state.chat.messages.dropLast().contains { $0.role == .notice && $0.text.contains("switched") })
    }

    func testAReplacedReplysLateTokensAreDropped() async throws {
        let (c, backend) = try await chatting()
        c.handle(.ctrl("r"))
        XCTAssertEqual(backend.replies.count, 2)
        backend.replies[1].yield(.token("old", logProb: nil))
        try await waitUntil(c) { $0.chat.messages.last?.text == "old" }
        // The reply ends on screen (a failure elsewhere) while its stream still runs, and
        // posts one more token before the next reply starts.
        c.dispatch(.backend(.failed("the level could not be opened")))
        XCTAssertFalse(c.state.isGenerating)
        backend.replies[1].yield(.token(" stale", logProb: nil))
        try await Task.sleep(for: .milliseconds(50))   // posted, not yet pumped
        c.handle(.ctrl("r"))
        XCTAssertEqual(backend.replies.count, 3)
        backend.replies[2].yield(.token("new", logProb: nil))
        backend.replies[2].yield(.finished(ReplySummary(tokens: 1, seconds: 0.1)))
        backend.replies[2].finish()
        try await waitUntil(c) { !$0.isGenerating }
        XCTAssertEqual(c.state.chat.messages.last?.text, "new")
    }
}
