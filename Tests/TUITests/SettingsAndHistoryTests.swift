import Catalog
import Foundation
import LLM
import XCTest
@testable import TUI

/// F5 settings reach the next reply (and the context length reloads the model), they and the
/// input history persist in the store across runs, and the small fixes of issue 5.
final class SettingsAndHistoryTests: XCTestCase {
    /// A catalog model's defaults become the chat's settings through the one catalog->sampler
    /// conversion, and read back as the decimals the catalog wrote.
    func testCatalogDefaultsBecomeSettings() throws {
        let c = try Catalog.parse(text: """
        default = "m"
        [models.m]
        name = "M"
        system_prompt = "Be brief."
        [models.m.sampling]
        temperature = 0.6
        top_p = 0.9
        repeat_penalty = 1.05
        seed = 3
        [models.m.levels.Q8_0]
        file = "m.gguf"
        """, path: "t.toml")
        var s = ChatSettings()
        s.apply(catalog: try XCTUnwrap(c.model("m")))
        XCTAssertEqual(s.systemPrompt, "Be brief.")
        XCTAssertEqual(s.temperature, 0.6)
        XCTAssertEqual(s.topP, 0.9)
        XCTAssertEqual(s.repeatPenalty, 1.05)
        XCTAssertEqual(s.seed, 3)
        XCTAssertEqual(s.topK, ChatSettings().topK, "unset keys keep the chat's defaults")
        XCTAssertEqual(s.minP, ChatSettings().minP)
    }

    var dir = ""

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("quantty-settings-\(UUID())").path
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func loadedState(settings: ChatSettings = ChatSettings(), history: [String] = []) -> AppState {
        var s = AppState(width: 100, height: 30, settings: settings, history: history)
        _ = s.reduce(.backend(.modelLoaded(AppStateTests.model)))
        return s
    }

    func type(_ c: AppController, _ text: String) { for ch in text { c.handle(.character(ch)) } }

    /// Fills the F5 form field by field (Tab moves on), replacing each value.
    func fillSettings(_ c: AppController, _ values: [String]) {
        c.handle(.function(5))
        XCTAssertEqual(c.state.mode, .settings)
        for (i, v) in values.enumerated() {
            if i > 0 { c.handle(.tab) }
            for _ in 0 ..< 40 { c.handle(.backspace) }
            type(c, v)
        }
        c.handle(.enter)
    }

    func testEverySettingReachesTheNextReplyAndIsSaved() async throws {
        let store = try ChatStore(directory: dir)
        let backend = FakeBackend()
        let c = AppController(state: loadedState(), backend: backend, store: store)
        fillSettings(c, ["You are terse.", "0.25", "12", "0.8", "0.1", "1.3", "1234", "4096"])
        XCTAssertEqual(c.state.mode, .chat)
        var expected = ChatSettings()
        expected.systemPrompt = "You are terse."
        expected.temperature = 0.25; expected.topK = 12; expected.topP = 0.8; expected.minP = 0.1
        expected.repeatPenalty = 1.3; expected.seed = 1234; expected.contextLength = 4096
        XCTAssertEqual(c.state.settings, expected)
        // The context length reloads the model (the fake answers as the engine does); messages
        // wait for it.
        XCTAssertTrue(c.state.reloadingContext)
        type(c, "too soon")
        c.handle(.enter)
        XCTAssertFalse(c.state.isGenerating)
        XCTAssertEqual(c.state.input.text, "too soon")
        for _ in 0 ..< 8 { c.handle(.backspace) }
        try await waitUntil(c) { !$0.reloadingContext }
        XCTAssertEqual(c.state.model?.contextSize, 4096)
        XCTAssertEqual(c.state.stats.contextSize, 4096)
        try await waitUntil(c) { $0.chat.messages.last?.role == .notice && $0.chat.messages.last?.text.contains("re-read") == true }
        XCTAssertTrue(c.state.chat.messages.contains { $0.text == "context 2048 → 4096 tokens; the conversation stays" },
                      "\(c.state.chat.messages.map(\.text))")
        XCTAssertEqual(backend.appliedSettings, [expected])

        type(c, "hi")
        c.handle(.enter)
        try await waitUntil(c) { !$0.isGenerating }
        let r = try XCTUnwrap(backend.lastRequest)
        XCTAssertEqual(r.settings, expected)
        XCTAssertEqual(r.turns, [ChatMessage(role: .system, content: "You are terse."), ChatMessage(role: .user, content: "hi")])
        // ... and what the engine backend makes of them.
        let p = r.settings.sampling
        XCTAssertEqual(p.temperature, 0.25); XCTAssertEqual(p.topK, 12); XCTAssertEqual(p.topP, 0.8)
        XCTAssertEqual(p.minP, 0.1); XCTAssertEqual(p.repeatPenalty, 1.3); XCTAssertEqual(p.seed, 1234)

        // Saved: a new run starts with them.
        XCTAssertEqual(c.flushHistory(), 0)
        XCTAssertEqual(try store.loadSettings(), expected)
        try store.close()
        XCTAssertEqual(try ChatStore(directory: dir).loadSettings(), expected)
    }

