import Foundation
import LLM

/// Everything the screen shows, and how actions change it. No terminal, no engine: keys
/// and backend events go in through `reduce`, effects come out, `render` draws a grid.
public struct AppState: Sendable {
    public var width: Int
    public var height: Int
    public var mode: Mode = .chat
    public var chat = ChatPane()
    public var input = InputBox()
    public var stats = StatsSnapshot()
    public var picker = ModelPicker(rows: [])
    public var quantPicker = ModelPicker(rows: [])
    public var chatList = ChatList()
    public var settings: ChatSettings
    public var settingsForm: SettingsForm?
    public var model: LoadedModel?
    /// The model being loaded, while it loads.
    public var loading: ModelRow?
    public var isGenerating = false
    /// Inside a bracketed paste: Enter inserts a newline.
    public var pasting = false
    public var status: (message: String, tone: StatusLine.Tone)?
    public var shouldQuit = false
    /// Help entries scrolled past, on short screens.
    public var helpOffset = 0
    /// The stored chat on screen, once it has been saved.
    public var chatID: Int64?
    /// Why the chat history is off (nothing is saved), for as long as it is; shown in the
    /// status line whenever nothing else is, and instead of the chat list.
    public var historyOff: String?
    /// Writes waiting for another program's lock on the history (shown until they are done).
    public var historyWaiting = 0
    /// F4: the next prompt goes to several levels side by side.
    public var compareMode = false
    /// The columns of the last (or running) comparison, shown under the chat.
    public var comparison: Comparison?
    /// A new context length is being applied (the model reloads): messages wait.
    public private(set) var reloadingContext = false
    /// The levels a comparison is running on.
    public private(set) var comparing: [ModelRow] = []
    /// At most this many levels side by side.
    public static let maxCompareLevels = 3

    /// Log-probabilities of this reply's tokens, and running sums over the chat, for
    /// perplexity = exp(-mean log p).
    private var replyLogProbSum = 0.0
    private var replyLogProbCount = 0
    private var chatLogProbSum = 0.0
    private var chatLogProbCount = 0
    private var replyTokens = 0
    /// (tokens, seconds) of recent replies, for the rolling speed.
    private var recentReplies: [(tokens: Int, seconds: Double)] = []
    static let rollingWindow = 5

    public init(width: Int, height: Int, settings: ChatSettings = ChatSettings(), history: [String] = []) {
        self.width = width; self.height = height; self.settings = settings
        input = InputBox(history: history)
        stats.contextSize = settings.contextLength ?? 0
    }

    public var layout: Layout { Layout(width: width, height: height, inputRows: input.preferredRows(width: width)) }

    /// Maps a key through the key map and applies it.
    public mutating func handle(_ key: KeyEvent) -> [Effect] {
        guard let a = KeyMap.action(for: key, mode: mode, inputEmpty: input.isEmpty, pasting: pasting) else { return [] }
        if case .resize = a {} else { status = nil }   // a message lasts until the next key
        return reduce(a)
    }

    // MARK: - Reduce

