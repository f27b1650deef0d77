import Foundation
import GGUF
import LLM

/// One open model with its session and conversation state. Used only on the engine's
/// compute thread.
final class OpenModel: @unchecked Sendable {
    let model: Model
    let tokenizer: Tokenizer
    let template: ChatTemplate
    let session: InferenceSession
    let info: ModelInfo
    /// Ids that end a reply: EOS/EOT from the vocabulary and the template's end-of-turn tokens.
    let stopTokens: Set<Int32>
    /// The tokens whose keys and values are in the KV cache, in order.
    private(set) var cachedTokens: [Int32] = []
    /// Where the last trimmed conversation started: how many messages were left out and the
    /// first one kept. Later turns keep that cut while it fits, so their prompts extend the
    /// cached one and only the new messages are read.
    private var trimAnchor: (dropped: Int, first: ChatMessage)?

    init(path: String, options: LoadOptions, threads: Int) throws {
        let t0 = Date()
        let file = try GGUFFile(path: path)
        model = try Model(file: file)
        tokenizer = try Tokenizer(gguf: file)
        var template = try ChatTemplate(file: file, override: options.template)
        template.tokenizerAddsBOS = tokenizer.vocabulary.addBOS
        self.template = template
        let c = model.configuration
        let ctx = ContextPolicy.contextLength(asked: options.contextLength, trained: c.contextLength)
        try Self.checkMemory(c, contextLength: ctx, maxBatch: options.maxBatch ?? 256)
        // Building a 262k-token vocabulary leaves ~17 MiB of freed heap behind; hand it back.
        ProcessMemory.releaseFreedHeap()
        session = InferenceSession(model: model, contextLength: ctx, threads: threads, maxBatch: options.maxBatch ?? 256)
        var stops = tokenizer.vocabulary.endOfGeneration
        for s in template.endOfTurnStrings {
            let ids = tokenizer.encode(s, addSpecial: false, parseSpecial: true)
            if ids.count == 1 { stops.insert(ids[0]) }
        }
        stopTokens = stops
        let params = file.parameterCount
        info = ModelInfo(
            label: options.label ?? (path as NSString).lastPathComponent,
            path: path, architecture: c.architecture,
            name: file.metadata["general.name"]?.stringValue,
            parameterCount: params, fileSize: file.fileSize, weightBytes: file.tensorBytes,
            bitsPerWeight: params > 0 ? Double(file.tensorBytes * 8) / Double(params) : 0,
            contextLength: session.cache.contextLength, trainedContextLength: c.contextLength,
            kvCacheBytes: session.cache.byteCount, vocabularySize: c.vocabularySize, threads: session.threadCount,
            loadSeconds: Date().timeIntervalSince(t0), template: template.family.rawValue,
            templateWarning: template.warning, defaultSystemPrompt: template.defaultSystemPrompt)
    }

    /// Refuses a context whose KV cache (F16) could not fit in this machine's memory, before
    /// trying to allocate it (a file may claim billions of positions).
    static func checkMemory(_ c: ModelConfiguration, contextLength ctx: Int, maxBatch: Int) throws(EngineError) {
        let bytes = KVCache.expectedByteCount(configuration: c, contextLength: ctx, maxBatch: maxBatch)
        let physical = Double(sysconf(Int32(_SC_PHYS_PAGES))) * Double(sysconf(Int32(_SC_PAGESIZE)))
        if physical > 0, bytes > physical {
            throw .contextTooLarge(tokens: ctx, kvCacheBytes: bytes, memoryBytes: physical)
        }
    }

    func resetContext() {
        trimAnchor = nil
        session.reset()
        cachedTokens.removeAll(keepingCapacity: true)
    }

