import Catalog
import XCTest
@testable import TUI

/// F3 (switch level, keep the chat) and F4 (compare levels side by side) in the reducer and
/// through the controller with a fake backend.
final class LevelsAppStateTests: XCTestCase {
    static let rows = [
        ModelRow(reference: .catalog(model: "m", level: "Q4_1"), name: "M", architecture: "llama", parameters: "135M", level: "Q4_1",
                 sizeBytes: 92 << 20, bitsPerWeight: 5.0, isPresent: true),
        ModelRow(reference: .catalog(model: "m", level: "Q4_K_M"), name: "M", architecture: "llama", parameters: "135M", level: "Q4_K_M",
                 sizeBytes: 100 << 20, bitsPerWeight: 6.2, isPresent: true),
        ModelRow(reference: .catalog(model: "m", level: "Q5_K_M"), name: "M", architecture: "llama", parameters: "135M", level: "Q5_K_M",
                 sizeBytes: 107 << 20, bitsPerWeight: 6.6, isPresent: true),
        ModelRow(reference: .catalog(model: "m", level: "Q8_0"), name: "M", architecture: "llama", parameters: "135M", level: "Q8_0",
                 sizeBytes: 138 << 20, bitsPerWeight: 8.5, isPresent: true),
        ModelRow(reference: .catalog(model: "other", level: "Q8_0"), name: "Other", architecture: "qwen3", parameters: "0.6B", level: "Q8_0",
                 sizeBytes: 600 << 20, bitsPerWeight: 8.5, isPresent: true),
    ]

    func loaded(_ row: ModelRow = rows[0], rows: [ModelRow] = rows) -> AppState { Self.loadedState(row, rows: rows) }

    static func loadedState(_ row: ModelRow = rows[0], rows: [ModelRow] = rows) -> AppState {
        var s = AppState(width: 110, height: 32)
        _ = s.reduce(.modelsListed(rows))
        _ = s.reduce(.backend(.modelLoaded(LoadedModel(row: row, contextSize: 2048, threads: 2))))
        return s
    }

    func type(_ s: inout AppState, _ text: String) { for c in text { _ = s.handle(.character(c)) } }

    /// One exchange on the loaded level.
    func chatOnce(_ s: inout AppState, _ text: String, reply: String) {
        type(&s, text)
        _ = s.handle(.enter)
        _ = s.reduce(.backend(.token(reply, logProb: -0.1)))
        _ = s.reduce(.backend(.finished(ReplySummary(tokens: 1, seconds: 0.1, level: s.model?.row.level))))
    }

    func testF3ListsTheModelsLevelsAndSwapsKeepingTheChat() {
        var s = loaded()
        chatOnce(&s, "hello", reply: "hi there")
        XCTAssertEqual(s.chat.messages.last?.footer?.level, "Q4_1", "the reply names its level")

        _ = s.handle(.function(3))
        XCTAssertEqual(s.mode, .quantLevel)
        XCTAssertEqual(s.quantPicker.visibleRows.map(\.level), ["Q8_0", "Q5_K_M", "Q4_K_M", "Q4_1"], "only this model, highest first")
        XCTAssertEqual(s.quantPicker.selected?.level, "Q4_1", "the loaded level is selected")
        _ = s.handle(.up); _ = s.handle(.up); _ = s.handle(.up)
        let effects = s.handle(.enter)
        XCTAssertEqual(effects, [.swapLevel(Self.rows[3], s.request())])
        XCTAssertEqual(s.request().turns.map(\.content), ["hello", "hi there"], "the conversation goes with the swap")

        let before = s.chat.messages.filter { $0.role != .notice }
        _ = s.reduce(.backend(.levelSwapped(LoadedModel(row: Self.rows[3], contextSize: 2048, threads: 2), seconds: 0.0123, reused: false)))
        XCTAssertEqual(s.mode, .chat)
        XCTAssertEqual(s.model?.row.level, "Q8_0")
        XCTAssertEqual(s.stats.level, "Q8_0")
        XCTAssertEqual(s.chat.messages.filter { $0.role != .notice }, before, "the chat stays")
        let notice = s.chat.messages.last?.text ?? ""
        XCTAssertTrue(notice.contains("switched from Q4_1 to Q8_0 in 12 ms"), notice)
        _ = s.reduce(.backend(.prefillProgress(done: 5, total: 10)))
        XCTAssertTrue(s.status?.message.contains("re-reading the conversation: 5/10") ?? false, "\(String(describing: s.status))")
        _ = s.reduce(.backend(.prefilled(tokens: 10, seconds: 0.2)))
        XCTAssertTrue(s.chat.messages.last?.text.contains("re-read 10 tokens") ?? false)
        _ = s.reduce(.backend(.finished(ReplySummary(tokens: 0, seconds: 0))))
        XCTAssertNil(s.loading)

        // The follow-up goes to the new level with the whole conversation and is labelled with it.
        type(&s, "more")
        guard case .generate(let r)? = s.handle(.enter).first else { return XCTFail("expected a reply") }
        XCTAssertEqual(r.turns.map(\.content), ["hello", "hi there", "more"])
        _ = s.reduce(.backend(.token("ok", logProb: nil)))
        _ = s.reduce(.backend(.finished(ReplySummary(tokens: 1, seconds: 0.1, level: "Q8_0"))))
        XCTAssertEqual(s.chat.messages.last?.footer?.level, "Q8_0")
        XCTAssertEqual(s.chat.messages.filter { $0.role == .assistant }.map { $0.footer?.level }, ["Q4_1", "Q8_0"])
    }

