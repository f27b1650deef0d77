import LLM
import XCTest
@testable import TUI

final class KeyMapTests: XCTestCase {
    func testChatKeys() {
        XCTAssertEqual(KeyMap.action(for: .enter, mode: .chat), .send)
        XCTAssertEqual(KeyMap.action(for: .altEnter, mode: .chat), .newline)
        XCTAssertEqual(KeyMap.action(for: .ctrlJ, mode: .chat), .newline)
        XCTAssertEqual(KeyMap.action(for: .escape, mode: .chat), .stop)
        XCTAssertEqual(KeyMap.action(for: .ctrl("r"), mode: .chat), .regenerate)
        XCTAssertEqual(KeyMap.action(for: .ctrl("n"), mode: .chat), .newChat)
        XCTAssertEqual(KeyMap.action(for: .ctrl("o"), mode: .chat), .openChatList)
        XCTAssertEqual(KeyMap.action(for: .ctrl("q"), mode: .settings), .quit)
        XCTAssertEqual(KeyMap.action(for: .function(1), mode: .chat), .toggleHelp)
        XCTAssertEqual(KeyMap.action(for: .function(2), mode: .chat), .openModelPicker)
        XCTAssertEqual(KeyMap.action(for: .function(3), mode: .chat), .openQuantLevel)
        XCTAssertEqual(KeyMap.action(for: .function(4), mode: .chat), .openCompare)
        XCTAssertEqual(KeyMap.action(for: .function(5), mode: .chat), .openSettings)
        XCTAssertEqual(KeyMap.action(for: .wheelUp, mode: .chat), .scroll(.wheelUp))
        XCTAssertEqual(KeyMap.action(for: .pageDown, mode: .chat), .scroll(.pageDown))
    }

    func testQuestionMarkAndHomeDependOnTheInput() {
        XCTAssertEqual(KeyMap.action(for: .character("?"), mode: .chat, inputEmpty: true), .toggleHelp)
        XCTAssertEqual(KeyMap.action(for: .character("?"), mode: .chat, inputEmpty: false), .insert("?"))
        XCTAssertEqual(KeyMap.action(for: .home, mode: .chat, inputEmpty: true), .scroll(.top))
        XCTAssertEqual(KeyMap.action(for: .home, mode: .chat, inputEmpty: false), .cursorHome)
    }

    func testPasteMakesEnterANewline() {
        XCTAssertEqual(KeyMap.action(for: .enter, mode: .chat, pasting: true), .insert("\n"))
        XCTAssertEqual(KeyMap.action(for: .character("?"), mode: .chat, inputEmpty: true, pasting: true), .insert("?"))
    }

    func testOverlaysCloseWithEsc() {
        for m in [Mode.help, .modelPicker, .quantLevel, .settings, .chatList] {
            XCTAssertEqual(KeyMap.action(for: .escape, mode: m), .close, "\(m)")
        }
    }

    func testHelpNamesEveryChatKey() {
        let text = KeyMap.help.map(\.keys).joined(separator: " ")
        for k in ["Enter", "Alt-Enter", "Ctrl-J", "Esc", "Ctrl-R", "Ctrl-N", "Ctrl-O", "F1", "F2", "F3", "F4", "F5", "Ctrl-Q", "PgUp", "?"] {
            XCTAssertTrue(text.contains(k), k)
        }
    }
}

final class AppStateTests: XCTestCase {
    static let model = LoadedModel(row: ModelPickerTests.rows[0], contextSize: 2048, threads: 2)

    func loaded() -> AppState {
        var s = AppState(width: 100, height: 24)
        _ = s.reduce(.backend(.modelLoaded(Self.model)))
        return s
    }

    func type(_ s: inout AppState, _ text: String) {
        for c in text { _ = s.handle(.character(c)) }
    }

    func testSendWithoutModelOpensThePicker() {
        var s = AppState(width: 100, height: 24)
        type(&s, "hi")
        XCTAssertEqual(s.handle(.enter), [.listModels])
        XCTAssertEqual(s.mode, .modelPicker)
        XCTAssertEqual(s.input.text, "hi")
    }

