import Foundation

/// Runs the app: owns the state, performs effects on the backend (and the store), and
/// brings backend events back as actions. Not thread-safe by design: one loop (the
/// terminal's, or a test's) calls `handle`, `pump` and `render`; backend streams run in
/// tasks that only post to the `Inbox`.
///
/// Events are kept to the stream they belong to. Each reply (generate, compare) is numbered,
/// and what a replaced reply had already posted is dropped, so it cannot land in the next
/// one. Load, swap and settings streams end with `.finished` too, but that end is not a
/// reply's: it is not passed on, or a swap finishing under a regenerated reply would end it.
public final class AppController {
    public private(set) var state: AppState
    let backend: any ChatBackend
    let recorder: ChatRecorder?
    /// Where tasks leave actions for the loop. `onPost` can wake the loop.
    public let inbox = Inbox()
    private var generation: Task<Void, Never>?
    private var loader: Task<Void, Never>?
    private var settingsTask: Task<Void, Never>?
    /// The number of the reply whose events count; earlier replies' events are dropped.
    private var currentReply = 0

    /// - Parameter store: where chats are kept; nil keeps nothing.
    public init(state: AppState, backend: any ChatBackend, store: ChatStore? = nil) {
        self.state = state
        self.backend = backend
        self.recorder = store.map { ChatRecorder(store: $0) }
        if let writer = recorder?.writer {
            let inbox = self.inbox
            writer.onEvent = { inbox.post(.history($0)) }
        }
    }

    /// A key from the terminal.
    public func handle(_ key: KeyEvent) { perform(state.handle(key), after: nil) }

    /// Starts loading a model without the picker (the default model at start-up).
    public func load(_ row: ModelRow) { perform(state.startLoading(row), after: nil) }

    /// Applies an action and performs its effects.
    public func dispatch(_ action: Action) { perform(state.reduce(action), after: action) }

    /// Applies every action posted since the last call; true when something changed.
    @discardableResult
    public func pump() -> Bool {
        let items = inbox.drainWithReplies()
        for (a, reply) in items where reply == nil || reply == currentReply { dispatch(a) }
        return !items.isEmpty
    }

    /// The screen now.
    public func render() -> CellGrid { state.render() }

    /// Stops work in progress (on quit). The history's queued writes are not waited for
    /// here: `closeHistory` does that once the terminal is restored.
    public func shutdown() {
        generation?.cancel(); loader?.cancel(); settingsTask?.cancel()
    }

    /// Waits until what is queued for the history is written, up to `timeout` seconds while
    /// another process holds the lock. Returns how many writes were given up (0 unless the
    /// lock never cleared).
    @discardableResult
    public func flushHistory(timeout: TimeInterval = 10) -> Int {
        recorder?.writer.drain(timeout: timeout) ?? 0
    }

    /// Like `flushHistory`, after queueing the streaming reply as far as it got; then
    /// checkpoints the log into the database file and closes the store (on quit).
    @discardableResult
    public func closeHistory(timeout: TimeInterval = 10) -> Int {
        recorder?.close(timeout: timeout) ?? 0
    }

    // MARK: - Effects

    private func perform(_ effects: [Effect], after action: Action?) {
        if let action, let recorder {
            recorder.observe(action, state: state)
            // A new chat's id arrives once the writer has created it.
            if state.chatID == nil, let id = recorder.chatID { state.chatID = id }
        }
        for e in effects { perform(e) }
        if let message = recorder?.takeError() { inbox.post(.storeFailed(message)) }
    }

    private func perform(_ e: Effect) {
        let inbox = self.inbox
        let backend = self.backend
        switch e {
        case .generate(let request):
            recorder?.beginReply(request: request, state: &state)
            generation?.cancel()
            currentReply += 1
            let reply = currentReply
            let stream = backend.generate(request)
            generation = Task {
                for await ev in stream { inbox.post(.backend(ev), reply: reply) }
            }
        case .compare(let request, let levels):
            recorder?.beginReply(request: request, state: &state)
            generation?.cancel()
            currentReply += 1
            let reply = currentReply
            let stream = backend.compare(request, levels: levels)
            generation = Task {
                for await ev in stream { inbox.post(.backend(ev), reply: reply) }
            }
        case .swapLevel(let row, let conversation):
            loader?.cancel()
            let stream = backend.swapLevel(row, conversation: conversation)
            loader = Task {
                for await ev in stream { inbox.postUnlessEnd(ev) }
            }
        case .stop:
            Task { await backend.stop() }
        case .load(let row):
            loader?.cancel()
            let stream = backend.load(row)
            loader = Task {
                for await ev in stream { inbox.postUnlessEnd(ev) }
            }
        case .listModels:
            Task { inbox.post(.modelsListed(await backend.models())) }
        case .listChats:
            if let recorder { inbox.post(.chatsListed(recorder.listChats())) }
        case .openChat(let id):
            if let recorder, let messages = recorder.open(id) { inbox.post(.chatOpened(id: id, messages: messages)) }
        case .deleteChat(let id):
            recorder?.delete(id)
        case .dropLastReply:
            recorder?.dropLastReply()
        case .settingsChanged(let s):
            recorder?.saveSettings(s)
            let stream = backend.applySettings(s, model: state.model?.row, conversation: state.request())
            settingsTask?.cancel()
            settingsTask = Task {
                for await ev in stream { inbox.postUnlessEnd(ev) }
                if !Task.isCancelled { inbox.post(.settingsApplied) }
            }
        case .newChat:
            recorder?.newChat()
        case .quit:
            shutdown()
        }
    }
}

/// A thread-safe mailbox of actions from background tasks to the UI loop.
public final class Inbox: @unchecked Sendable {
    private let lock = NSLock()
    /// Actions in order, each with the number of the reply it belongs to, if any.
    private var items: [(action: Action, reply: Int?)] = []
    /// Called (on the posting thread) after each post; the terminal uses it to wake up.
    public var onPost: (@Sendable () -> Void)? {
        get { lock.withLock { _onPost } }
        set { lock.withLock { _onPost = newValue } }
    }
    private var _onPost: (@Sendable () -> Void)?

    public func post(_ a: Action) { post(a, reply: nil) }

    /// Posts an event of reply number `reply` (see `AppController`).
    func post(_ a: Action, reply: Int?) {
        let wake = lock.withLock { items.append((a, reply)); return _onPost }
        wake?()
    }

    /// Posts an event of a load, swap or settings stream, but not its closing `.finished`,
    /// which the state would take for the end of a reply streaming meanwhile.
    func postUnlessEnd(_ ev: BackendEvent) {
        if case .finished = ev { return }
        post(.backend(ev))
    }

    public func drain() -> [Action] { drainWithReplies().map(\.action) }

    func drainWithReplies() -> [(action: Action, reply: Int?)] {
        lock.withLock { defer { items = [] }; return items }
    }
}