    /// Tokens of `prompt`, trimmed to leave `reserve` positions for the reply: a chat keeps
    /// its system message and drops its oldest turns; other prompts that do not fit are errors.
    func promptTokens(_ prompt: Prompt, reserve: Int, generationPrompt: Bool = true,
                      variables: [String: JinjaValue] = [:]) throws -> (tokens: [Int32], dropped: Int) {
        let budget = session.cache.contextLength - reserve
        switch prompt {
        case .text(let s, let addSpecial, let parseSpecial):
            let ids = tokenizer.encode(s, addSpecial: addSpecial, parseSpecial: parseSpecial)
            guard !ids.isEmpty else { throw EngineError.emptyPrompt }
            guard ids.count <= budget else { throw EngineError.promptTooLong(tokens: ids.count, context: session.cache.contextLength) }
            return (ids, 0)
        case .chat(let messages):
            guard !messages.isEmpty else { throw EngineError.emptyPrompt }
            // The conversations the oldest-first trim goes through: each drops the oldest
            // message after the system prompt (and an assistant message left leading), keeping
            // at least the last message. Each is `pinned` (a system message) + messages[start...].
            var candidates: [(pinned: Int?, start: Int, dropped: Int)] = [(nil, 0, 0)]
            var pinned: Int?, start = 0, dropped = 0
            while true {
                if pinned == nil, messages[start].role == .system { pinned = start; start += 1 }
                guard messages.count - start > 1 else { break }
                start += 1; dropped += 1
                // A conversation should not start with the assistant's half of a turn.
                if messages.count - start > 1, messages[start].role == .assistant { start += 1; dropped += 1 }
                candidates.append((pinned, start, dropped))
            }
            func tokens(_ i: Int) -> [Int32] {
                let c = candidates[i]
                let kept = (c.pinned.map { [messages[$0]] } ?? []) + messages[c.start...]
                let text = template.render(kept, addGenerationPrompt: generationPrompt, variables: variables)
                return tokenizer.encode(text, addSpecial: true, parseSpecial: true)
            }
            // Fewer messages never take more tokens, so the first that fits is found by
            // bisection: a few tokenizations even for a conversation of thousands of messages.
            let whole = tokens(0)
            if whole.count <= budget { return (whole, 0) }
            let last = candidates.count - 1
            let lastTokens = tokens(last)
            guard lastTokens.count <= budget else {
                throw EngineError.promptTooLong(tokens: lastTokens.count, context: session.cache.contextLength)
            }
            /// The first candidate in `lo + 1 ... last` with at most `limit` tokens, given that
            /// candidate `lo` has more and `last` has at most `limit`.
            func firstFitting(after lo: Int, _ limit: Int, lastIds: [Int32]) -> (Int, [Int32]) {
                var lo = lo, hi = last, fitting = lastIds
                while hi - lo > 1 {
                    let mid = (lo + hi) / 2
                    let ids = tokens(mid)
                    if ids.count <= limit { hi = mid; fitting = ids } else { lo = mid }
                }
                return (hi, fitting)
            }
            let (least, leastIds) = firstFitting(after: 0, budget, lastIds: lastTokens)
            // Keep the previous cut while it still fits: the prompt then extends the cache.
            if let a = trimAnchor, let j = candidates.firstIndex(where: { $0.dropped == a.dropped }), j >= least,
               messages[candidates[j].start] == a.first {
                let ids = j == least ? leastIds : tokens(j)
                if ids.count <= budget { return (ids, candidates[j].dropped) }
            }
            // A new cut: leave a third of the budget free, so the next turns fit after it
            // (llama.cpp's context shift frees half) instead of re-reading everything each turn.
            var choice = (least, leastIds)
            let target = budget - budget / 3
            if leastIds.count > target, lastTokens.count <= target {
                choice = firstFitting(after: least, target, lastIds: lastTokens)
            }
            trimAnchor = (candidates[choice.0].dropped, messages[candidates[choice.0].start])
            return (choice.1, candidates[choice.0].dropped)
        }
    }

    /// Runs one generation, calling `emit` for every event. Reuses the cached prefix of the
    /// prompt, so a follow-up turn reads only its new tokens.
    /// Positions kept free for the reply of `request`.
    func reserve(for request: GenerationRequest) -> Int {
        let ctx = session.cache.contextLength
        return max(1, min(request.maxTokens ?? max(ctx / 4, 16), ctx / 2))
    }

    /// Keeps the longest cached prefix of `tokens` (at most `limit` tokens) and drops the
    /// rest of the cache; returns how many tokens are kept.
    private func reuseCachedPrefix(of tokens: [Int32], limit: Int) -> Int {
        var keep = zip(cachedTokens, tokens).prefix { $0 == $1 }.count
        keep = max(0, min(keep, limit))
        if keep < session.position {
            do { try session.evaluate([], startPosition: keep) { _, _ in } } catch {
                resetContext(); keep = 0
            }
        }
        cachedTokens.removeSubrange(min(keep, cachedTokens.count)...)
        return keep
    }

    /// Evaluates `prompt` after its cached prefix, in chunks so progress shows and a stop takes
    /// effect between them; the last token's logits land in `logits`. Returns the tokens read.
    private func readPrompt(_ prompt: [Int32], keep: Int, stop: StopFlag, logits: UnsafeMutableBufferPointer<Float>?,
                            emit: (GenerationEvent) -> Void) throws -> Int {
        let pending = Array(prompt[keep...])
        let chunk = 64
        var done = 0
        while done < pending.count {
            if stop.isSet { break }
            let n = min(chunk, pending.count - done)
            let part = Array(pending[done ..< done + n])
            try session.evaluate(part, outputs: .last) { _, l in if let logits { _ = logits.initialize(from: l) } }
            cachedTokens.append(contentsOf: part)
            done += n
            emit(.promptProgress(done: done, total: pending.count))
        }
        return done
    }

