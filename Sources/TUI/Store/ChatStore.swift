import Foundation
import GRDB

/// A message as stored: the chat pane's view plus what the footer needs.
public struct StoredMessage: Equatable, Sendable {
    public var id: Int64?
    public var role: ChatMessage.Role
    public var content: String
    public var level: String?
    public var tokens: Int?
    public var tokensPerSecond: Double?
    public var perplexity: Double?
    public var stopped = false
    /// False while a reply is still being written (and forever if the app died mid-reply).
    public var complete = true
    public var created: Date

    public init(id: Int64? = nil, role: ChatMessage.Role, content: String, level: String? = nil, tokens: Int? = nil,
                tokensPerSecond: Double? = nil, perplexity: Double? = nil, stopped: Bool = false,
                complete: Bool = true, created: Date = Date()) {
        self.id = id; self.role = role; self.content = content; self.level = level; self.tokens = tokens
        self.tokensPerSecond = tokensPerSecond; self.perplexity = perplexity; self.stopped = stopped
        self.complete = complete; self.created = created
    }

    /// How the chat pane shows it.
    public var chatMessage: ChatMessage {
        var footer: ReplyFooter?
        if role == .assistant, let level, let tokens, let tokensPerSecond {
            footer = ReplyFooter(level: level, tokens: tokens, tokensPerSecond: tokensPerSecond,
                                 perplexity: perplexity, stopped: stopped)
        }
        var text = content
        if !complete {
            while text.last?.isWhitespace == true { text.removeLast() }
            text += (text.isEmpty ? "" : " ") + "[reply interrupted]"
        }
        return ChatMessage(role: role, text: text, footer: footer)
    }
}

/// Chat history in SQLite (WAL mode) under a folder: `history.sqlite`.
///
/// Every call is its own transaction, so a process killed at any point leaves the file
/// consistent: earlier messages intact, a reply being streamed as far as its last update.
public final class ChatStore: Sendable {
    public let path: String
    private let db: DatabasePool

    public static let fileName = "history.sqlite"