    /// Applies one action; returns the work to do outside.
    public mutating func reduce(_ action: Action) -> [Effect] {
        switch action {
        case .resize(let w, let h):
            width = w; height = h
            return []
        case .quit:
            shouldQuit = true
            return isGenerating ? [.stop, .quit] : [.quit]
        case .pasteBegin: pasting = true; return []
        case .pasteEnd: pasting = false; return []
        case .backend(let e): return receive(e)
        case .chatsListed(let chats):
            chatList = ChatList(chats: chats)
            return []
        case .chatOpened(let id, let messages):
            chatID = id
            chat = ChatPane(messages: messages)
            resetChatPerplexity()
            mode = .chat
            return []
        case .storeFailed(let message):
            setStatus(message, .error)
            return []
        case .history(let event):
            switch event {
            case .off(let reason):
                historyOff = reason
                historyWaiting = 0
                setStatus("chat history is off: \(reason)", .error)
            case .waiting(let n): historyWaiting = n
            case .caughtUp: historyWaiting = 0
            case .note(let s): setStatus("chat history: \(s)", .warning)
            case .chatSaved: break
            }
            return []
        case .settingsApplied:
            reloadingContext = false
            return []
        case .modelsListed(let rows):
            picker.rows = rows
            if let m = model {
                picker.select(id: m.row.id)
                if mode == .quantLevel {
                    quantPicker = ModelPicker(rows: levels(of: m.row))
                    if let i = quantPicker.visibleRows.firstIndex(where: { $0.id == m.row.id && $0.level == m.row.level }) {
                        quantPicker.move(i)
                    }
                    if quantPicker.rows.count > 1, status?.tone == .warning { status = nil }
                }
            }
            return []
        default: break
        }
        switch mode {
        case .chat: return reduceChat(action)
        case .help:
            switch action {
            case .close, .toggleHelp: mode = .chat
            case .cursorUp, .scroll(.pageUp), .scroll(.wheelUp): helpOffset = max(0, helpOffset - 1)
            case .cursorDown, .scroll(.pageDown), .scroll(.wheelDown):
                helpOffset = min(helpOffset + 1, max(0, KeyMap.help.count - HelpOverlay.visibleRows(in: overlayArea)))
            default: break
            }
            return []
        case .modelPicker, .quantLevel: return reducePicker(action)
        case .settings: return reduceSettings(action)
        case .chatList: return reduceChatList(action)
        }
    }

    private var chatWidth: Int { chatArea.width }
    private var chatHeight: Int { chatArea.height }

    private mutating func reduceChat(_ action: Action) -> [Effect] {
        switch action {
        case .insert(let s): input.insert(s)
        case .newline: input.newline()
        case .backspace: input.backspace()
        case .delete: input.delete()
        case .cursorLeft: input.left()
        case .cursorRight: input.right()
        case .cursorUp: input.up()
        case .cursorDown: input.down()
        case .cursorHome: input.home()
        case .cursorEnd: input.end()
        case .scroll(let s): chat.scroll(s, width: chatWidth, height: chatHeight)
        case .send: return send()
        case .stop: return isGenerating ? [.stop] : []
        case .regenerate: return regenerate()
        case .newChat:
            if isGenerating { setStatus("stop the reply first (Esc)", .warning); return [] }
            chat.clear(); chatID = nil; resetChatPerplexity()
            setStatus("new chat", .normal)
            return [.newChat]
        case .toggleHelp: mode = .help; helpOffset = 0
        case .openModelPicker: mode = .modelPicker; return [.listModels]
        case .openQuantLevel:
            guard let m = model else { setStatus("no model loaded (F2 picks one)", .warning); return [] }
            quantPicker = ModelPicker(rows: levels(of: m.row))
            quantPicker.select(id: m.row.id)
            if let i = quantPicker.visibleRows.firstIndex(where: { $0.id == m.row.id && $0.level == m.row.level }) {
                quantPicker.move(i - quantPicker.selection)
            }
            mode = .quantLevel
            if quantPicker.rows.count < 2 { setStatus("\(m.row.name) has no other level in the catalog", .warning) }
            return picker.rows.isEmpty ? [.listModels] : []
        case .openCompare:
            return toggleCompare()
        case .openSettings:
            // An empty context length means the model's own: the loaded one's, unless overridden.
            settingsForm = SettingsForm(settings, modelContext: settings.contextLength == nil ? model?.contextSize : nil)
            mode = .settings
        case .openChatList:
            if let historyOff {
                setStatus("no saved chats: chat history is off (\(historyOff))", .warning)
                return []
            }
            mode = .chatList; return [.listChats]
        default: break
        }
        return []
    }

