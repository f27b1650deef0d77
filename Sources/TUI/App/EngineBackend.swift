import Catalog
import Engine
import Foundation
import LLM

/// The TUI's `ChatBackend` on the real engine: models from the catalog and the model
/// folders, loading (fetching first when a catalog file is missing), streamed replies with
/// live metrics.
public final class EngineBackend: ChatBackend, @unchecked Sendable {
    public let engine: Engine
    /// The models there are and how to open them.
    public let library: ModelLibrary
    public var catalog: Catalog { library.catalog }
    let threads: Int
    private let lock = NSLock()
    private var _contextLength: Int?
    /// The references this backend opened, by the label it gave the engine, so a reply's
    /// level (`GenerationStats.level`, a label) maps back to its level without parsing.
    private var _opened: [String: ModelReference] = [:]
    /// The context length asked for in the settings (F5), used by every load; nil: the
    /// catalog's `context_length`, else `ContextPolicy`'s.
    public var contextLength: Int? {
        get { lock.withLock { _contextLength } }
        set { lock.withLock { _contextLength = newValue } }
    }

    public init(catalog: Catalog, threads: Int = 2, paths: Paths = Paths(), quantizer: Fetcher.Quantizer? = nil) {
        self.engine = Engine(threads: threads)
        self.library = ModelLibrary(catalog: catalog, paths: paths, quantizer: quantizer)
        self.threads = threads
    }

    /// The picker row of the catalog's default model.
    public func defaultRow() -> ModelRow? {
        library.defaultListing().map(ModelRow.init)
    }

    public func models() async -> [ModelRow] {
        library.listings().map(ModelRow.init)
    }

