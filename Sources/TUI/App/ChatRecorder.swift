import Foundation
import LLM

/// Keeps the chat store in step with the chat on screen: creates the chat on the first
/// message, appends user messages, writes replies as they stream, forgets dropped replies.
/// Store failures are returned as messages for the status line; chatting goes on.
final class ChatRecorder {
    let store: ChatStore
    private var writer: ReplyWriter?
    private(set) var lastError: String?

    init(store: ChatStore) { self.store = store }

    private func attempt<T>(_ body: () throws -> T) -> T? {
        do { return try body() } catch {
            lastError = "chat history: \(error)"
            return nil
        }
    }

    /// Takes the error (if any) since the last call.
    func takeError() -> String? { defer { lastError = nil }; return lastError }

    /// A reply is starting: store the user's message (unless regenerating) and open the reply.
    func beginReply(request: ChatRequest, state: inout AppState) {
        writer = nil
        if !request.isRegeneration, let last = request.turns.last, last.role == .user {
            _ = attempt { try store.appendInput(last.content) }
        }
        let level = state.model?.row.level
        if state.chatID == nil {
            let firstUser = request.turns.first(where: { $0.role == .user })?.content ?? "chat"
            let title = String(firstUser.split(separator: "\n").first ?? "chat").prefix(60)
            let model = [state.model?.row.name, level].compactMap { $0 }.joined(separator: " ")
            state.chatID = attempt { try store.createChat(title: String(title), model: model) }
        }
        guard let chat = state.chatID else { return }
        if !request.isRegeneration, let last = request.turns.last, last.role == .user {
            _ = attempt { try store.append(StoredMessage(role: .user, content: last.content), to: chat) }
        }
        writer = attempt { try ReplyWriter(store: store, chat: chat, level: level) }
    }

    /// Follows the reply as the state changed by `action`.
    func observe(_ action: Action, state: AppState) {
        guard case .backend(let e) = action, writer != nil else { return }
        switch e {
        case .token(let t, _):
            _ = attempt { try writer?.append(t) }
        case .finished, .failed:
            let last = state.chat.messages.last(where: { $0.role == .assistant })
            _ = attempt { try writer?.finish(footer: last?.footer, text: last?.text) }
            writer = nil
        default: break
        }
    }

    /// The last reply was dropped (regenerate): delete it from the chat.
    func dropLastReply(chat: Int64?) {
        guard let chat, let messages = attempt({ try store.loadChat(chat) }) ?? nil,
              let last = messages.last(where: { $0.role == .assistant }), let id = last.id else { return }
        _ = attempt { try store.deleteMessage(id) }
    }

    func listChats() -> [ChatSummary] { attempt { try store.listChats() } ?? [] }

    func open(_ id: Int64) -> [ChatPaneMessage]? {
        (attempt { try store.loadChat(id) } ?? nil)?.map(\.chatMessage)
    }

    func delete(_ id: Int64) { _ = attempt { try store.deleteChat(id) } }

    func saveSettings(_ s: ChatSettings) { _ = attempt { try store.saveSettings(s) } }

    /// On quit: write what the streaming reply has so far.
    func abandon() {
        _ = attempt { try writer?.flush() }
        writer = nil
    }
}