    func testSettingsWithoutAContextChangeDoNotReload() async throws {
        let backend = FakeBackend()
        let c = AppController(state: loadedState(), backend: backend)
        fillSettings(c, ["", "0"])
        XCTAssertEqual(c.state.settings.temperature, 0)
        XCTAssertEqual(c.state.status?.message, "settings applied to the next reply")
        try await Task.sleep(for: .milliseconds(20))
        c.pump()
        XCTAssertEqual(c.state.model?.contextSize, 2048)
        XCTAssertEqual(backend.appliedSettings.count, 1)
        XCTAssertFalse(c.state.chat.messages.contains { $0.text.hasPrefix("context") })
    }

    func testContextChangeRefusedWhileStreaming() {
        var s = loadedState()
        for ch in "q" { _ = s.handle(.character(ch)) }
        _ = s.handle(.enter)
        XCTAssertTrue(s.isGenerating)
        _ = s.handle(.function(5))
        for _ in 0 ..< 7 { _ = s.handle(.tab) }
        for ch in "8192" { _ = s.handle(.character(ch)) }
        XCTAssertEqual(s.handle(.enter), [])
        XCTAssertEqual(s.mode, .settings)
        XCTAssertNil(s.settings.contextLength)
        // Sampling alone is fine mid-reply (it applies to the next one).
        for _ in 0 ..< 4 { _ = s.handle(.backspace) }
        _ = s.handle(.tab); _ = s.handle(.tab)
        for _ in 0 ..< 5 { _ = s.handle(.backspace) }
        for ch in "0.5" { _ = s.handle(.character(ch)) }
        guard case .settingsChanged(let applied)? = s.handle(.enter).first else { return XCTFail("not applied") }
        XCTAssertEqual(applied.temperature, 0.5)
    }

    func testAReplyStoppedBeforeItsFirstTokenHasNoSpeed() {
        var s = loadedState()
        for ch in "a" { _ = s.handle(.character(ch)) }
        _ = s.handle(.enter)
        _ = s.reduce(.backend(.token("Hi", logProb: nil)))
        _ = s.reduce(.backend(.finished(ReplySummary(tokens: 4, seconds: 0.1))))
        XCTAssertEqual(s.stats.rollingTPS, 40)
        for ch in "b" { _ = s.handle(.character(ch)) }
        _ = s.handle(.enter)
        _ = s.handle(.escape)
        _ = s.reduce(.backend(.finished(ReplySummary(tokens: 0, seconds: 0, stopped: true))))
        XCTAssertNil(s.stats.generationTPS)
        XCTAssertEqual(s.stats.rollingTPS, 40)
        XCTAssertEqual(s.chat.messages.last?.footer?.stopped, true)
    }