    public func load(_ model: ModelRow) -> AsyncStream<BackendEvent> {
        AsyncStream { continuation in
            let task = Task {
                do {
                    let target = try self.prepare(model) { continuation.yield(.loadProgress(0.05)) }
                    continuation.yield(.loadProgress(0.5))
                    let info = try await engine.load(path: target.path, options: target.options)
                    continuation.yield(.loadProgress(1))
                    continuation.yield(.modelLoaded(Self.loaded(model, info)))
                    continuation.yield(.metrics(Self.loadMetrics(info)))
                    continuation.yield(.finished(ReplySummary(tokens: 0, seconds: 0)))
                } catch {
                    continuation.yield(.failed("cannot load \(model.id): \(error)"))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    static func loaded(_ model: ModelRow, _ info: ModelInfo) -> LoadedModel {
        var row = model
        row.isPresent = true
        row.sizeBytes = UInt64(info.fileSize)
        row.bitsPerWeight = info.bitsPerWeight
        row.architecture = info.architecture
        row.parameters = ModelLibrary.formatParameters(info.parameterCount)
        return LoadedModel(row: row, contextSize: info.contextLength, threads: info.threads,
                           fileBytes: UInt64(info.fileSize), weightsBytes: UInt64(info.weightBytes))
    }

    static func loadMetrics(_ info: ModelInfo) -> LiveMetrics {
        LiveMetrics(contextUsed: 0, contextSize: info.contextLength, rssBytes: UInt64(ProcessMemory.current().resident),
                    weightsBytes: UInt64(info.weightBytes), kvCacheBytes: UInt64(info.kvCacheBytes), threads: info.threads)
    }

    /// The level that wrote a reply, from the label the engine reports: the level name of a
    /// reference this backend opened, else the label as it is.
    func levelName(_ label: String?) -> String? {
        guard let label else { return nil }
        return lock.withLock { _opened[label] }?.levelName ?? label
    }

    /// The file and load options of a row, fetching (or deriving) the file when missing.
    func prepare(_ row: ModelRow, willFetch: () -> Void = {}) throws -> LoadTarget {
        let target = try library.prepare(row.reference, contextLength: contextLength, willFetch: willFetch)
        lock.withLock { _opened[target.resolved.label] = target.resolved.reference }
        return target
    }

    /// The conversation as the engine reads it: an empty system prompt is left out.
    static func messages(_ turns: [ChatMessage]) -> [ChatMessage] {
        turns.filter { !($0.role == .system && $0.content.isEmpty) }
    }

    public func swapLevel(_ level: ModelRow, conversation: ChatRequest) -> AsyncStream<BackendEvent> {
        let engine = self.engine
        return AsyncStream { continuation in
            let task = Task {
                do {
                    let target = try self.prepare(level)
                    let r = try await engine.swap(to: target.path, options: target.options)
                    continuation.yield(.levelSwapped(Self.loaded(level, r.info), seconds: r.seconds, reused: r.reused))
                    continuation.yield(.metrics(Self.loadMetrics(r.info)))
                    try await Self.prefill(conversation, engine: engine, into: continuation)
                    continuation.yield(.finished(ReplySummary(tokens: 0, seconds: 0)))
                } catch {
                    continuation.yield(.failed("cannot switch to \(level.id): \(error)"))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Reads the conversation into the open model's KV cache (after a swap or a reload), so
    /// the next reply starts at once.
    static func prefill(_ conversation: ChatRequest, engine: Engine,
                        into continuation: AsyncStream<BackendEvent>.Continuation) async throws {
        let messages = Self.messages(conversation.turns)
        guard messages.contains(where: { $0.role != .system }) else { return }
        for try await e in await engine.prefill(messages) {
            switch e {
            case .promptProgress(let done, let total): continuation.yield(.prefillProgress(done: done, total: total))
            case .finished(_, let s):
                continuation.yield(.prefilled(tokens: s.promptTokens, seconds: s.promptSeconds))
                continuation.yield(.metrics(LiveMetrics(promptTPS: s.promptTokens > 0 ? s.promptTokensPerSecond : nil,
                                                        contextUsed: s.contextUsed)))
            default: break
            }
        }
    }

    public func applySettings(_ settings: ChatSettings, model: ModelRow?, conversation: ChatRequest) -> AsyncStream<BackendEvent> {
        contextLength = settings.contextLength
        let engine = self.engine
        return AsyncStream { continuation in
            let task = Task {
                guard let model, let info = await engine.info else { continuation.finish(); return }
                do {
                    let target = try self.prepare(model)
                    guard ContextPolicy.contextLength(asked: target.options.contextLength, trained: info.trainedContextLength)
                            != info.contextLength else {
                        continuation.finish(); return
                    }
                    let reloaded = try await engine.load(path: target.path, options: target.options)
                    continuation.yield(.contextChanged(Self.loaded(model, reloaded)))
                    continuation.yield(.metrics(Self.loadMetrics(reloaded)))
                    try await Self.prefill(conversation, engine: engine, into: continuation)
                    continuation.yield(.finished(ReplySummary(tokens: 0, seconds: 0)))
                } catch {
                    continuation.yield(.failed("cannot change the context length: \(error)"))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    public func compare(_ request: ChatRequest, levels: [ModelRow]) -> AsyncStream<BackendEvent> {
        let messages = Self.messages(request.turns)
        let params = request.settings.sampling
        let engine = self.engine
        return AsyncStream { continuation in
            let task = Task {
                do {
                    let columns = try levels.map { row in
                        let target = try self.prepare(row)
                        return CompareLevel(path: target.path, options: target.options)
                    }
                    let stream = await engine.compare(GenerationRequest(prompt: .chat(messages), sampling: params, maxTokens: 256),
                                                      levels: columns)
                    var reference = ReplySummary(tokens: 0, seconds: 0)
                    var stopped = false
                    for try await e in stream {
                        switch e {
                        case .columnStarted(let c, let info, _):
                            continuation.yield(.compareStarted(column: c, level: self.levelName(info.label) ?? levels[c].level))
                        case .generation(let c, .token(let t)):
                            continuation.yield(.compareToken(column: c, t.text))
                        case .generation(_, .finished(let reason, _)):
                            if reason == .stopped { stopped = true }
                        case .generation:
                            break
                        case .columnFinished(let c, let s, let memory, let mapped):
                            if c == 0 { reference = ReplySummary(tokens: s.generatedTokens, seconds: s.generationSeconds, level: self.levelName(s.level)) }
                            continuation.yield(.compareColumnFinished(column: c, CompareColumnStats(
                                tokens: s.generatedTokens, tokensPerSecond: s.generationTokensPerSecond,
                                mappedBytes: UInt64(mapped), residentBytes: UInt64(memory.resident))))
                        case .quality(let c, let q):
                            continuation.yield(.compareQuality(column: c, CompareQuality(
                                reference: q.reference, perplexity: q.perplexity, meanKLD: q.meanKLD, sameTop: q.sameTop)))
                        case .finished:
                            break
                        }
                    }
                    reference.stopped = stopped
                    continuation.yield(.finished(reference))
                } catch {
                    continuation.yield(.failed("compare failed: \(error)"))
                }
                continuation.finish()
            }
            // Cancelling the task drops the engine's stream, which stops this job alone; a
            // general `engine.stop()` here could land after the next reply started and stop it.
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    public func generate(_ request: ChatRequest) -> AsyncStream<BackendEvent> {
        let messages = Self.messages(request.turns)
        let params = request.settings.sampling
        let engine = self.engine
        return AsyncStream { continuation in
            let task = Task {
                let info = await engine.info
                let stream = await engine.generate(GenerationRequest(prompt: .chat(messages), sampling: params))
                func metrics(_ s: GenerationStats) -> LiveMetrics {
                    LiveMetrics(generationTPS: s.generatedTokens > 1 ? s.generationTokensPerSecond : nil,
                                promptTPS: s.promptTokens > 0 ? s.promptTokensPerSecond : nil,
                                timeToFirstToken: s.generatedTokens > 0 ? s.timeToFirstToken : nil,
                                contextUsed: s.contextUsed, contextSize: s.contextSize,
                                rssBytes: UInt64(ProcessMemory.current().resident),
                                weightsBytes: info.map { UInt64($0.weightBytes) },
                                kvCacheBytes: info.map { UInt64($0.kvCacheBytes) }, threads: info?.threads)
                }
                do {
                    for try await event in stream {
                        switch event {
                        case .token(let t):
                            continuation.yield(.token(t.text, logProb: t.id >= 0 ? Double(t.logProbability) : nil))
                        case .stats(let s):
                            continuation.yield(.metrics(metrics(s)))
                        case .promptProgress, .contextTrimmed:
                            break
                        case .finished(let reason, let s):
                            continuation.yield(.metrics(metrics(s)))
                            continuation.yield(.finished(ReplySummary(tokens: s.generatedTokens, seconds: s.generationSeconds,
                                                                      stopped: reason == .stopped, level: self.levelName(s.level))))
                        }
                    }
                } catch {
                    continuation.yield(.failed("\(error)"))
                }
                continuation.finish()
            }
            // Cancelling the task drops the engine's stream, which stops this job alone; a
            // general `engine.stop()` here could land after the next reply started and stop it.
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    public func stop() async { await engine.stop() }
}