    private mutating func send() -> [Effect] {
        guard !input.isEmpty else { return [] }
        if isGenerating { setStatus("a reply is streaming: Esc stops it", .warning); return [] }
        if reloadingContext { setStatus("the model is reloading with the new context length", .warning); return [] }
        guard model != nil else {
            setStatus("no model loaded: pick one (F2)", .warning)
            mode = .modelPicker
            return [.listModels]
        }
        let text = input.submit()
        chat.append(ChatPaneMessage(role: .user, text: text), width: chatWidth)
        if compareMode { return startComparison() }
        comparison = nil
        return startReply(isRegeneration: false)
    }

    // MARK: - Levels (F3) and compare mode (F4)

    /// Every level of `row`'s model that the picker knows, highest precision first.
    public func levels(of row: ModelRow) -> [ModelRow] {
        let key = row.reference.modelIdentity
        var rows = picker.rows.filter { $0.reference.modelIdentity == key }
        if !rows.contains(where: { $0.id == row.id && $0.level == row.level }) { rows.append(row) }
        return rows.sorted { ($0.bitsPerWeight ?? 0) > ($1.bitsPerWeight ?? 0) }
    }

    /// The levels compare mode sends the next prompt to: the present levels of the loaded
    /// model, highest precision first, at most `maxCompareLevels`; the first is the reference.
    public func compareLevels() -> [ModelRow] {
        guard let m = model else { return [] }
        let present = levels(of: m.row).filter { $0.isPresent || ($0.id == m.row.id && $0.level == m.row.level) }
        return Array(present.prefix(Self.maxCompareLevels))
    }

    private mutating func toggleCompare() -> [Effect] {
        if compareMode {
            compareMode = false
            if !isGenerating { comparison = nil }
            setStatus("compare mode off", .normal)
            return []
        }
        guard model != nil else { setStatus("no model loaded (F2 picks one)", .warning); return [] }
        let levels = compareLevels()
        guard levels.count >= 2 else {
            setStatus("compare needs two present levels of this model (`quantty fetch --all`)", .warning)
            return picker.rows.isEmpty ? [.listModels] : []
        }
        compareMode = true
        setStatus("compare mode: the next prompt goes to " + levels.map(\.level).joined(separator: " · "), .success)
        return []
    }

    private mutating func startComparison() -> [Effect] {
        let levels = compareLevels()
        guard levels.count >= 2 else {
            compareMode = false
            setStatus("compare needs two present levels; sending to the loaded level", .warning)
            return startReply(isRegeneration: false)
        }
        comparing = levels
        comparison = Comparison(levels: levels.map(\.level))
        isGenerating = true
        stats.isGenerating = true
        status = nil
        return [.compare(request(), levels)]
    }

    private mutating func regenerate() -> [Effect] {
        guard !isGenerating, !reloadingContext, model != nil else { return [] }
        guard let last = chat.messages.lastIndex(where: { $0.role == .assistant }),
              chat.messages[..<last].contains(where: { $0.role == .user }) else { return [] }
        chat.messages.removeSubrange(last...)
        return [.dropLastReply] + startReply(isRegeneration: true)
    }

    private mutating func startReply(isRegeneration: Bool) -> [Effect] {
        isGenerating = true
        stats.isGenerating = true
        replyLogProbSum = 0; replyLogProbCount = 0; replyTokens = 0
        stats.generationTPS = nil
        chat.appendToken("", width: chatWidth)   // an empty streaming reply shows the cursor
        chat.scroll(.bottom, width: chatWidth, height: chatHeight)
        status = nil
        return [.generate(request(isRegeneration: isRegeneration))]
    }

    /// The conversation for the backend: system prompt, then user and assistant turns.
    public func request(isRegeneration: Bool = false) -> ChatRequest {
        var turns: [ChatMessage] = []
        if !settings.systemPrompt.isEmpty { turns.append(ChatMessage(role: .system, content: settings.systemPrompt)) }
        for m in chat.messages where !m.isStreaming {
            switch m.role {
            case .user: turns.append(ChatMessage(role: .user, content: m.text))
            case .assistant: turns.append(ChatMessage(role: .assistant, content: m.text))
            case .system: turns.append(ChatMessage(role: .system, content: m.text))
            case .notice: break
            }
        }
        return ChatRequest(turns: turns, settings: settings, isRegeneration: isRegeneration)
    }