    func testSettingsFormShowsTheModelsContext() {
        var s = loadedState()
        _ = s.handle(.function(5))
        XCTAssertEqual(s.settingsForm?.modelContext, 2048)
        XCTAssertEqual(s.settingsForm?.value(.contextLength), "")
    }

    func testInputHistoryAcrossRuns() async throws {
        // First run: two messages sent (the second twice: kept once).
        do {
            let store = try ChatStore(directory: dir)
            let c = AppController(state: loadedState(), backend: FakeBackend(), store: store)
            for m in ["first message", "second\nline", "second\nline"] {
                let parts = m.split(separator: "\n")
                for (i, part) in parts.enumerated() {
                    if i > 0 { c.handle(.altEnter) }
                    type(c, String(part))
                }
                c.handle(.enter)
                try await waitUntil(c) { !$0.isGenerating }
            }
            XCTAssertEqual(c.flushHistory(), 0)
            XCTAssertEqual(try store.inputHistory(), ["first message", "second\nline"])
            try store.close()
        }
        // Second run: what ChatCommand does at start-up, then Up recalls across the restart.
        let store = try ChatStore(directory: dir)
        let history = try store.inputHistory()
        let c = AppController(state: loadedState(history: history), backend: FakeBackend(), store: store)
        c.handle(.up)
        XCTAssertEqual(c.state.input.text, "second\nline")
        c.handle(.up)   // on the second line: moves up within the message
        c.handle(.up)
        XCTAssertEqual(c.state.input.text, "first message")
        c.handle(.down)
        XCTAssertEqual(c.state.input.text, "second\nline")
        c.handle(.down); c.handle(.down)
        XCTAssertEqual(c.state.input.text, "")
    }

    func testInputHistoryStartsWithEarlierChatsAndIsBounded() throws {
        let store = try ChatStore(directory: dir)
        XCTAssertEqual(try store.inputHistory(), [])
        for i in 0 ..< ChatStore.inputHistoryLimit + 5 { try store.appendInput("m\(i)") }
        let h = try store.inputHistory()
        XCTAssertEqual(h.count, ChatStore.inputHistoryLimit)
        XCTAssertEqual(h.last, "m\(ChatStore.inputHistoryLimit + 4)")
        XCTAssertEqual(try store.inputHistory(limit: 2), ["m\(ChatStore.inputHistoryLimit + 3)", "m\(ChatStore.inputHistoryLimit + 4)"])
        // Deleting a chat keeps what was typed.
        let chat = try store.createChat(title: "t", model: "m")
        try store.append(StoredMessage(role: .user, content: "kept"), to: chat)
        try store.appendInput("kept")
        try store.deleteChat(chat)
        XCTAssertEqual(try store.inputHistory().last, "kept")
        XCTAssertNil(try store.loadSettings())
    }

    func testLevelPickerIsTitledAsSuch() {
        var s = loadedState()
        _ = s.reduce(.modelsListed(ModelPickerTests.rows))
        _ = s.handle(.function(3))
        let text = s.render().text()
        XCTAssertTrue(text.contains("Quantization level (F3)"), text)
        XCTAssertFalse(text.contains("Models (F2)"), text)
        _ = s.handle(.escape)
        _ = s.handle(.function(2))
        XCTAssertTrue(s.render().text().contains("Models (F2)"))
    }