    func testF3OnTheLoadedLevelJustCloses() {
        var s = loaded()
        _ = s.handle(.function(3))
        XCTAssertEqual(s.handle(.enter), [])
        XCTAssertEqual(s.mode, .chat)
    }

    func testF4ComparesTheTopThreeLevelsAndKeepsTheReferenceReply() {
        var s = loaded()
        _ = s.handle(.function(4))
        XCTAssertTrue(s.compareMode)
        XCTAssertTrue(s.status?.message.contains("Q8_0 · Q5_K_M · Q4_K_M") ?? false, "\(String(describing: s.status))")
        type(&s, "why?")
        let effects = s.handle(.enter)
        XCTAssertEqual(effects, [.compare(s.request(), [Self.rows[3], Self.rows[2], Self.rows[1]])])
        XCTAssertTrue(s.isGenerating)
        XCTAssertEqual(s.comparison?.columns.map(\.level), ["Q8_0", "Q5_K_M", "Q4_K_M"])

        for c in 0 ..< 3 {
            _ = s.reduce(.backend(.compareStarted(column: c, level: ["Q8_0", "Q5_K_M", "Q4_K_M"][c])))
            XCTAssertEqual(s.comparison?.columns[c].isStreaming, true)
            _ = s.reduce(.backend(.compareToken(column: c, "because ")))
            _ = s.reduce(.backend(.compareToken(column: c, "\(c)")))
            _ = s.reduce(.backend(.compareColumnFinished(column: c, CompareColumnStats(tokens: 2, tokensPerSecond: 40, mappedBytes: 100 << 20, residentBytes: 200 << 20))))
        }
        _ = s.reduce(.backend(.compareQuality(column: 1, CompareQuality(reference: "m:Q8_0", perplexity: 2.5, meanKLD: 0.1180, sameTop: 0.82))))
        _ = s.reduce(.backend(.compareQuality(column: 2, CompareQuality(reference: "m:Q8_0", perplexity: 2.2, meanKLD: 0.0837, sameTop: 0.85))))
        XCTAssertEqual(s.comparison?.columns.map(\.text), ["because 0", "because 1", "because 2"])
        let screen = s.render().text()
        XCTAssertTrue(screen.contains("Q8_0 (reference)"), screen)
        XCTAssertTrue(screen.contains("0.1180"), screen)
        XCTAssertTrue(screen.contains("40.0"), screen)

        _ = s.reduce(.backend(.finished(ReplySummary(tokens: 2, seconds: 0.05, level: "Q8_0"))))
        XCTAssertFalse(s.isGenerating)
        XCTAssertEqual(s.comparison?.isRunning, false)
        let replies = s.chat.messages.filter { $0.role == .assistant }
        XCTAssertEqual(replies.map(\.text), ["because 0"], "the reference reply joins the conversation")
        XCTAssertEqual(replies.last?.footer?.level, "Q8_0")
        XCTAssertTrue(s.chat.messages.last?.text.contains("Q4_K_M KLD 0.0837, same top 85%") ?? false)
        XCTAssertEqual(s.request().turns.map(\.content), ["why?", "because 0"])

        _ = s.handle(.function(4))
        XCTAssertFalse(s.compareMode)
        XCTAssertNil(s.comparison)
    }