    func testSendStreamFinish() {
        var s = loaded()
        s.settings.systemPrompt = "Be brief."
        type(&s, "hello")
        _ = s.handle(.altEnter)
        type(&s, "there")
        let effects = s.handle(.enter)
        XCTAssertEqual(effects, [.generate(ChatRequest(turns: [ChatMessage(role: .system, content: "Be brief."), ChatMessage(role: .user, content: "hello\nthere")],
                                                       settings: s.settings))])
        XCTAssertTrue(s.isGenerating)
        XCTAssertTrue(s.input.isEmpty)
        XCTAssertEqual(s.handle(.enter), [])          // empty input: nothing
        for t in ["Hi", " there"] { _ = s.reduce(.backend(.token(t, logProb: log(0.5)))) }
        _ = s.reduce(.backend(.metrics(LiveMetrics(generationTPS: 30, contextUsed: 40))))
        XCTAssertEqual(s.stats.generationTPS, 30)
        XCTAssertEqual(s.stats.contextUsed, 40)
        XCTAssertEqual(s.stats.replyPerplexity!, 2, accuracy: 1e-9)
        _ = s.reduce(.backend(.finished(ReplySummary(tokens: 2, seconds: 0.1))))
        XCTAssertFalse(s.isGenerating)
        let reply = s.chat.messages.last!
        XCTAssertEqual(reply.text, "Hi there")
        XCTAssertEqual(reply.footer, ReplyFooter(level: "Q8_0", tokens: 2, tokensPerSecond: 20, perplexity: 2))
        XCTAssertEqual(s.stats.rollingTPS, 20)
        // The next request carries the reply as an assistant turn.
        type(&s, "more")
        guard case .generate(let r) = s.handle(.enter).first else { return XCTFail() }
        XCTAssertEqual(r.turns.map(\.role), [.system, .user, .assistant, .user])
    }

    func testStopAndRegenerate() {
        var s = loaded()
        type(&s, "q")
        _ = s.handle(.enter)
        XCTAssertEqual(s.handle(.escape), [.stop])
        _ = s.reduce(.backend(.token("partial", logProb: nil)))
        _ = s.reduce(.backend(.finished(ReplySummary(tokens: 1, seconds: 0.1, stopped: true))))
        XCTAssertEqual(s.chat.messages.last?.footer?.stopped, true)
        XCTAssertEqual(s.handle(.escape), [])
        let effects = s.handle(.ctrl("r"))
        XCTAssertEqual(effects.first, .dropLastReply)
        guard case .generate(let r) = effects.last else { return XCTFail() }
        XCTAssertTrue(r.isRegeneration)
        XCTAssertEqual(r.turns, [ChatMessage(role: .user, content: "q")])
        XCTAssertEqual(s.chat.messages.filter { $0.role == .assistant }.count, 1)
        XCTAssertTrue(s.chat.messages.last!.isStreaming)
    }

    func testNewChatAndQuit() {
        var s = loaded()
        type(&s, "x"); _ = s.handle(.enter)
        XCTAssertEqual(s.handle(.ctrl("n")), [])                 // refused while streaming
        _ = s.reduce(.backend(.finished(ReplySummary(tokens: 0, seconds: 0))))
        XCTAssertEqual(s.handle(.ctrl("n")), [.newChat])
        XCTAssertTrue(s.chat.messages.isEmpty)
        XCTAssertEqual(s.handle(.ctrl("q")), [.quit])
        XCTAssertTrue(s.shouldQuit)
    }

