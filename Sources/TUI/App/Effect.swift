/// Work `AppState.reduce` asks the outside world to do; `AppController` performs it.
/// Keeping it out of the reducer keeps the reducer a pure, testable function.
public enum Effect: Equatable, Sendable {
    case generate(ChatRequest)
    case stop
    case load(ModelRow)
    /// Switch the loaded model to another of its levels, keeping the conversation.
    case swapLevel(ModelRow, ChatRequest)
    /// Send the conversation to these levels side by side (the first is the reference).
    case compare(ChatRequest, [ModelRow])
    case listModels
    case listChats
    case openChat(Int64)
    case deleteChat(Int64)
    /// Start a new chat in the store (the next message creates it).
    case newChat
    /// The last reply was dropped for regeneration; forget it in the store too.
    case dropLastReply
    case settingsChanged(ChatSettings)
    case quit
}
