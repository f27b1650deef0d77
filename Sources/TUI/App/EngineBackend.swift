import Catalog
import Engine
import Foundation
import GGUF
import LLM

/// The TUI's `ChatBackend` on the real engine: models from the catalog and the model
/// folders, loading (fetching first when a catalog file is missing), streamed replies with
/// live metrics.
public final class EngineBackend: ChatBackend, @unchecked Sendable {
    public let engine: Engine
    public let catalog: Catalog
    let paths: Paths
    let threads: Int
    /// Makes levels with `quantize_from` when they are missing (the executable injects it).
    let quantizer: Fetcher.Quantizer?
    private let lock = NSLock()
    private var _contextLength: Int?
    /// The context length asked for in the settings (F5), used by every load; nil: the
    /// catalog's `context_length`, else the model's (capped at 4096).
    public var contextLength: Int? {
        get { lock.withLock { _contextLength } }
        set { lock.withLock { _contextLength = newValue } }
    }

    public init(catalog: Catalog, threads: Int = 2, paths: Paths = Paths(), quantizer: Fetcher.Quantizer? = nil) {
        self.engine = Engine(threads: threads)
        self.catalog = catalog
        self.paths = paths
        self.threads = threads
        self.quantizer = quantizer
    }

    /// The picker row of the catalog's default model.
    public func defaultRow() -> ModelRow? {
        guard let m = catalog.model(catalog.defaultModel), let l = m.preferredLevel else { return nil }
        return row(model: m, level: l)
    }

    func row(model m: ModelEntry, level l: LevelEntry) -> ModelRow {
        let path = l.path(in: paths.modelsDirectory)
        let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? UInt64
        var arch = "?", params = "?", bpw: Double?
        if size != nil, let f = try? GGUFFile(path: path, requireSupportedTypes: false) {
            arch = f.architecture ?? "?"
            params = Self.formatParameters(f.parameterCount)
            bpw = f.parameterCount > 0 ? Double(f.tensorBytes * 8) / Double(f.parameterCount) : nil
        }
        return ModelRow(id: "\(m.id):\(l.name)", name: m.name, architecture: arch, parameters: params,
                        level: l.name, sizeBytes: size, bitsPerWeight: bpw, isPresent: size != nil)
    }

    static func formatParameters(_ n: Int) -> String {
        n >= 1_000_000_000 ? String(format: "%.1fB", Double(n) / 1e9) : String(format: "%.0fM", Double(n) / 1e6)
    }

    public func models() async -> [ModelRow] {
        var rows: [ModelRow] = []
        var known = Set<String>()
        for m in catalog.models {
            for l in m.levels {
                rows.append(row(model: m, level: l))
                known.insert(URL(fileURLWithPath: l.path(in: paths.modelsDirectory)).standardizedFileURL.path)
            }
        }
        // Loose GGUF files in the model folders (and the Hugging Face cache, when present).
        for dir in [paths.modelsDirectory, paths.huggingFaceHub] {
            guard let e = FileManager.default.enumerator(atPath: dir) else { continue }
            while let rel = e.nextObject() as? String {
                guard rel.hasSuffix(".gguf") else { continue }
                let path = URL(fileURLWithPath: dir + "/" + rel).standardizedFileURL.path
                guard !known.contains(path), let f = try? GGUFFile(path: path, requireSupportedTypes: false) else { continue }
                known.insert(path)
                let summary = GGUFSummary(f)
                rows.append(ModelRow(id: path, name: (rel as NSString).lastPathComponent, architecture: summary.architecture ?? "?",
                                     parameters: Self.formatParameters(summary.parameterCount), level: summary.fileTypeName ?? "?",
                                     sizeBytes: UInt64(f.fileSize), bitsPerWeight: summary.bitsPerWeight, isPresent: true))
            }
        }
        return rows
    }

