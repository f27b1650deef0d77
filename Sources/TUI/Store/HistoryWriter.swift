import Foundation
import GRDB

/// Writes the chat history on a serial background queue, so the UI never waits for the
/// database (issue 13, finding 3).
///
/// - Writes run in the order they were asked for. One that finds the database locked by
///   another process (`SQLITE_BUSY`, after `ChatStore.busyTimeout`) waits and is tried again,
///   with the ones after it kept in the queue: nothing typed is lost while the lock clears.
/// - A store that cannot be written at all (read-only, corrupt, disk full...) turns the
///   history off for the rest of the session, said once through `onEvent` (`.off`).
/// - A chat deleted meanwhile by another quantty is created again when its next message is
///   written, and the user is told (`.note`).
public final class HistoryWriter: @unchecked Sendable {
    /// What the user should hear about the history.
    public enum Event: Sendable, Equatable {
        /// The database is locked by another process; this many writes wait.
        case waiting(queued: Int)
        /// Everything that waited is written.
        case caughtUp
        /// Something worth a status line (a chat re-created).
        case note(String)
        /// The history cannot be written: off for the rest of the session, with the reason.
        case off(String)
        /// A new chat was written (the controller learns its id).
        case chatSaved
    }

    public let store: ChatStore
    /// Called on the writer's queue.
    public var onEvent: @Sendable (Event) -> Void = { _ in }
    private let queue = DispatchQueue(label: "quantty.history-writer")
    private let lock = NSLock()
    private var queued = 0
    private var offReason: String?
    /// Set when a wait runs out: writes still blocked by the lock are given up (counted).
    private var givingUp = false
    private var givenUp = 0
    private var waitingSaid = false
    /// Seconds between tries while the database stays locked (it also waits `busyTimeout`).
    let retryDelay: TimeInterval

    public init(store: ChatStore, retryDelay: TimeInterval = 0.2) {
        self.store = store
        self.retryDelay = retryDelay
    }

    /// Why the history is off, if it is.
    public var off: String? { lock.withLock { offReason } }

    /// Writes not done yet.
    public var pending: Int { lock.withLock { queued } }

    /// Queues a write; `body` runs on the writer's queue, retried while the database is busy.
    public func enqueue(_ body: @escaping @Sendable (ChatStore) throws -> Void) {
        lock.withLock { queued += 1 }
        queue.async { [self] in
            defer { lock.withLock { queued -= 1 } }
            run(body)
        }
    }

    private func run(_ body: (ChatStore) throws -> Void) {
        while true {
            if off != nil { return }
            if lock.withLock({ givingUp }) {
                lock.withLock { givenUp += 1 }
                return
            }
            do {
                try body(store)
                // Caught up: the last waiting write (this one) is done.
                let said = lock.withLock { () -> Bool in
                    guard waitingSaid && queued <= 1 else { return false }
                    waitingSaid = false
                    return true
                }
                if said { onEvent(.caughtUp) }
                return
            } catch let e where Self.isBusy(e) {
                let (giveUp, n, say) = lock.withLock { () -> (Bool, Int, Bool) in
                    defer { waitingSaid = true }
                    if givingUp { givenUp += 1 }
                    return (givingUp, queued, !waitingSaid)
                }
                if giveUp { return }
                if say { onEvent(.waiting(queued: n)) }
                Thread.sleep(forTimeInterval: retryDelay)
            } catch {
                let reason = "\(error)"
                lock.withLock { offReason = reason }
                onEvent(.off(reason))
                return
            }
        }
    }

    /// Whether `error` is another process holding the database (worth waiting for).
    static func isBusy(_ error: any Error) -> Bool {
        guard let e = error as? DatabaseError else { return false }
        return e.resultCode == .SQLITE_BUSY || e.resultCode == .SQLITE_LOCKED
    }

    /// Whether `error` is a foreign key failing: the chat a message goes to is gone.
    static func isMissingChat(_ error: any Error) -> Bool {
        (error as? DatabaseError)?.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY
    }

    /// Waits until every queued write is done, or `timeout` seconds have passed (then the
    /// writes still blocked by a lock are given up). Returns how many were given up.
    @discardableResult
    public func drain(timeout: TimeInterval) -> Int {
        let done = DispatchSemaphore(value: 0)
        queue.async { done.signal() }
        if done.wait(timeout: .now() + timeout) == .success { return 0 }
        lock.withLock { givingUp = true; givenUp = 0 }
        done.wait()
        return lock.withLock { givingUp = false; return givenUp }
    }

    /// Drains (up to `timeout` seconds), checkpoints the log into the database file and
    /// closes it. Returns how many writes were given up.
    @discardableResult
    public func close(timeout: TimeInterval = 10) -> Int {
        let lost = drain(timeout: timeout)
        try? store.close()
        return lost
    }
}

// MARK: - Chats and messages written later

/// A chat as the recorder knows it: its id once written (it may change when a chat deleted by
/// another quantty is created again). Touched on the writer's queue and read by the UI.
final class ChatHandle: @unchecked Sendable {
    let title: String
    let model: String
    private let lock = NSLock()
    private var _id: Int64?
    /// Every id this chat has had (one unless it was re-created).
    private var _ids: Set<Int64> = []

    init(title: String, model: String, id: Int64? = nil) {
        self.title = title; self.model = model
        if let id { _id = id; _ids = [id] }
    }

    var id: Int64? {
        get { lock.withLock { _id } }
        set { lock.withLock { _id = newValue; if let newValue { _ids.insert(newValue) } } }
    }

    func wasEver(_ id: Int64) -> Bool { lock.withLock { _ids.contains(id) } }

    /// The chat's id, creating it first when it has none (on the writer's queue).
    func ensure(in store: ChatStore) throws -> Int64 {
        if let id { return id }
        let new = try store.createChat(title: title, model: model)
        id = new
        return new
    }
}

/// A message to write, whose latest text the UI keeps replacing; the writer writes whatever
/// is latest when its turn comes.
final class MessageHandle: @unchecked Sendable {
    private let lock = NSLock()
    private var _message: StoredMessage

    init(_ m: StoredMessage) { _message = m }

    var message: StoredMessage {
        get { lock.withLock { _message } }
        set { lock.withLock { let id = _message.id; _message = newValue; _message.id = id } }
    }

    var id: Int64? {
        get { lock.withLock { _message.id } }
        set { lock.withLock { _message.id = newValue } }
    }

    /// Writes the message (appends it the first time, rewrites it after), creating the chat
    /// again if another quantty deleted it. Returns a note for the user when it did.
    func write(to chat: ChatHandle, in store: ChatStore) throws -> String? {
        let m = message
        if m.id != nil, try store.update(m) { return nil }
        // New, or gone with its chat: (re-)append.
        let chatID = try chat.ensure(in: store)
        do {
            id = try store.append(m, to: chatID)
            return nil
        } catch let e where HistoryWriter.isMissingChat(e) {
            chat.id = nil
            let newID = try chat.ensure(in: store)
            id = try store.append(m, to: newID)
            return "this chat was deleted by another quantty; it is saved again from here on"
        }
    }
}
