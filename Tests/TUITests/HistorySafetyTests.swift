import Foundation
import XCTest
import TestSupport
@testable import TUI

/// The chat history under a locked, deleted-under-us or unusable database (issue 13,
/// findings 3 and 7): nothing typed is lost while another process holds the lock, a chat
/// deleted by a second quantty is saved again, "history off" stays on screen, files are
/// private and the log is folded in on close.
final class HistorySafetyTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("quantty-historysafety-\(UUID())").path
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func loadedState() -> AppState {
        var s = AppState(width: 100, height: 30)
        _ = s.reduce(.backend(.modelLoaded(AppStateTests.model)))
        return s
    }

    func send(_ c: AppController, _ text: String) async throws {
        for ch in text { c.handle(.character(ch)) }
        c.handle(.enter)
        try await waitUntil(c) { !$0.isGenerating }
    }

    /// A second process (python3's sqlite3) holding the database's write lock until told.
    final class LockHolder {
        let process = Process()
        let input = Pipe()
        init(path: String) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", """
                import sqlite3, sys
                c = sqlite3.connect(sys.argv[1], isolation_level=None)
                c.execute("BEGIN EXCLUSIVE")
                print("locked", flush=True)
                sys.stdin.read()
                c.execute("COMMIT")
                """, path]
            let out = Pipe()
            process.standardInput = input
            process.standardOutput = out
            try process.run()
            let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
            guard line.hasPrefix("locked") else { throw TestEnvironment.missing("python3's sqlite3 could not lock the database: \(line)") }
        }
        func release() {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }
    }

    func testNothingTypedIsLostWhileAnotherProcessHoldsTheLock() async throws {
        let store = try ChatStore(directory: dir, busyTimeout: 0.05)
        let c = AppController(state: loadedState(), backend: FakeBackend(), store: store)
        let holder = try LockHolder(path: store.path)
        // Typed, replied to, a new chat and its first message: all while the lock is held, and
        // the UI loop is never held up (each call returns with the lock still held).
        try await send(c, "first message")
        XCTAssertEqual(c.state.chat.messages.last?.text, "Hello, 世界!")
        c.handle(.ctrl("n"))
        try await send(c, "second chat")
        XCTAssertTrue(holder.process.isRunning, "the lock was still held")
        XCTAssertGreaterThan(c.recorder?.writer.pending ?? 0, 0, "the writes wait")
        // The writer says it waits (once its first try has met the lock).
        try await waitUntil(c, timeout: 60) { $0.historyWaiting > 0 }
        c.handle(.character("x"))   // a key clears passing messages, not this state
        XCTAssertTrue(c.render().text().contains("wait for a lock"), c.render().text())
        XCTAssertNil(c.state.historyOff)
        holder.release()
        XCTAssertEqual(c.flushHistory(), 0)
        c.pump()
        XCTAssertEqual(c.state.historyWaiting, 0)
        XCTAssertNotNil(c.state.chatID)
        let chats = try store.listChats()
        XCTAssertEqual(Set(chats.map(\.title)), ["first message", "second chat"])
        for chat in chats {
            let messages = try XCTUnwrap(try store.loadChat(chat.id))
            XCTAssertEqual(messages.map(\.role), [.user, .assistant])
            XCTAssertEqual(messages.last?.content, "Hello, 世界!")
            XCTAssertEqual(messages.last?.complete, true)
        }
        XCTAssertEqual(try store.inputHistory(), ["first message", "second chat"])
        XCTAssertEqual(c.closeHistory(), 0)
    }

    func testAChatDeletedByAnotherInstanceIsSavedAgain() async throws {
        let store = try ChatStore(directory: dir)
        let c = AppController(state: loadedState(), backend: FakeBackend(), store: store)
        try await send(c, "hello")
        XCTAssertEqual(c.flushHistory(), 0)
        let first = try XCTUnwrap(try store.listChats().first)
        // A second quantty on the same history deletes it.
        let other = try ChatStore(directory: dir)
        try other.deleteChat(first.id)
        try other.close()
        try await send(c, "still here?")
        XCTAssertEqual(c.flushHistory(), 0)
        c.pump()
        XCTAssertNil(c.state.historyOff)
        XCTAssertTrue(c.state.status?.message.contains("deleted by another quantty") ?? false, "\(String(describing: c.state.status))")
        let chats = try store.listChats()
        XCTAssertEqual(chats.count, 1)
        let messages = try XCTUnwrap(try store.loadChat(chats[0].id))
        XCTAssertEqual(messages.map(\.content), ["still here?", "Hello, 世界!"])
        XCTAssertEqual(c.closeHistory(), 0)
    }

    func testHistoryOffIsALastingVisibleState() async throws {
        // A corrupt history file: the store cannot open, the chat runs with history off.
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: dir + "/" + ChatStore.fileName))
        XCTAssertThrowsError(try ChatStore(directory: dir))
        var s = loadedState()
        _ = s.reduce(.history(.off("file is not a database")))
        let c = AppController(state: s, backend: FakeBackend())
        try await send(c, "hi")
        c.handle(.character("x"))   // a key clears passing messages, not this one
        XCTAssertTrue(c.render().text().contains("history off"), c.render().text())
        c.handle(.ctrl("o"))
        XCTAssertEqual(c.state.mode, .chat, "no empty chat list pretending there are no chats")
        XCTAssertTrue(c.render().text().contains("chat history is off"), c.render().text())
    }

    func testAStoreThatStopsBeingWritableTurnsHistoryOff() async throws {
        let store = try ChatStore(directory: dir)
        let c = AppController(state: loadedState(), backend: FakeBackend(), store: store)
        // The store closed under the running chat: a stand-in for one that can no longer be
        // written (read-only, corrupt, disk full; root ignores file modes, so those are not used).
        try store.close()
        try await send(c, "hi")
        XCTAssertEqual(c.flushHistory(), 0)
        c.pump()
        XCTAssertNotNil(c.state.historyOff)
        c.handle(.character("x"))
        XCTAssertTrue(c.render().text().contains("history off"), c.render().text())
    }

    func testFilesArePrivateAndTheLogIsFoldedInOnClose() async throws {
        let store = try ChatStore(directory: dir)
        let c = AppController(state: loadedState(), backend: FakeBackend(), store: store)
        try await send(c, "hello")
        XCTAssertEqual(c.closeHistory(), 0)
        func mode(_ p: String) throws -> Int { try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: p)[.posixPermissions] as? Int) }
        XCTAssertEqual(try mode(dir), 0o700)
        XCTAssertEqual(try mode(dir + "/history.sqlite"), 0o600)
        let wal = dir + "/history.sqlite-wal"
        let walSize = (try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0
        XCTAssertEqual(walSize, 0, "the write-ahead log was checkpointed into the database")
        // And the chat is in the one file.
        let again = try ChatStore(directory: dir)
        XCTAssertEqual(try again.listChats().map(\.title), ["hello"])
        try again.close()
    }
}