    public func load(_ model: ModelRow) -> AsyncStream<BackendEvent> {
        AsyncStream { continuation in
            let task = Task {
                do {
                    let resolved = try catalog.resolve(model.id, paths: paths)
                    if let level = resolved.level, !FileManager.default.fileExists(atPath: resolved.path) {
                        try checkConsent(resolved.label)
                        continuation.yield(.loadProgress(0.05))
                        _ = try Fetcher(paths: paths, quantizer: quantizer).fetch(level, of: resolved.model)
                    }
                    continuation.yield(.loadProgress(0.5))
                    let info = try await engine.load(path: resolved.path, options: LoadOptions(
                        contextLength: contextLength ?? resolved.model?.contextLength, template: resolved.model?.template,
                        label: resolved.label))
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
        row.parameters = Self.formatParameters(info.parameterCount)
        return LoadedModel(row: row, contextSize: info.contextLength, threads: info.threads,
                           fileBytes: UInt64(info.fileSize), weightsBytes: UInt64(info.weightBytes))
    }

    static func loadMetrics(_ info: ModelInfo) -> LiveMetrics {
        LiveMetrics(contextUsed: 0, contextSize: info.contextLength, rssBytes: UInt64(ProcessMemory.current().resident),
                    weightsBytes: UInt64(info.weightBytes), kvCacheBytes: UInt64(info.kvCacheBytes), threads: info.threads)
    }

    /// `Q8_0` of `smollm2-135m-instruct:Q8_0`; file labels as they are.
    static func levelName(_ label: String?) -> String? {
        guard let label else { return nil }
        if label.hasSuffix(".gguf") || label.contains("/") { return label }
        return label.split(separator: ":").last.map(String.init) ?? label
    }

    /// The file and load options of a row, fetching (or deriving) the file when missing.
    func prepare(_ row: ModelRow) throws -> (path: String, options: LoadOptions) {
        let resolved = try catalog.resolve(row.id, paths: paths)
        if let level = resolved.level, !FileManager.default.fileExists(atPath: resolved.path) {
            try checkConsent(resolved.label)
            _ = try Fetcher(paths: paths, quantizer: quantizer).fetch(level, of: resolved.model)
        }
        return (resolved.path, LoadOptions(contextLength: contextLength ?? resolved.model?.contextLength, template: resolved.model?.template,
                                           label: resolved.label))
    }

    /// A catalog found by itself in the current folder fetches nothing without the user's say.
    func checkConsent(_ label: String) throws(FetchError) {
        guard catalog.needsConsentToFetch else { return }
        throw FetchError("\(label) is not downloaded, and \(catalog.path) was found in the current folder, not given: quantty downloads nothing a folder's catalog names without your say. Run `quantty fetch \(label)` (or `quantty --config \(catalog.path)`) if you trust it")
    }

    static func messages(_ turns: [ChatTurn]) -> [LLM.ChatMessage] {
        turns.compactMap { t in
            switch t.role {
            case .system: return t.text.isEmpty ? nil : .system(t.text)
            case .user: return .user(t.text)
            case .assistant: return .assistant(t.text)
            }
        }
    }

    public func swapLevel(_ level: ModelRow, conversation: ChatRequest) -> AsyncStream<BackendEvent> {
        let engine = self.engine
        return AsyncStream { continuation in
            let task = Task {
                do {
                    let (path, options) = try self.prepare(level)
                    let r = try await engine.swap(to: path, options: options)
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

    /// The context the engine gives a model trained on `trained` tokens when asked for `asked`.
    static func effectiveContext(asked: Int?, trained: Int) -> Int {
        min(asked ?? min(trained, 4096), trained)
    }

    public func applySettings(_ settings: ChatSettings, model: ModelRow?, conversation: ChatRequest) -> AsyncStream<BackendEvent> {
        contextLength = settings.contextLength
        let engine = self.engine
        return AsyncStream { continuation in
            let task = Task {
                guard let model, let info = await engine.info else { continuation.finish(); return }
                do {
                    let (path, options) = try self.prepare(model)
                    guard Self.effectiveContext(asked: options.contextLength, trained: info.trainedContextLength) != info.contextLength else {
                        continuation.finish(); return
                    }
                    let reloaded = try await engine.load(path: path, options: options)
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
        let params = Self.sampling(request.settings)
        let engine = self.engine
        return AsyncStream { continuation in
            let task = Task {
                do {
                    let columns = try levels.map { row in
                        let (path, options) = try self.prepare(row)
                        return CompareLevel(path: path, options: options)
                    }
                    let stream = await engine.compare(GenerationRequest(prompt: .chat(messages), sampling: params, maxTokens: 256),
                                                      levels: columns)
                    var reference = ReplySummary(tokens: 0, seconds: 0)
                    var stopped = false
                    for try await e in stream {
                        switch e {
                        case .columnStarted(let c, let info, _):
                            continuation.yield(.compareStarted(column: c, level: Self.levelName(info.label) ?? levels[c].level))
                        case .generation(let c, .token(let t)):
                            continuation.yield(.compareToken(column: c, t.text))
                        case .generation(_, .finished(let reason, _)):
                            if reason == .stopped { stopped = true }
                        case .generation:
                            break
                        case .columnFinished(let c, let s, let memory, let mapped):
                            if c == 0 { reference = ReplySummary(tokens: s.generatedTokens, seconds: s.generationSeconds, level: Self.levelName(s.level)) }
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

    static func sampling(_ s: ChatSettings) -> SamplingParameters {
        var p = SamplingParameters()
        p.temperature = Float(s.temperature)
        p.topK = s.topK
        p.topP = Float(s.topP)
        p.minP = Float(s.minP)
        p.repeatPenalty = Float(s.repeatPenalty)
        p.seed = s.seed
        return p
    }

    public func generate(_ request: ChatRequest) -> AsyncStream<BackendEvent> {
        let messages: [LLM.ChatMessage] = request.turns.compactMap { t in
            switch t.role {
            case .system: return t.text.isEmpty ? nil : .system(t.text)
            case .user: return .user(t.text)
            case .assistant: return .assistant(t.text)
            }
        }
        let params = Self.sampling(request.settings)
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
                                                                      stopped: reason == .stopped, level: Self.levelName(s.level))))
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
