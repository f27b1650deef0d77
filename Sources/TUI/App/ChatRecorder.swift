import Foundation
import LLM

/// Keeps the chat store in step with the chat on screen: creates the chat on the first
/// message, appends user messages, writes replies as they stream, forgets dropped replies.
///
/// Writes go through a `HistoryWriter`, off the UI thread and in order, so a locked
/// database never holds up typing and nothing is lost while the lock clears. Reads (the chat
/// list, opening a chat) stay direct: in WAL mode another process's writes do not block them.
/// Read failures are returned as messages for the status line; chatting goes on.
final class ChatRecorder {
    let store: ChatStore
    let writer: HistoryWriter
    /// The chat on screen, as written (or to be written).
    private var chat: ChatHandle?
    /// The reply streaming now.
    private var reply: MessageHandle?
    private var pendingTokens = 0
    private var lastFlush = 0.0
    let everyTokens: Int
    let everySeconds: Double
    private let clock: () -> Double
    private(set) var lastError: String?

    init(store: ChatStore, everyTokens: Int = 16, everySeconds: Double = 1,
         clock: @escaping () -> Double = { ProcessInfo.processInfo.systemUptime }) {
        self.store = store
        self.writer = HistoryWriter(store: store)
        self.everyTokens = everyTokens; self.everySeconds = everySeconds; self.clock = clock
    }

    private func attempt<T>(_ body: () throws -> T) -> T? {
        do { return try body() } catch {
            lastError = "chat history: \(error)"
            return nil
        }
    }

    /// Takes the error (if any) since the last call.
    func takeError() -> String? { defer { lastError = nil }; return lastError }

    /// Queues writing `message` to the current chat; its notes go to the writer's events.
    private func write(_ message: MessageHandle, chat: ChatHandle) {
        let writer = self.writer
        writer.enqueue { store in
            if let note = try message.write(to: chat, in: store) { writer.onEvent(.note(note)) }
        }
    }

    /// A reply is starting: store the user's message (unless regenerating) and open the reply.
    func beginReply(request: ChatRequest, state: inout AppState) {
        reply = nil
        if !request.isRegeneration, let last = request.turns.last, last.role == .user {
            let text = last.content
            writer.enqueue { try $0.appendInput(text) }
        }
        let level = state.model?.row.level
        if let id = state.chatID {
            // A chat opened from the list (or this one, once written).
            if chat.map({ !$0.wasEver(id) }) ?? true { chat = ChatHandle(title: "chat", model: "", id: id) }
        } else if chat == nil {
            let firstUser = request.turns.first(where: { $0.role == .user })?.content ?? "chat"
            let title = String(firstUser.split(separator: "\n").first ?? "chat").prefix(60)
            let model = [state.model?.row.name, level].compactMap { $0 }.joined(separator: " ")
            let handle = ChatHandle(title: String(title), model: model)
            chat = handle
            let writer = self.writer
            writer.enqueue {
                _ = try handle.ensure(in: $0)
                writer.onEvent(.chatSaved)
            }
        }
        guard let chat else { return }
        if state.chatID == nil, let id = chat.id { state.chatID = id }
        if !request.isRegeneration, let last = request.turns.last, last.role == .user {
            write(MessageHandle(StoredMessage(role: .user, content: last.content)), chat: chat)
        }
        let r = MessageHandle(StoredMessage(role: .assistant, content: "", level: level, complete: false))
        reply = r
        pendingTokens = 0
        lastFlush = clock()
        write(r, chat: chat)
    }

    /// Follows the reply as the state changed by `action`.
    func observe(_ action: Action, state: AppState) {
        if case .chatOpened(let id, _) = action, chat.map({ !$0.wasEver(id) }) ?? true {
            chat = ChatHandle(title: "chat", model: "", id: id)
        }
        guard case .backend(let e) = action, let reply, let chat else { return }
        switch e {
        case .token(let t, _):
            reply.message.content += t
            pendingTokens += 1
            if pendingTokens >= everyTokens || clock() - lastFlush >= everySeconds {
                pendingTokens = 0
                lastFlush = clock()
                write(reply, chat: chat)
            }
        case .finished, .failed:
            var m = reply.message
            if let last = state.chat.messages.last(where: { $0.role == .assistant }) {
                m.content = last.text
                if let f = last.footer {
                    m.level = f.level; m.tokens = f.tokens; m.tokensPerSecond = f.tokensPerSecond
                    m.perplexity = f.perplexity; m.stopped = f.stopped
                }
            }
            m.complete = true
            reply.message = m
            write(reply, chat: chat)
            self.reply = nil
        default: break
        }
    }

    /// The id of the chat on screen, once written.
    var chatID: Int64? { chat?.id }

    /// A new chat (Ctrl-N): the next message starts another stored chat.
    func newChat() { chat = nil; reply = nil }

    /// The last reply was dropped (regenerate): delete it from the chat, in turn with the writes.
    func dropLastReply() {
        guard let chat else { return }
        writer.enqueue { store in
            guard let id = chat.id, let messages = try store.loadChat(id),
                  let last = messages.last(where: { $0.role == .assistant }), let mid = last.id else { return }
            try store.deleteMessage(mid)
        }
    }

    func listChats() -> [ChatSummary] { attempt { try store.listChats() } ?? [] }

    func open(_ id: Int64) -> [ChatPaneMessage]? {
        (attempt { try store.loadChat(id) } ?? nil)?.map(\.chatMessage)
    }

    func delete(_ id: Int64) {
        if chat?.wasEver(id) ?? false { chat = nil; reply = nil }
        writer.enqueue { try $0.deleteChat(id) }
    }

    func saveSettings(_ s: ChatSettings) { writer.enqueue { try $0.saveSettings(s) } }

    /// On quit: write what the streaming reply has so far, wait for the queue (up to
    /// `timeout` seconds while another process holds the lock), fold the log into the file
    /// and close. Returns how many writes were given up.
    @discardableResult
    func close(timeout: TimeInterval = 10) -> Int {
        if let reply, let chat { write(reply, chat: chat) }
        reply = nil
        return writer.close(timeout: timeout)
    }
}