    /// Reads a conversation into the KV cache without generating (after a level swap), so
    /// the next reply only reads its new tokens. Ends with `.finished(.prefilled, stats)`.
    func prefill(_ prompt: Prompt, variables: [String: JinjaValue] = [:], stop: StopFlag, emit: (GenerationEvent) -> Void) throws {
        let start = Date()
        var stats = GenerationStats()
        stats.contextSize = session.cache.contextLength
        stats.level = info.label
        let tokens: [Int32], dropped: Int
        do {
            (tokens, dropped) = try promptTokens(prompt, reserve: reserve(for: GenerationRequest(prompt: prompt)),
                                                 generationPrompt: false, variables: variables)
        } catch EngineError.promptTooLong, EngineError.emptyPrompt {
            // Nothing worth reading ahead: the next reply trims the conversation as it needs.
            stats.contextUsed = session.position
            emit(.finished(.prefilled, stats))
            return
        }
        if dropped > 0 { emit(.contextTrimmed(droppedMessages: dropped)) }
        let keep = reuseCachedPrefix(of: tokens, limit: tokens.count)
        stats.promptTokens = try readPrompt(tokens, keep: keep, stop: stop, logits: nil, emit: emit)
        stats.promptSeconds = Date().timeIntervalSince(start)
        stats.contextUsed = session.position
        emit(.finished(stop.isSet ? .stopped : .prefilled, stats))
    }

    /// Teacher forcing: the logits this model gives for each token of `continuation` after
    /// `prompt` (reusing the cached prefix), passed to `row(j, logits)` for continuation[j].
    func score(prompt: [Int32], continuation: [Int32], stop: StopFlag,
               row: (Int, UnsafeBufferPointer<Float>) throws -> Void) throws {
        guard !continuation.isEmpty, !prompt.isEmpty else { return }
        let all = prompt + continuation
        let keep = reuseCachedPrefix(of: all, limit: prompt.count - 1)
        let input = Array(all[keep ..< all.count - 1])
        let firstOutput = prompt.count - 1 - keep
        var done = 0
        let chunk = 64
        while done < input.count {
            if stop.isSet { return }
            let n = min(chunk, input.count - done)
            let part = Array(input[done ..< done + n])
            let base = done
            try session.evaluate(part, outputs: .from(max(0, firstOutput - done))) { i, l in
                let j = base + i - firstOutput
                if j >= 0 { try row(j, l) }
            }
            cachedTokens.append(contentsOf: part)
            done += n
        }
    }

    func generate(_ request: GenerationRequest, stop: StopFlag, emit: (GenerationEvent) -> Void) throws {
        try generate(request, stop: stop, observe: nil, emit: emit)
    }

    /// `observe(token, logits)` sees the raw logits every emitted token was sampled from.
    func generate(_ request: GenerationRequest, stop: StopFlag, observe: ((Int32, UnsafeBufferPointer<Float>) -> Void)?,
                  emit: (GenerationEvent) -> Void) throws {
        let start = Date()
        let ctx = session.cache.contextLength
        var (prompt, dropped) = try promptTokens(request.prompt, reserve: reserve(for: request),
                                                 variables: request.templateVariables)
        if dropped > 0 { emit(.contextTrimmed(droppedMessages: dropped)) }

        var sampler = try Sampler(parameters: request.sampling, vocabularySize: model.configuration.vocabularySize)
        sampler.accept(contentsOf: prompt)

        // Reuse the longest cached prefix; always evaluate at least the last prompt token.
        let keep = reuseCachedPrefix(of: prompt, limit: prompt.count - 1)

        var stats = GenerationStats()
        stats.contextSize = ctx
        stats.level = info.label
        let logits = UnsafeMutableBufferPointer<Float>.allocate(capacity: model.configuration.vocabularySize)
        defer { logits.deallocate() }

        let done = try readPrompt(prompt, keep: keep, stop: stop, logits: logits, emit: emit)
        stats.promptTokens = done
        stats.promptSeconds = Date().timeIntervalSince(start)
        stats.contextUsed = session.position
        prompt.removeAll()

        var decoder = tokenizer.makeStreamingDecoder()
        var firstTokenAt: Date?
        var lastStats = Date()
        var reason = FinishReason.stopped
        let limit = request.maxTokens ?? Int.max
        while !stop.isSet {
            if stats.generatedTokens >= limit { reason = .length; break }
            let (token, logProb) = sampler.sampleWithLogProbability(UnsafeBufferPointer(logits))
            let now = Date()
            if firstTokenAt == nil { firstTokenAt = now; stats.timeToFirstToken = now.timeIntervalSince(start) }
            if stopTokens.contains(token) { reason = .endOfTurn; break }
            stats.generatedTokens += 1
            stats.sumLogProbability += Double(logProb)
            stats.generationSeconds = now.timeIntervalSince(firstTokenAt!)
            observe?(token, UnsafeBufferPointer(logits))
            emit(.token(TokenEvent(id: token, text: decoder.feed(token), logProbability: logProb)))
            if session.position >= ctx { reason = .length; break }
            try session.evaluate([token], outputs: .last) { _, l in _ = logits.initialize(from: l) }
            cachedTokens.append(token)
            stats.contextUsed = session.position
            if now.timeIntervalSince(lastStats) >= 0.2 {
                lastStats = now
                emit(.stats(stats))
            }
        }
        let tail = decoder.flush()
        if !tail.isEmpty { emit(.token(TokenEvent(id: -1, text: tail, logProbability: 0))) }
        stats.contextUsed = session.position
        emit(.finished(reason, stats))
    }
}