    /// `$XDG_DATA_HOME/quantty`, or `~/.local/share/quantty`.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let d = environment["XDG_DATA_HOME"], !d.isEmpty { return d + "/quantty" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.local/share/quantty"
    }

    /// Opens (creating if needed) the store in `directory`.
    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = directory + "/" + Self.fileName
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(5)
        db = try DatabasePool(path: path, configuration: config)
        try Self.migrator.migrate(db)
    }

    /// Closes the database; further calls fail.
    public func close() throws { try db.close() }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE chat (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    title TEXT NOT NULL,
                    model TEXT NOT NULL,
                    created DATETIME NOT NULL,
                    updated DATETIME NOT NULL);
                CREATE TABLE message (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    chat INTEGER NOT NULL REFERENCES chat(id) ON DELETE CASCADE,
                    role TEXT NOT NULL,
                    content TEXT NOT NULL,
                    level TEXT,
                    tokens INTEGER,
                    tokensPerSecond DOUBLE,
                    perplexity DOUBLE,
                    stopped BOOLEAN NOT NULL DEFAULT 0,
                    complete BOOLEAN NOT NULL DEFAULT 1,
                    created DATETIME NOT NULL);
                CREATE INDEX message_by_chat ON message(chat, id);
                """)
        }
        return m
    }

    // MARK: - Chats

    /// Creates a chat; returns its id.
    public func createChat(title: String, model: String, now: Date = Date()) throws -> Int64 {
        try db.write { db in
            try db.execute(sql: "INSERT INTO chat (title, model, created, updated) VALUES (?, ?, ?, ?)",
                           arguments: [title, model, now, now])
            return db.lastInsertedRowID
        }
    }

    /// Chats, most recently updated first.
    public func listChats() throws -> [ChatSummary] {
        try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT chat.*, (SELECT COUNT(*) FROM message WHERE message.chat = chat.id) AS n
                FROM chat ORDER BY updated DESC, id DESC
                """).map { r in
                ChatSummary(id: r["id"], title: r["title"], model: r["model"], created: r["created"],
                            updated: r["updated"], messageCount: r["n"])
            }
        }
    }

    /// The messages of a chat, oldest first (nil if there is no such chat).
    public func loadChat(_ id: Int64) throws -> [StoredMessage]? {
        try db.read { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM chat WHERE id = ?", arguments: [id]) != nil else { return nil }
            return try Row.fetchAll(db, sql: "SELECT * FROM message WHERE chat = ? ORDER BY id", arguments: [id]).map { r in
                StoredMessage(id: r["id"], role: ChatMessage.Role(rawValue: r["role"]) ?? .notice, content: r["content"],
                              level: r["level"], tokens: r["tokens"], tokensPerSecond: r["tokensPerSecond"],
                              perplexity: r["perplexity"], stopped: r["stopped"], complete: r["complete"], created: r["created"])
            }
        }
    }

    /// Deletes a chat and its messages.
    public func deleteChat(_ id: Int64) throws {
        try db.write { db in try db.execute(sql: "DELETE FROM chat WHERE id = ?", arguments: [id]) }
    }

    // MARK: - Messages

    /// Appends a message to a chat; returns its id.
    @discardableResult
    public func append(_ m: StoredMessage, to chat: Int64) throws -> Int64 {
        try db.write { db in
            try db.execute(sql: """
                INSERT INTO message (chat, role, content, level, tokens, tokensPerSecond, perplexity, stopped, complete, created)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [chat, m.role.rawValue, m.content, m.level, m.tokens, m.tokensPerSecond,
                                 m.perplexity, m.stopped, m.complete, m.created])
            let id = db.lastInsertedRowID
            try db.execute(sql: "UPDATE chat SET updated = ? WHERE id = ?", arguments: [m.created, chat])
            return id
        }
    }

    /// Rewrites a message in place (a streaming reply as it grows, then its footer).
    public func update(_ m: StoredMessage) throws {
        guard let id = m.id else { return }
        try db.write { db in
            try db.execute(sql: """
                UPDATE message SET content = ?, level = ?, tokens = ?, tokensPerSecond = ?, perplexity = ?,
                    stopped = ?, complete = ? WHERE id = ?
                """, arguments: [m.content, m.level, m.tokens, m.tokensPerSecond, m.perplexity, m.stopped, m.complete, id])
            try db.execute(sql: "UPDATE chat SET updated = ? WHERE id = (SELECT chat FROM message WHERE id = ?)",
                           arguments: [Date(), id])
        }
    }

    /// Deletes one message.
    public func deleteMessage(_ id: Int64) throws {
        try db.write { db in try db.execute(sql: "DELETE FROM message WHERE id = ?", arguments: [id]) }
    }
}

/// Writes a streaming reply to the store: the message is created at once (incomplete) and
/// rewritten every `everyTokens` tokens or `everySeconds` seconds, whichever comes first,
/// so a killed process loses at most the tail of that reply.
public struct ReplyWriter {
    public let store: ChatStore
    public private(set) var message: StoredMessage
    public let everyTokens: Int
    public let everySeconds: Double
    private let clock: @Sendable () -> Double
    private var pendingTokens = 0
    private var lastFlush: Double

    public init(store: ChatStore, chat: Int64, level: String?, everyTokens: Int = 16, everySeconds: Double = 1,
                clock: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime }) throws {
        self.store = store; self.everyTokens = everyTokens; self.everySeconds = everySeconds; self.clock = clock
        message = StoredMessage(role: .assistant, content: "", level: level, complete: false)
        message.id = try store.append(message, to: chat)
        lastFlush = clock()
    }

    /// Adds a piece of the reply; writes when a flush is due.
    public mutating func append(_ text: String) throws {
        message.content += text
        pendingTokens += 1
        if pendingTokens >= everyTokens || clock() - lastFlush >= everySeconds { try flush() }
    }

    /// Writes what has arrived so far.
    public mutating func flush() throws {
        try store.update(message)
        pendingTokens = 0
        lastFlush = clock()
    }

    /// Writes the whole reply with its footer and marks it complete.
    public mutating func finish(footer: ReplyFooter?, text: String? = nil) throws {
        if let text { message.content = text }
        if let f = footer {
            message.level = f.level; message.tokens = f.tokens; message.tokensPerSecond = f.tokensPerSecond
            message.perplexity = f.perplexity; message.stopped = f.stopped
        }
        message.complete = true
        try flush()
    }
}