    func testTerminalIsRestoredOnQuitSignalsAndCrashes() {
        // Ctrl-Q ends the loop (the terminal's `run` then restores it); these signals restore
        // it from a handler. The tmux end-to-end test kills the app with some of them.
        XCTAssertEqual(KeyMap.action(for: .ctrl("q"), mode: .chat), .quit)
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGSEGV, SIGBUS] {
            XCTAssertTrue(Terminal.restoringSignals.contains(sig), "signal \(sig)")
        }
        XCTAssertTrue(Terminal.leaveModes.contains("\u{1B}[?2004l"), "bracketed paste off")
        XCTAssertTrue(Terminal.leaveModes.contains("\u{1B}[?1000l"), "mouse reporting off")
    }

    func testEngineErrorsKeepTheAppRunning() async throws {
        let c = AppController(state: AppState(width: 100, height: 30), backend: FailingBackend())
        c.load(ModelPickerTests.rows[0])
        try await waitUntil(c) { $0.loading == nil }
        XCTAssertEqual(c.state.chat.messages.last?.text, "error: cannot load: no such file")
        XCTAssertFalse(c.state.shouldQuit)
        var st = AppState(width: 100, height: 30)
        _ = st.reduce(.backend(.modelLoaded(AppStateTests.model)))
        let d = AppController(state: st, backend: FailingBackend())
        type(d, "x"); d.handle(.enter)
        try await waitUntil(d) { !$0.isGenerating }
        XCTAssertEqual(d.state.status?.message, "engine failed")
        XCTAssertFalse(d.state.shouldQuit)
        d.handle(.ctrl("q"))
        XCTAssertTrue(d.state.shouldQuit)
    }
}

/// Every load and reply fails.
final class FailingBackend: ChatBackend, @unchecked Sendable {
    func models() async -> [ModelRow] { [] }
    func load(_ model: ModelRow) -> AsyncStream<BackendEvent> {
        AsyncStream { c in c.yield(.failed("cannot load: no such file")); c.finish() }
    }
    func generate(_ request: ChatRequest) -> AsyncStream<BackendEvent> {
        AsyncStream { c in c.yield(.failed("engine failed")); c.finish() }
    }
    func stop() async {}
}

/// The context length on the real engine (the tiny fixture model): a change reloads it with
/// the new context and re-reads the conversation; later loads keep it.
final class ContextLengthEngineTests: XCTestCase {
    func testApplySettingsReloadsWithTheNewContext() async throws {
        let (b, rows) = try LevelsEngineBackendTests.backend()
        var loaded: [BackendEvent] = []
        for await e in b.load(rows[0]) { loaded.append(e) }
        guard case .modelLoaded(let m)? = loaded.first(where: { if case .modelLoaded = $0 { return true }; return false }) else {
            return XCTFail("\(loaded)")
        }
        XCTAssertEqual(m.contextSize, 512, "the catalog's context_length")
        var settings = ChatSettings()
        settings.temperature = 0; settings.seed = 7
        let conversation = ChatRequest(turns: [ChatMessage(role: .user, content: "hello"), ChatMessage(role: .assistant, content: "hi there")], settings: settings)

        // Same context: nothing to do.
        var none: [BackendEvent] = []
        for await e in b.applySettings(settings, model: m.row, conversation: conversation) { none.append(e) }
        XCTAssertEqual(none, [])

        settings.contextLength = 256
        var events: [BackendEvent] = []
        for await e in b.applySettings(settings, model: m.row, conversation: conversation) { events.append(e) }
        guard case .contextChanged(let r)? = events.first else { return XCTFail("\(events)") }
        XCTAssertEqual(r.contextSize, 256)
        XCTAssertTrue(events.contains { if case .prefilled(let n, _) = $0 { return n > 0 }; return false }, "\(events)")
        guard case .finished? = events.last else { return XCTFail("\(events)") }
        let info = await b.engine.info
        XCTAssertEqual(info?.contextLength, 256)
        XCTAssertEqual(b.contextLength, 256)

        // A reply on the reloaded model reports the new context.
        var reply: [BackendEvent] = []
        let next = ChatRequest(turns: conversation.turns + [ChatMessage(role: .user, content: "more")], settings: settings)
        for await e in b.generate(next) { reply.append(e) }
        XCTAssertTrue(reply.contains { if case .metrics(let m) = $0 { return m.contextSize == 256 }; return false }, "\(reply)")

        // The next load (F2, F3) keeps the setting.
        var again: [BackendEvent] = []
        for await e in b.load(rows[1]) { again.append(e) }
        XCTAssertTrue(again.contains { if case .modelLoaded(let m) = $0 { return m.contextSize == 256 }; return false }, "\(again)")
    }
}
