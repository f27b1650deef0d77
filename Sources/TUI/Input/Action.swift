/// What the user (or the backend) asks the app to do; `AppState.reduce` applies it.
public enum Action: Equatable, Sendable {
    // MARK: Chat
    case send
    case newline
    case stop
    case regenerate
    case newChat

    // MARK: Screens
    case openChatList
    case openModelPicker
    case openQuantLevel
    case openCompare
    case openSettings
    case toggleHelp
    /// Esc in an overlay: back to the chat.
    case close
    case quit

    // MARK: Editing (the input box, a filter, a form field)
    case insert(String)
    case backspace
    case delete
    case cursorLeft, cursorRight, cursorUp, cursorDown, cursorHome, cursorEnd
    case nextField, previousField
    /// Enter in a list or form.
    case confirm

    // MARK: View
    case scroll(ScrollCommand)
    case pasteBegin, pasteEnd
    case resize(width: Int, height: Int)

    // MARK: From the outside
    case backend(BackendEvent)
    /// The chat list, newest first (from the store).
    case chatsListed([ChatSummary])
    /// An earlier chat, reopened.
    case chatOpened(id: Int64, messages: [ChatPaneMessage])
    /// The models the picker offers.
    case modelsListed([ModelRow])
    /// The chat history could not be read or written; shown, not fatal.
    case storeFailed(String)
    /// News from the history writer: off for good, waiting for a lock, caught up, a chat saved.
    case history(HistoryWriter.Event)
    /// The backend is done applying new settings (a context reload, if any, is over).
    case settingsApplied
}
