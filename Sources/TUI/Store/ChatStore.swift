import Foundation
import GRDB

/// Chat history in SQLite (WAL mode) under a folder: `history.sqlite`. Also keeps the
/// input history (Up/Down recall across runs) and the F5 settings.
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

    /// Seconds a statement waits for another process's lock before failing with
    /// `SQLITE_BUSY` (the `HistoryWriter` then retries it later).
    public static let busyTimeout: TimeInterval = 2

    /// Opens (creating if needed) the store in `directory`. The folder is made private (0700)
    /// and the database file 0600: chats are nobody else's business.
    public init(directory: String, busyTimeout: TimeInterval = ChatStore.busyTimeout) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        chmod(directory, 0o700)
        path = directory + "/" + Self.fileName
        // Created 0600 before SQLite opens it; its -wal and -shm files take the same mode.
        if !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        chmod(path, 0o600)
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(busyTimeout)
        db = try DatabasePool(path: path, configuration: config)
        try Self.migrator.migrate(db)
    }

    /// Folds the write-ahead log into the database file (so the one file holds the chats) and
    /// closes the database; further calls fail.
    public func close() throws {
        try? db.writeWithoutTransaction { try $0.checkpoint(.truncate) }
        try db.close()
    }

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
        m.registerMigration("v2 input history and settings") { db in
            // The input history outlives deleted chats; it starts with the messages already sent.
            try db.execute(sql: """
                CREATE TABLE inputHistory (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    text TEXT NOT NULL,
                    created DATETIME NOT NULL);
                INSERT INTO inputHistory (text, created) SELECT content, created FROM message WHERE role = 'user' ORDER BY id;
                CREATE TABLE setting (
                    key TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL);
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
                StoredMessage(id: r["id"], role: ChatPaneMessage.Role(rawValue: r["role"]) ?? .notice, content: r["content"],
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

    /// Rewrites a message in place (a streaming reply as it grows, then its footer). False when
    /// the message is no longer there (its chat was deleted, perhaps by another quantty).
    @discardableResult
    public func update(_ m: StoredMessage) throws -> Bool {
        guard let id = m.id else { return false }
        return try db.write { db in
            try db.execute(sql: """
                UPDATE message SET content = ?, level = ?, tokens = ?, tokensPerSecond = ?, perplexity = ?,
                    stopped = ?, complete = ? WHERE id = ?
                """, arguments: [m.content, m.level, m.tokens, m.tokensPerSecond, m.perplexity, m.stopped, m.complete, id])
            guard db.changesCount > 0 else { return false }
            try db.execute(sql: "UPDATE chat SET updated = ? WHERE id = (SELECT chat FROM message WHERE id = ?)",
                           arguments: [Date(), id])
            return true
        }
    }

    /// Deletes one message.
    public func deleteMessage(_ id: Int64) throws {
        try db.write { db in try db.execute(sql: "DELETE FROM message WHERE id = ?", arguments: [id]) }
    }

    // MARK: - Input history

    /// Most entries kept; older ones are dropped as new ones arrive.
    public static let inputHistoryLimit = 1000

    /// Remembers a sent message for Up/Down recall (not twice in a row).
    public func appendInput(_ text: String, now: Date = Date()) throws {
        guard !text.isEmpty else { return }
        try db.write { db in
            let last = try String.fetchOne(db, sql: "SELECT text FROM inputHistory ORDER BY id DESC LIMIT 1")
            guard last != text else { return }
            try db.execute(sql: "INSERT INTO inputHistory (text, created) VALUES (?, ?)", arguments: [text, now])
            try db.execute(sql: """
                DELETE FROM inputHistory WHERE id <= (SELECT id FROM inputHistory ORDER BY id DESC LIMIT 1 OFFSET ?)
                """, arguments: [Self.inputHistoryLimit])
        }
    }

    /// The last `limit` sent messages, oldest first.
    public func inputHistory(limit: Int = ChatStore.inputHistoryLimit) throws -> [String] {
        try db.read { db in
            try String.fetchAll(db, sql: "SELECT text FROM inputHistory ORDER BY id DESC LIMIT ?", arguments: [limit]).reversed()
        }
    }

    // MARK: - Settings

    static let settingsKey = "chat.settings"

    /// The settings last applied with F5, nil if never (or unreadable: the defaults apply).
    public func loadSettings() throws -> ChatSettings? {
        let json = try db.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = ?", arguments: [Self.settingsKey])
        }
        guard let json else { return nil }
        return try? JSONDecoder().decode(ChatSettings.self, from: Data(json.utf8))
    }

    public func saveSettings(_ s: ChatSettings) throws {
        let json = String(decoding: try JSONEncoder().encode(s), as: UTF8.self)
        try db.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)", arguments: [Self.settingsKey, json])
        }
    }
}