    func testPickerFlow() {
        var s = AppState(width: 100, height: 24)
        XCTAssertEqual(s.handle(.function(2)), [.listModels])
        _ = s.reduce(.modelsListed(ModelPickerTests.rows))
        type(&s, "qwen")
        XCTAssertEqual(s.handle(.enter), [.load(ModelPickerTests.rows[2])])
        _ = s.reduce(.backend(.loadProgress(0.3)))
        XCTAssertEqual(s.picker.loading?.progress, 0.3)
        _ = s.reduce(.backend(.modelLoaded(LoadedModel(row: ModelPickerTests.rows[2], contextSize: 4096, threads: 2))))
        XCTAssertEqual(s.mode, .chat)
        XCTAssertEqual(s.stats.level, "Q4_K_M")
        XCTAssertEqual(s.stats.contextSize, 4096)
        XCTAssertEqual(s.chat.messages.last?.role, .notice)
    }

    func testQuantLevelListsLevelsOfTheLoadedModel() {
        var s = loaded()
        _ = s.reduce(.modelsListed(ModelPickerTests.rows))
        _ = s.handle(.function(3))
        XCTAssertEqual(s.mode, .quantLevel)
        XCTAssertEqual(s.quantPicker.visibleRows.map(\.level), ["Q8_0", "Q4_K_M"])
        _ = s.handle(.down)
        XCTAssertEqual(s.handle(.enter), [.swapLevel(ModelPickerTests.rows[1], s.request())], "another level of the loaded model: hot-swap")
    }

    func testHelpToggles() {
        var s = loaded()
        _ = s.handle(.character("?"))
        XCTAssertEqual(s.mode, .help)
        XCTAssertTrue(s.render().text().contains("regenerate the last reply"))
        _ = s.handle(.escape)
        XCTAssertEqual(s.mode, .chat)
        type(&s, "a?")
        XCTAssertEqual(s.input.text, "a?")
    }

    func testSettingsApplyAndReject() {
        var s = loaded()
        _ = s.handle(.function(5))
        XCTAssertEqual(s.mode, .settings)
        type(&s, "Be kind.")
        _ = s.handle(.tab)
        for _ in 0 ..< 3 { _ = s.handle(.backspace) }
        type(&s, "9")
        XCTAssertEqual(s.handle(.enter), [])                  // temperature 9 is out of range
        XCTAssertEqual(s.settingsForm?.errors[.temperature], "must be 0 to 5; 0 is greedy")
        _ = s.handle(.backspace); type(&s, "0.2")
        var expected = ChatSettings(); expected.systemPrompt = "Be kind."; expected.temperature = 0.2
        XCTAssertEqual(s.handle(.enter), [.settingsChanged(expected)])
        XCTAssertEqual(s.mode, .chat)
        XCTAssertEqual(s.settings, expected)
    }

    func testBracketedPasteKeepsNewlines() {
        var s = loaded()
        _ = s.handle(.pasteBegin)
        for k: KeyEvent in [.character("a"), .enter, .character("b")] { _ = s.handle(k) }
        _ = s.handle(.pasteEnd)
        XCTAssertEqual(s.input.text, "a\nb")
        XCTAssertFalse(s.isGenerating)
    }

    func testFailureBecomesANotice() {
        var s = loaded()
        type(&s, "x"); _ = s.handle(.enter)
        _ = s.reduce(.backend(.failed("context overflow")))
        XCTAssertFalse(s.isGenerating)
        XCTAssertEqual(s.chat.messages.last, ChatPaneMessage(role: .notice, text: "error: context overflow"))
        XCTAssertEqual(s.status?.message, "context overflow")
    }

    func testResizeReflowsAndTooSmall() {
        var s = loaded()
        _ = s.handle(.resize(width: 50, height: 10))
        XCTAssertTrue(s.render().text().contains("terminal too small"))
        _ = s.handle(.resize(width: 80, height: 20))
        XCTAssertEqual(s.layout.kind, .compact)
        XCTAssertFalse(s.render().text().contains("terminal too small"))
    }