    func testF4NeedsTwoPresentLevels() {
        var rows = Self.rows
        for i in 1 ..< 4 { rows[i].isPresent = false }
        var s = loaded(rows[0], rows: rows)
        _ = s.handle(.function(4))
        XCTAssertFalse(s.compareMode)
        XCTAssertEqual(s.status?.tone, .warning)
    }

    func testControllerSwapsAndComparesThroughTheBackend() async throws {
        let backend = FakeBackend(tokens: ["a", "b"], rows: Self.rows)
        var st = AppState(width: 110, height: 32)
        _ = st.reduce(.modelsListed(Self.rows))
        let c = AppController(state: st, backend: backend)
        c.load(Self.rows[0])
        try await waitUntil(c) { $0.model != nil }
        for ch in "hi" { c.handle(.character(ch)) }
        c.handle(.enter)
        try await waitUntil(c) { !$0.isGenerating && $0.chat.messages.contains { $0.role == .assistant } }

        c.handle(.function(3))
        c.handle(.up)
        c.handle(.enter)
        try await waitUntil(c) { $0.model?.row.level == "Q4_K_M" && $0.loading == nil }
        XCTAssertEqual(backend.swaps.first?.0.level, "Q4_K_M")
        XCTAssertEqual(backend.swaps.first?.1.turns.map(\.role), [.user, .assistant])
        XCTAssertTrue(c.state.chat.messages.contains { $0.text.contains("re-read 20 tokens") })

        c.handle(.function(4))
        for ch in "again" { c.handle(.character(ch)) }
        c.handle(.enter)
        try await waitUntil(c) { $0.comparison?.isRunning == false }
        XCTAssertEqual(backend.comparisons.first?.1.map(\.level), ["Q8_0", "Q5_K_M", "Q4_K_M"])
        XCTAssertEqual(c.state.comparison?.columns.compactMap(\.quality).count, 2)
        XCTAssertEqual(c.state.chat.messages.filter { $0.role == .assistant }.last?.footer?.level, "Q8_0")
    }
}

final class LevelsRenderTests: XCTestCase {
    /// The compare columns on a 110x32 screen (printed for the notes).
    func testCompareColumnsRender() {
        var s = LevelsAppStateTests.loadedState()
        _ = s.handle(.function(4))
        for c in "Tell me about the sea" { _ = s.handle(.character(c)) }
        _ = s.handle(.enter)
        let levels = ["Q8_0", "Q5_K_M", "Q4_K_M"]
        for c in 0 ..< 3 {
            _ = s.reduce(.backend(.compareStarted(column: c, level: levels[c])))
            _ = s.reduce(.backend(.compareToken(column: c, "The sea is a vast and mysterious realm, where the boundaries of the ocean dissolve \(c).")))
            _ = s.reduce(.backend(.compareColumnFinished(column: c, CompareColumnStats(tokens: 24, tokensPerSecond: 45.2 - Double(c), mappedBytes: 150 << 20, residentBytes: 420 << 20))))
        }
        _ = s.reduce(.backend(.compareQuality(column: 1, CompareQuality(reference: "m:Q8_0", perplexity: 2.31, meanKLD: 0.0712, sameTop: 0.875))))
        let screen = s.render().text()
        print(screen)
        XCTAssertTrue(screen.contains("Q5_K_M"))
        XCTAssertTrue(screen.contains("scoring…"), "column 3 waits for its score")
    }
}
