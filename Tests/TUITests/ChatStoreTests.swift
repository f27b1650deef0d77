import Foundation
import XCTest
@testable import TUI

final class ChatStoreTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("quantty-store-\(UUID())").path
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func testDefaultDirectory() {
        XCTAssertEqual(ChatStore.defaultDirectory(environment: ["XDG_DATA_HOME": "/x"]), "/x/quantty")
        XCTAssertEqual(ChatStore.defaultDirectory(environment: ["HOME": "/home/u"]), "/home/u/.local/share/quantty")
    }

    func testAppendListLoadDelete() throws {
        let store = try ChatStore(directory: dir)
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        let a = try store.createChat(title: "first", model: "SmolLM2 Q8_0", now: t0)
        let b = try store.createChat(title: "second", model: "Qwen3 Q4_K_M", now: t0.addingTimeInterval(10))
        try store.append(StoredMessage(role: .user, content: "hi 中文", created: t0.addingTimeInterval(20)), to: a)
        try store.append(StoredMessage(role: .assistant, content: "hello", level: "Q8_0", tokens: 2,
                                       tokensPerSecond: 30, perplexity: 4.5, created: t0.addingTimeInterval(21)), to: a)
        // `a` was updated last, so it lists first.
        XCTAssertEqual(try store.listChats().map(\.title), ["first", "second"])
        XCTAssertEqual(try store.listChats().first?.messageCount, 2)
        let messages = try XCTUnwrap(try store.loadChat(a))
        XCTAssertEqual(messages.map(\.content), ["hi 中文", "hello"])
        XCTAssertEqual(messages[1].chatMessage.footer, ReplyFooter(level: "Q8_0", tokens: 2, tokensPerSecond: 30, perplexity: 4.5))
        XCTAssertEqual(try store.loadChat(b), [])
        XCTAssertNil(try store.loadChat(999))
        try store.deleteChat(a)
        XCTAssertEqual(try store.listChats().map(\.id), [b])
        XCTAssertNil(try store.loadChat(a))
    }

    func testWALMode() throws {
        let store = try ChatStore(directory: dir)
        _ = try store.createChat(title: "t", model: "m")
        XCTAssertTrue(FileManager.default.fileExists(atPath: store.path + "-wal"))
    }

    func testReplyWriterFlushesEveryNTokens() throws {
        let store = try ChatStore(directory: dir)
        let chat = try store.createChat(title: "t", model: "m")
        var w = try ReplyWriter(store: store, chat: chat, level: "Q4_K_M", everyTokens: 3, everySeconds: 1e9)
        for t in ["a", "b"] { try w.append(t) }
        XCTAssertEqual(try store.loadChat(chat)?.last?.content, "")       // not due yet
        try w.append("c")
        XCTAssertEqual(try store.loadChat(chat)?.last?.content, "abc")
        XCTAssertEqual(try store.loadChat(chat)?.last?.complete, false)
        try w.append("d")
        try w.finish(footer: ReplyFooter(level: "Q4_K_M", tokens: 4, tokensPerSecond: 10))
        let m = try XCTUnwrap(try store.loadChat(chat)?.last)
        XCTAssertEqual(m.content, "abcd")
        XCTAssertTrue(m.complete)
        XCTAssertEqual(m.tokens, 4)
    }

    func testReplyWriterFlushesEveryTSeconds() throws {
        let store = try ChatStore(directory: dir)
        let chat = try store.createChat(title: "t", model: "m")
        final class Clock: @unchecked Sendable { var now = 0.0 }
        let clock = Clock()
        var w = try ReplyWriter(store: store, chat: chat, level: nil, everyTokens: 1000, everySeconds: 0.5, clock: { clock.now })
        try w.append("x")
        XCTAssertEqual(try store.loadChat(chat)?.last?.content, "")
        clock.now = 0.6
        try w.append("y")
        XCTAssertEqual(try store.loadChat(chat)?.last?.content, "xy")
    }

    /// The state on disk at the moment of a `kill -9`: copy the database and its WAL while
    /// the writer is still open mid-reply, then open the copy as the next run would.
    func testKilledMidReplyLosesAtMostThatReply() throws {
        let store = try ChatStore(directory: dir)
        let chat = try store.createChat(title: "t", model: "m")
        try store.append(StoredMessage(role: .user, content: "question"), to: chat)
        try store.append(StoredMessage(role: .assistant, content: "answer", level: "Q8_0", tokens: 1, tokensPerSecond: 1), to: chat)
        try store.append(StoredMessage(role: .user, content: "another"), to: chat)
        var w = try ReplyWriter(store: store, chat: chat, level: "Q8_0", everyTokens: 2, everySeconds: 1e9)
        for t in ["one ", "two ", "three ", "four ", "five"] { try w.append(t) }

        let crashDir = dir + "-crash"
        defer { try? FileManager.default.removeItem(atPath: crashDir) }
        try FileManager.default.createDirectory(atPath: crashDir, withIntermediateDirectories: true)
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: store.path + suffix) {
            try FileManager.default.copyItem(atPath: store.path + suffix, toPath: crashDir + "/" + ChatStore.fileName + suffix)
        }
        let reopened = try ChatStore(directory: crashDir)
        let messages = try XCTUnwrap(try reopened.loadChat(chat))
        XCTAssertEqual(messages.map(\.content), ["question", "answer", "another", "one two three four "])
        XCTAssertFalse(messages[3].complete)
        XCTAssertEqual(messages[3].chatMessage.text, "one two three four [reply interrupted]")
        XCTAssertTrue(messages[1].complete)
    }

    func testReopenAfterCloseWithoutFinishing() throws {
        do {
            let store = try ChatStore(directory: dir)
            let chat = try store.createChat(title: "t", model: "m")
            var w = try ReplyWriter(store: store, chat: chat, level: nil, everyTokens: 1)
            try w.append("partial")
            try store.close()
        }
        let store = try ChatStore(directory: dir)
        let chats = try store.listChats()
        XCTAssertEqual(chats.count, 1)
        XCTAssertEqual(try store.loadChat(chats[0].id)?.first?.content, "partial")
    }

    func testControllerRecordsTheConversation() async throws {
        let store = try ChatStore(directory: dir)
        var st = AppState(width: 100, height: 24)
        _ = st.reduce(.backend(.modelLoaded(AppStateTests.model)))
        let c = AppController(state: st, backend: FakeBackend(), store: store)
        for ch in "hello there" { c.handle(.character(ch)) }
        c.handle(.enter)
        try await waitUntil(c) { !$0.isGenerating }
        XCTAssertEqual(c.flushHistory(), 0)   // written off the UI thread
        c.pump()
        let id = try XCTUnwrap(c.state.chatID)
        let saved = try XCTUnwrap(try store.loadChat(id))
        XCTAssertEqual(saved.map(\.content), ["hello there", "Hello, 世界!"])
        XCTAssertEqual(saved[1].tokens, 4)
        XCTAssertTrue(saved[1].complete)
        XCTAssertEqual(try store.listChats().first?.title, "hello there")

        // Regenerate replaces the reply in the store too.
        c.handle(.ctrl("r"))
        try await waitUntil(c) { !$0.isGenerating }
        XCTAssertEqual(c.flushHistory(), 0)
        XCTAssertEqual(try store.loadChat(id)?.count, 2)

        // A new chat, then reopen the first from the chat list.
        c.handle(.ctrl("n"))
        XCTAssertTrue(c.state.chat.messages.isEmpty)
        c.handle(.ctrl("o"))
        try await waitUntil(c) { !$0.chatList.chats.isEmpty }
        c.handle(.enter)
        try await waitUntil(c) { !$0.chat.messages.isEmpty }
        XCTAssertEqual(c.state.chatID, id)
        XCTAssertEqual(c.state.chat.messages.map(\.text), ["hello there", "Hello, 世界!"])
        XCTAssertEqual(c.state.mode, .chat)

        // Delete it from the list.
        c.handle(.ctrl("o"))
        try await waitUntil(c) { !$0.chatList.chats.isEmpty }
        c.handle(.delete)
        XCTAssertEqual(c.flushHistory(), 0)
        XCTAssertEqual(try store.listChats(), [])
    }
}
