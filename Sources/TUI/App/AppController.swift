import Foundation

/// Runs the app: owns the state, performs effects on the backend (and the store), and
/// brings backend events back as actions. Not thread-safe by design: one loop (the
/// terminal's, or a test's) calls `handle`, `pump` and `render`; backend streams run in
/// tasks that only post to the `Inbox`.
public final class AppController {
    public private(set) var state: AppState
    let backend: any ChatBackend
    /// Where tasks leave actions for the loop. `onPost` can wake the loop.
    public let inbox = Inbox()
    private var generation: Task<Void, Never>?
    private var loader: Task<Void, Never>?

    public init(state: AppState, backend: any ChatBackend) {
        self.state = state
        self.backend = backend
    }

    /// A key from the terminal.
    public func handle(_ key: KeyEvent) { perform(state.handle(key), after: nil) }

    /// Applies an action and performs its effects.
    public func dispatch(_ action: Action) { perform(state.reduce(action), after: action) }

    /// Applies every action posted since the last call; true when something changed.
    @discardableResult
    public func pump() -> Bool {
        let actions = inbox.drain()
        for a in actions { dispatch(a) }
        return !actions.isEmpty
    }

    /// The screen now.
    public func render() -> CellGrid { state.render() }

    /// Stops work in progress (on quit).
    public func shutdown() {
        generation?.cancel(); loader?.cancel()
    }

    // MARK: - Effects

    private func perform(_ effects: [Effect], after action: Action?) {
        for e in effects { perform(e) }
    }

    private func perform(_ e: Effect) {
        let inbox = self.inbox
        let backend = self.backend
        switch e {
        case .generate(let request):
            generation?.cancel()
            let stream = backend.generate(request)
            generation = Task {
                for await ev in stream { inbox.post(.backend(ev)) }
            }
        case .stop:
            Task { await backend.stop() }
        case .load(let row):
            loader?.cancel()
            let stream = backend.load(row)
            loader = Task {
                for await ev in stream { inbox.post(.backend(ev)) }
            }
        case .listModels:
            Task { inbox.post(.modelsListed(await backend.models())) }
        case .listChats, .openChat, .deleteChat, .newChat, .dropLastReply, .settingsChanged:
            break   // the chat store joins in the next step
        case .quit:
            shutdown()
        }
    }
}

/// A thread-safe mailbox of actions from background tasks to the UI loop.
public final class Inbox: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Action] = []
    /// Called (on the posting thread) after each post; the terminal uses it to wake up.
    public var onPost: (@Sendable () -> Void)? {
        get { lock.withLock { _onPost } }
        set { lock.withLock { _onPost = newValue } }
    }
    private var _onPost: (@Sendable () -> Void)?

    public func post(_ a: Action) {
        let wake = lock.withLock { items.append(a); return _onPost }
        wake?()
    }

    public func drain() -> [Action] {
        lock.withLock { defer { items = [] }; return items }
    }
}
