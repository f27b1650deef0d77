import Foundation
import LLM

/// What `Engine.swap` did.
public struct SwapResult: Sendable, Equatable {
    /// The level now open.
    public var info: ModelInfo
    /// Wall-clock seconds of the swap (opening the file when it was not open yet).
    public var seconds: Double
    /// True when the level was still open from before: nothing was read from disk.
    public var reused: Bool
}

/// One column of a side-by-side comparison: a level and how to open it.
public struct CompareLevel: Sendable {
    public var path: String
    public var options: LoadOptions
    public init(path: String, options: LoadOptions = LoadOptions()) { self.path = path; self.options = options }
}

/// How a column's reply scores against the reference (highest-precision) column's reply,
/// read by this column's level token by token (teacher forcing).
public struct ReplyQuality: Sendable, Equatable {
    /// Label of the reference level whose reply was scored.
    public var reference: String
    /// Tokens of the reference reply that were scored.
    public var tokens: Int
    /// Perplexity of the reference reply under this level.
    public var perplexity: Double
    /// Mean KL divergence from the reference level's distributions.
    public var meanKLD: Double
    /// Fraction of positions where both levels' most likely tokens agree.
    public var sameTop: Double
    /// Everything llama-perplexity --kl-divergence prints.
    public var statistics: QualityStatistics
}

/// What a comparison streams: for every column in turn `.columnStarted`, its generation
/// events, `.columnFinished`; then a `.quality` for each column but the reference (column 0);
/// then `.finished`.
public enum CompareEvent: Sendable {
    case columnStarted(column: Int, ModelInfo, swapSeconds: Double)
    case generation(column: Int, GenerationEvent)
    /// The column's reply is done; `memory` is the process's, `mappedBytes` the level's
    /// weights plus its KV cache.
    case columnFinished(column: Int, GenerationStats, memory: ProcessMemory, mappedBytes: Int)
    case quality(column: Int, ReplyQuality)
    case finished
}

/// What makes two opened levels the same: the file and the load options that shape the
/// session (the label does not).
struct OpenLevelKey: Hashable, Sendable {
    var path: String
    var contextLength: Int?
    var template: String?
    var maxBatch: Int?

    init(_ path: String, _ options: LoadOptions) {
        self.path = URL(fileURLWithPath: path).standardizedFileURL.path
        contextLength = options.contextLength; template = options.template; maxBatch = options.maxBatch
    }
}

/// The reference column's reply in a comparison, kept to score the other levels against.
private struct ReferenceReply {
    /// The prompt's tokens, as the reference level read them.
    var prompt: [Int32]
    /// The reply's tokens.
    var tokens: [Int32]
    /// The reference level's distribution before each reply token.
    var distributions: [BaseDistribution]
    var label: String
}

/// What one column's generation returns from the compute thread.
private struct ColumnReply {
    var stats: GenerationStats?
    var tokens: [Int32]
    var distributions: [BaseDistribution]
    var prompt: [Int32]
}

extension Engine {

    /// Labels of the levels kept open, least recently used first.
    public var openLevelLabels: [String] { openLevels.map { $0.model.info.label } }

    /// Makes the level at `path` the open model, keeping the previous one open (mapped, with
    /// its KV cache) so swapping back is instant; the least recently used levels beyond
    /// `maxOpenLevels` are closed. The conversation lives in the caller's requests: the next
    /// `generate` (or `prefill`) on the new level reads what its KV cache does not hold yet.
    @discardableResult
    public func swap(to path: String, options: LoadOptions = LoadOptions()) async throws -> SwapResult {
        stop()
        return try await openLevel(path, options: options)
    }

    private func openLevel(_ path: String, options: LoadOptions) async throws -> SwapResult {
        let t0 = Date()
        let key = OpenLevelKey(path, options)
        if let i = openLevels.firstIndex(where: { $0.key == key }) {
            let entry = openLevels.remove(at: i)
            openLevels.append(entry)
            current = entry.model
            return SwapResult(info: entry.model.info, seconds: Date().timeIntervalSince(t0), reused: true)
        }
        let threads = self.threads
        let loaded = try await compute.run { try OpenModel(path: path, options: options, threads: threads) }
        openLevels.append((key, loaded))
        current = loaded
        while openLevels.count > maxOpenLevels { openLevels.removeFirst() }
        return SwapResult(info: loaded.info, seconds: Date().timeIntervalSince(t0), reused: false)
    }