    private mutating func reducePicker(_ action: Action) -> [Effect] {
        let quant = mode == .quantLevel
        var p = quant ? quantPicker : picker
        defer { if quant { quantPicker = p } else { picker = p } }
        let page = max(1, height - 8)
        switch action {
        case .close, .openModelPicker, .openQuantLevel: mode = .chat
        case .insert(let s): p.type(s)
        case .backspace: p.backspace()
        case .cursorUp: p.move(-1)
        case .cursorDown: p.move(1)
        case .scroll(.pageUp): p.move(-page)
        case .scroll(.pageDown): p.move(page)
        case .scroll(.top): p.move(-p.visibleRows.count)
        case .scroll(.bottom): p.move(p.visibleRows.count)
        case .confirm:
            guard let row = p.selected else { return [] }
            if isGenerating { setStatus("stop the reply first (Esc)", .warning); return [] }
            if quant, let m = model {
                if row.id == m.row.id && row.level == m.row.level { mode = .chat; return [] }
                // Same model, another level: hot-swap, the conversation stays.
                loading = row
                p.loading = (row.name + " " + row.level, 0)
                return [.swapLevel(row, request())]
            }
            loading = row
            p.loading = (row.name + " " + row.level, 0)
            return [.load(row)]
        default: break
        }
        return []
    }

    private mutating func reduceSettings(_ action: Action) -> [Effect] {
        guard var form = settingsForm else { mode = .chat; return [] }
        defer { settingsForm = form }
        switch action {
        case .close: mode = .chat
        case .insert(let s): form.type(s)
        case .backspace: form.backspace()
        case .nextField: form.move(1)
        case .previousField: form.move(-1)
        case .confirm:
            guard let s = form.apply() else { return [] }
            // A new context length reloads the model: not under a streaming reply.
            if s.contextLength != settings.contextLength, isGenerating || loading != nil {
                setStatus("stop the reply first (Esc) to change the context length", .warning)
                return []
            }
            if s.contextLength != settings.contextLength, model != nil { reloadingContext = true }
            settings = s
            stats.contextSize = model?.contextSize ?? s.contextLength ?? 0
            mode = .chat
            setStatus("settings applied to the next reply", .success)
            return [.settingsChanged(s)]
        default: break
        }
        return []
    }

    private mutating func reduceChatList(_ action: Action) -> [Effect] {
        switch action {
        case .close, .openChatList: mode = .chat
        case .cursorUp: chatList.move(-1)
        case .cursorDown: chatList.move(1)
        case .scroll(.pageUp), .scroll(.top): chatList.move(-chatList.chats.count)
        case .scroll(.pageDown), .scroll(.bottom): chatList.move(chatList.chats.count)
        case .confirm:
            guard let c = chatList.selected else { return [] }
            if isGenerating { setStatus("stop the reply first (Esc)", .warning); return [] }
            return [.openChat(c.id)]
        case .delete, .backspace:
            guard let c = chatList.selected else { return [] }
            chatList.remove(id: c.id)
            if c.id == chatID { chatID = nil }
            return [.deleteChat(c.id)]
        default: break
        }
        return []
    }

    // MARK: - Backend events