    func testWideScreenSnapshot() {
        var s = loaded()
        type(&s, "hi")
        _ = s.handle(.enter)
        _ = s.reduce(.backend(.token("Hello!", logProb: nil)))
        _ = s.reduce(.backend(.finished(ReplySummary(tokens: 1, seconds: 0.05))))
        s.status = nil
        XCTAssertEqual(s.render().text(), """
         · loaded SmolLM2 360M Instruct Q8_0                                  │ Model
                                                                              │ SmolLM2 360M Instruct
         you                                                                  │ level     Q8_0
           hi                                                                 │ bpw       8.50
                                                                              │ file      386 MiB
         assistant                                                            │ threads   2
           Hello!                                                             │
           Q8_0 · 1 token · 20.0 tok/s                                        │ Speed
                                                                              │ gen       20.0 tok/s
                                                                              │ rolling   20.0 tok/s
                                                                              │ prompt    –
                                                                              │ first tok –
                                                                              │
                                                                              │ Context
                                                                              │ ░░░░░░░░░░░░░░░░░░░░ 0/2048
                                                                              │
                                                                              │ Memory
                                                                              │ rss       –
                                                                              │ weights   –
                                                                              │ kv cache  –
                                                                              │
        ──────────────────────────────────────────────────────────────────────│ Perplexity
        › Message · Enter sends · Alt-Enter new line                          │ reply     –
         Enter send  F1 help  F2 model  F3 level  F5 settings  ^O chats  ^N new  ^Q quit
        """)
    }
}

final class AppControllerTests: XCTestCase {
    func testStreamsAReplyFromTheFakeBackend() async throws {
        let backend = FakeBackend()
        let c = AppController(state: AppState(width: 100, height: 24), backend: backend)
        c.handle(.function(2))
        try await waitUntil(c) { !$0.picker.rows.isEmpty }
        c.handle(.enter)
        try await waitUntil(c) { $0.model != nil }
        for ch in "hello" { c.handle(.character(ch)) }
        c.handle(.enter)
        try await waitUntil(c) { !$0.isGenerating }
        XCTAssertEqual(c.state.chat.messages.last?.text, "Hello, 世界!")
        XCTAssertEqual(c.state.chat.messages.last?.footer?.tokens, 4)
        XCTAssertEqual(c.state.stats.generationTPS, 40)
        XCTAssertEqual(c.state.stats.promptTPS, 300)
        XCTAssertEqual(backend.lastRequest?.turns, [ChatMessage(role: .user, content: "hello")])
        XCTAssertTrue(c.render().text().contains("Hello, 世界!"))
    }

    func testEscStopsAStreamingReply() async throws {
        let backend = FakeBackend(tokens: Array(repeating: "tok ", count: 500), delay: .milliseconds(5))
        var st = AppState(width: 100, height: 24)
        _ = st.reduce(.backend(.modelLoaded(AppStateTests.model)))
        let c = AppController(state: st, backend: backend)
        c.handle(.character("x")); c.handle(.enter)
        try await waitUntil(c) { ($0.chat.messages.last?.text.count ?? 0) > 8 }
        c.handle(.escape)
        try await waitUntil(c) { !$0.isGenerating }
        XCTAssertEqual(c.state.chat.messages.last?.footer?.stopped, true)
        XCTAssertLessThan(c.state.chat.messages.last!.footer!.tokens, 500)
    }
}

final class HelpScrollTests: XCTestCase {
    func testHelpScrollsOnTheSmallestScreen() {
        var s = AppState(width: 60, height: 16)
        _ = s.handle(.function(1))
        var text = s.render().text()
        XCTAssertTrue(text.contains("send the message"))
        XCTAssertTrue(text.contains("↑↓ scroll · Esc closes"))
        XCTAssertFalse(text.contains("Ctrl-Q"))
        for _ in 0 ..< 30 { _ = s.handle(.down) }
        text = s.render().text()
        XCTAssertTrue(text.contains("Ctrl-Q"))
        XCTAssertFalse(text.contains("send the message"))
        _ = s.handle(.escape)
        XCTAssertEqual(s.mode, .chat)
    }

    func testHelpFitsOnATallScreen() {
        var s = AppState(width: 100, height: 30)
        _ = s.handle(.function(1))
        let text = s.render().text()
        XCTAssertTrue(text.contains("send the message") && text.contains("Ctrl-Q") && text.contains("Esc or F1 closes"))
    }
}