    /// Reads `messages` (rendered without a generation prompt) into the open level's KV
    /// cache, streaming `.promptProgress` and ending with `.finished(.prefilled, stats)`.
    /// After a swap this makes the next reply start at once.
    public func prefill(_ messages: [ChatMessage], templateVariables: [String: JinjaValue] = [:])
        -> AsyncThrowingStream<GenerationEvent, Error> {
        stoppableStream { model, flag, emit in
            try model.prefill(.chat(messages), variables: templateVariables, stop: flag, emit: emit)
        }
    }

    /// Side by side: `request` goes to every level in turn (the first is the reference; pass
    /// the highest-precision level first), each reply streamed as its column's events. Then
    /// each other level reads the reference's reply token by token and is scored against it
    /// (perplexity, mean KL divergence, same top token). The level open before stays open
    /// after. Use a fixed seed (or temperature 0) in `request.sampling` for comparable replies.
    public func compare(_ request: GenerationRequest, levels: [CompareLevel]) -> AsyncThrowingStream<CompareEvent, Error> {
        let (stream, continuation) = AsyncThrowingStream<CompareEvent, Error>.makeStream()
        stop()
        let flag = StopFlag()
        activeStop = flag
        continuation.onTermination = { _ in flag.set() }
        Task {
            do {
                try await self.runCompare(request, levels: levels, flag: flag, continuation: continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        return stream
    }

    private func runCompare(_ request: GenerationRequest, levels: [CompareLevel], flag: StopFlag,
                            continuation: AsyncThrowingStream<CompareEvent, Error>.Continuation) async throws {
        guard !levels.isEmpty else { continuation.yield(.finished); return }
        let previous: (OpenModel, OpenLevelKey?)? = current.map { cur in (cur, openLevels.first { e in e.model === cur }?.key) }
        defer {
            if let (m, key) = previous, let key, openLevels.contains(where: { $0.key == key }) { current = m }
        }
        if levels.count > maxOpenLevels { maxOpenLevels = levels.count + 1 }
        var reference: ReferenceReply?
        for (column, level) in levels.enumerated() {
            if flag.isSet { break }
            let swap = try await swapKeeping(level, flag: flag)
            let model = current!
            continuation.yield(.columnStarted(column: column, swap.info, swapSeconds: swap.seconds))
            let record = column == 0
            let result: ColumnReply = try await compute.run {
                var final: GenerationStats?
                var tokens: [Int32] = []
                var dists: [BaseDistribution] = []
                var prompt: [Int32] = []
                if record {
                    prompt = try model.promptTokens(request.prompt, reserve: model.reserve(for: request)).tokens
                }
                try model.generate(request, stop: flag, observe: record ? { t, logits in
                    tokens.append(t)
                    dists.append(BaseDistribution(logits: logits))
                } : nil) { e in
                    if case .finished(_, let s) = e { final = s }
                    continuation.yield(.generation(column: column, e))
                }
                return ColumnReply(stats: final, tokens: tokens, distributions: dists, prompt: prompt)
            }
            if let stats = result.stats {
                continuation.yield(.columnFinished(column: column, stats, memory: ProcessMemory.current(),
                                                   mappedBytes: model.info.weightBytes + model.info.kvCacheBytes))
            }
            if record { reference = ReferenceReply(prompt: result.prompt, tokens: result.tokens, distributions: result.distributions, label: model.info.label) }
        }
        guard let ref = reference, !ref.tokens.isEmpty else { continuation.yield(.finished); return }
        for (column, level) in levels.enumerated().dropFirst() {
            if flag.isSet { break }
            _ = try await swapKeeping(level, flag: flag)
            let model = current!
            let acc: QualityAccumulator = try await compute.run {
                var acc = QualityAccumulator()
                try model.score(prompt: ref.prompt, continuation: ref.tokens, stop: flag) { j, logits in
                    acc.add(base: ref.distributions[j], other: logits, target: Int(ref.tokens[j]))
                }
                return acc
            }
            guard acc.count == ref.tokens.count else { break }
            let s = acc.statistics
            continuation.yield(.quality(column: column, ReplyQuality(reference: ref.label, tokens: s.count, perplexity: s.ppl,
                                                                   meanKLD: s.meanKLD, sameTop: s.sameTop, statistics: s)))
        }
        continuation.yield(.finished)
    }

    /// `swap` that keeps the comparison's stop flag active.
    private func swapKeeping(_ level: CompareLevel, flag: StopFlag) async throws -> SwapResult {
        let r = try await openLevel(level.path, options: level.options)
        activeStop = flag
        return r
    }
}