    private mutating func receive(_ e: BackendEvent) -> [Effect] {
        switch e {
        case .loadProgress(let p):
            if let row = loading {
                picker.loading = (row.name + " " + row.level, p)
                quantPicker.loading = picker.loading
            }
        case .modelLoaded(let m):
            applyLoaded(m)
            loading = nil
            picker.loading = nil; quantPicker.loading = nil
            stats.contextUsed = 0
            if mode == .modelPicker || mode == .quantLevel { mode = .chat }
            chat.append(ChatPaneMessage(role: .notice, text: "loaded \(m.row.name) \(m.row.level)"), width: chatWidth)
            setStatus("model loaded", .success)
        case .token(let text, let lp):
            guard isGenerating else { return [] }
            chat.appendToken(text, width: chatWidth)
            replyTokens += 1
            if let lp {
                replyLogProbSum += lp; replyLogProbCount += 1
                chatLogProbSum += lp; chatLogProbCount += 1
                stats.replyPerplexity = exp(-replyLogProbSum / Double(replyLogProbCount))
                stats.conversationPerplexity = exp(-chatLogProbSum / Double(chatLogProbCount))
            }
        case .contextChanged(let m):
            let from = model?.contextSize
            applyLoaded(m)
            stats.contextUsed = 0
            chat.append(ChatPaneMessage(role: .notice, text: "context \(from.map { "\($0) → " } ?? "")\(m.contextSize) tokens; the conversation stays"),
                        width: chatWidth)
            setStatus("context is \(m.contextSize) tokens", .success)
        case .levelSwapped(let m, let seconds, let reused):
            let from = model?.row.level
            applyLoaded(m)
            loading = nil
            picker.loading = nil; quantPicker.loading = nil
            if mode == .modelPicker || mode == .quantLevel { mode = .chat }
            let how = reused ? "already open" : "opened"
            chat.append(ChatPaneMessage(role: .notice, text: "switched \(from.map { "from \($0) " } ?? "")to \(m.row.level) in \(Format.seconds(seconds)) (\(how)); the conversation stays"),
                        width: chatWidth)
            setStatus("\(m.row.level) in \(Format.seconds(seconds))", .success)
        case .prefillProgress(let done, let total):
            if total > 0 { setStatus("\(model?.row.level ?? "") re-reading the conversation: \(done)/\(total) tokens", .normal) }
        case .prefilled(let tokens, let seconds):
            if tokens > 0 {
                chat.append(ChatPaneMessage(role: .notice, text: "\(model?.row.level ?? "the new level") re-read \(tokens) tokens in \(Format.seconds(seconds))"),
                            width: chatWidth)
            }
            setStatus("ready on \(model?.row.level ?? "the new level")", .success)
        case .compareStarted(let column, let level):
            guard var c = comparison, column < c.columns.count else { return [] }
            c.columns[column].level = level
            c.columns[column].isStreaming = true
            comparison = c
        case .compareToken(let column, let text):
            guard comparison != nil, column < comparison!.columns.count else { return [] }
            comparison!.columns[column].text += text
        case .compareColumnFinished(let column, let s):
            guard comparison != nil, column < comparison!.columns.count else { return [] }
            comparison!.columns[column].isStreaming = false
            comparison!.columns[column].stats = s
            if column == 0 { stats.generationTPS = s.tokensPerSecond }
        case .compareQuality(let column, let q):
            guard comparison != nil, column < comparison!.columns.count else { return [] }
            comparison!.columns[column].quality = q
        case .metrics(let m):
            if let v = m.generationTPS { stats.generationTPS = v }
            if let v = m.promptTPS { stats.promptTPS = v }
            if let v = m.timeToFirstToken { stats.timeToFirstToken = v }
            if let v = m.contextUsed { stats.contextUsed = v }
            if let v = m.contextSize { stats.contextSize = v }
            if let v = m.rssBytes { stats.rssBytes = v }
            if let v = m.weightsBytes { stats.weightsBytes = v }
            if let v = m.kvCacheBytes { stats.kvCacheBytes = v }
            if let v = m.threads { stats.threads = v }
        case .finished(let s):
            guard isGenerating else { loading = nil; return [] }
            if comparison?.isRunning == true, !comparing.isEmpty { finishComparison(s); return [] }
            isGenerating = false
            stats.isGenerating = false
            let tps = s.seconds > 0 ? Double(s.tokens) / s.seconds : 0
            // A reply stopped before its first token has no speed: it neither shows 0 tok/s nor
            // drags the rolling average down.
            if s.tokens > 0 {
                stats.generationTPS = tps
                recentReplies.append((s.tokens, s.seconds))
                if recentReplies.count > Self.rollingWindow { recentReplies.removeFirst() }
                let tokens = recentReplies.reduce(0) { $0 + $1.tokens }
                let seconds = recentReplies.reduce(0) { $0 + $1.seconds }
                stats.rollingTPS = seconds > 0 ? Double(tokens) / seconds : nil
            }
            let footer = ReplyFooter(level: s.level ?? model?.row.level ?? "?", tokens: s.tokens, tokensPerSecond: tps,
                                     perplexity: replyLogProbCount > 0 ? stats.replyPerplexity : nil, stopped: s.stopped)
            chat.finishReply(footer, width: chatWidth)
            if s.stopped { setStatus("stopped", .normal) }
        case .failed(let message):
            if comparison?.isRunning == true {
                comparison!.isRunning = false
                for i in comparison!.columns.indices { comparison!.columns[i].isStreaming = false }
                comparing = []
            }
            if isGenerating {
                isGenerating = false
                stats.isGenerating = false
                chat.finishReply(nil, width: chatWidth)
                if let last = chat.messages.last, last.role == .assistant, last.text.isEmpty { chat.messages.removeLast() }
            }
            if loading != nil { loading = nil; picker.loading = nil; quantPicker.loading = nil }
            chat.append(ChatPaneMessage(role: .notice, text: "error: " + message), width: chatWidth)
            setStatus(message, .error)
        }
        return []
    }

    private mutating func applyLoaded(_ m: LoadedModel) {
        model = m
        stats.modelName = m.row.name
        stats.level = m.row.level
        stats.bitsPerWeight = m.row.bitsPerWeight
        stats.fileBytes = m.fileBytes ?? m.row.sizeBytes
        stats.weightsBytes = m.weightsBytes
        stats.threads = m.threads
        stats.contextSize = m.contextSize
        if let i = picker.rows.firstIndex(where: { $0.id == m.row.id }) { picker.rows[i] = m.row }
    }

    /// The comparison ended: the reference column's reply joins the conversation.
    private mutating func finishComparison(_ s: ReplySummary) {
        isGenerating = false
        stats.isGenerating = false
        guard var c = comparison else { return }
        c.isRunning = false
        for i in c.columns.indices { c.columns[i].isStreaming = false }
        comparison = c
        comparing = []
        let ref = c.columns[0]
        if !ref.text.isEmpty {
            var m = ChatPaneMessage(role: .assistant, text: ref.text)
            m.footer = ReplyFooter(level: ref.level, tokens: ref.stats?.tokens ?? s.tokens,
                                   tokensPerSecond: ref.stats?.tokensPerSecond ?? 0, stopped: s.stopped)
            chat.append(m, width: chatWidth)
        }
        let others = c.columns.dropFirst().map { col in
            col.quality.map { "\(col.level) KLD \(Format.fixed($0.meanKLD, 4)), same top \(Format.fixed(100 * $0.sameTop, 0))%" } ?? "\(col.level) not scored"
        }
        chat.append(ChatPaneMessage(role: .notice, text: "compared \(c.columns.map(\.level).joined(separator: " · ")) (reply of \(ref.level) kept): " + others.joined(separator: "; ")),
                    width: chatWidth)
        chat.scroll(.bottom, width: chatWidth, height: chatHeight)
        setStatus(s.stopped ? "comparison stopped" : "comparison done", s.stopped ? .normal : .success)
    }

    private mutating func resetChatPerplexity() {
        chatLogProbSum = 0; chatLogProbCount = 0
        stats.conversationPerplexity = nil; stats.replyPerplexity = nil
    }

    public mutating func setStatus(_ message: String, _ tone: StatusLine.Tone) { status = (message, tone) }

    /// Starts loading `row` as if it had been picked (the default model at start-up).
    public mutating func startLoading(_ row: ModelRow) -> [Effect] {
        loading = row
        picker.loading = (row.name + " " + row.level, 0)
        // The picker rows also feed F3 (levels) and F4 (compare): list them now.
        return [.load(row), .listModels]
    }
}
