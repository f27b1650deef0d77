import Foundation
import GGUF
import LLM

/// How to open a model.
public struct LoadOptions: Sendable {
    /// Positions to allocate in the KV cache (default: the model's, at most 4096).
    public var contextLength: Int?
    /// Chat template family to force (`chatml`, `gemma`, ...).
    public var template: String?
    /// A name for messages and stats (`id:LEVEL`); default: the file name.
    public var label: String?
    /// Tokens per forward micro-batch (default 256). Below 16, every block-quantized matmul
    /// quantizes its activations to the weight's dot-product format, as ggml's CPU backend
    /// always does; larger batches dequantize weights and multiply in float.
    public var maxBatch: Int?
    public init(contextLength: Int? = nil, template: String? = nil, label: String? = nil, maxBatch: Int? = nil) {
        self.contextLength = contextLength; self.template = template; self.label = label; self.maxBatch = maxBatch
    }
}

/// What the engine knows about the open model.
public struct ModelInfo: Sendable, Codable, Equatable {
    public var label: String
    public var path: String
    public var architecture: String
    public var name: String?
    public var parameterCount: Int
    public var fileSize: Int
    /// Bytes of mapped tensor data.
    public var weightBytes: Int
    public var bitsPerWeight: Double
    public var contextLength: Int
    public var trainedContextLength: Int
    public var kvCacheBytes: Int
    public var vocabularySize: Int
    public var threads: Int
    public var loadSeconds: Double
    public var template: String
    public var templateWarning: String?
    public var defaultSystemPrompt: String?
}

/// What to generate from.
public enum Prompt: Sendable {
    /// A conversation, written out with the model's chat template and a generation prompt.
    case chat([ChatMessage])
    /// Text as is (`addSpecial`: BOS as the model says; `parseSpecial`: control tokens in the text).
    case text(String, addSpecial: Bool = true, parseSpecial: Bool = true)
}

public struct GenerationRequest: Sendable {
    public var prompt: Prompt
    public var sampling: SamplingParameters
    /// Most tokens to generate; nil: until the model ends its turn or the context is full.
    public var maxTokens: Int?
    /// Extra variables for the model's chat template (`enable_thinking`: false...).
    public var templateVariables: [String: JinjaValue]
    public init(prompt: Prompt, sampling: SamplingParameters = SamplingParameters(), maxTokens: Int? = nil,
                templateVariables: [String: JinjaValue] = [:]) {
        self.prompt = prompt; self.sampling = sampling; self.maxTokens = maxTokens
        self.templateVariables = templateVariables
    }
}

/// Failures the engine reports (model and tokenizer errors pass through with their own words).
public enum EngineError: Error, CustomStringConvertible, Equatable {
    case noModel
    case promptTooLong(tokens: Int, context: Int)
    case emptyPrompt
    /// The KV cache for `tokens` positions would not fit in memory.
    case contextTooLarge(tokens: Int, kvCacheBytes: Double, memoryBytes: Double)

    public var description: String {
        switch self {
        case .noModel: return "no model is loaded"
        case .promptTooLong(let n, let ctx):
            return "the prompt is \(n) tokens, more than the context of \(ctx) tokens leaves room for (raise the context length or shorten the prompt)"
        case .emptyPrompt: return "the prompt is empty"
        case .contextTooLarge(let n, let kv, let mem):
            return "a context of \(n) tokens needs a KV cache of " + String(format: "%.1f GiB, more than this machine's %.1f GiB", kv / 1_073_741_824, mem / 1_073_741_824)
                + " of memory: lower the context length (--ctx-size, or context_length in models.toml)"
        }
    }
}

/// The inference engine: one open model, its conversation state (KV cache), and generation
/// streamed as events. Compute runs on the engine's own thread and worker pool, never on
/// Swift's cooperative pool; the actor only coordinates.
public actor Engine {
    let compute = ComputeThread(name: "quantty.engine")
    let threads: Int
    var current: OpenModel?
    var activeStop: StopFlag?
    /// Levels already opened (mapped, with their KV cache and conversation), most recently
    /// used last; `swap` returns to one of them without reading its file again.
    var openLevels: [(key: OpenLevelKey, model: OpenModel)] = []
    /// How many levels `swap` keeps open (the current one included).
    public var maxOpenLevels: Int

    public init(threads: Int = 2, maxOpenLevels: Int = 4) {
        self.threads = max(1, threads)
        self.maxOpenLevels = max(1, maxOpenLevels)
    }

    /// The open model, if any.
    public var info: ModelInfo? { current?.info }

    /// Opens `path` (memory-mapped), replacing the open model and forgetting every level kept
    /// open by `swap`.
    @discardableResult
    public func load(path: String, options: LoadOptions = LoadOptions()) async throws -> ModelInfo {
        stop()
        let threads = self.threads
        let loaded = try await compute.run { try OpenModel(path: path, options: options, threads: threads) }
        current = loaded
        openLevels = [(OpenLevelKey(path, options), loaded)]
        return loaded.info
    }

    /// Closes the open model (and every level kept open).
    public func unload() { stop(); current = nil; openLevels = [] }

    /// Token ids of `text` with the open model's tokenizer.
    public func tokenize(_ text: String, addSpecial: Bool = true, parseSpecial: Bool = true) throws -> [Int32] {
        guard let m = current else { throw EngineError.noModel }
        return m.tokenizer.encode(text, addSpecial: addSpecial, parseSpecial: parseSpecial)
    }

    /// Text of one token, as the model writes it.
    public func piece(_ id: Int32) throws -> String {
        guard let m = current else { throw EngineError.noModel }
        return m.tokenizer.pieceText(for: id)
    }

    /// Starts generating. The stream ends after `.finished`, or with an error; dropping it
    /// (or calling `stop()`) stops generation within one token.
    public func generate(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, Error> {
        stoppableStream { model, flag, emit in try model.generate(request, stop: flag, emit: emit) }
    }

    /// A stream of `work`'s events on the compute thread for the open model: it replaces the
    /// running job (which stops within a token), and dropping the stream or `stop()` stops it.
    func stoppableStream(_ work: @escaping @Sendable (OpenModel, StopFlag, (GenerationEvent) -> Void) throws -> Void)
        -> AsyncThrowingStream<GenerationEvent, Error> {
        let (stream, continuation) = AsyncThrowingStream<GenerationEvent, Error>.makeStream()
        guard let model = current else {
            continuation.finish(throwing: EngineError.noModel)
            return stream
        }
        activeStop?.set()
        let flag = StopFlag()
        activeStop = flag
        continuation.onTermination = { _ in flag.set() }
        compute.submit {
            do {
                try work(model, flag) { continuation.yield($0) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        return stream
    }

    /// Stops the running generation, if any, within one token.
    public func stop() {
        activeStop?.set()
        activeStop = nil
    }

    /// Forgets the cached conversation (the next prompt is read from the start).
    public func resetContext() async throws {
        guard let m = current else { return }
        stop()
        try await compute.run { m.resetContext() }
    }

    /// Runs `body` with the open model's inference session on the compute thread (for
    /// perplexity and benchmarks, which drive the model directly). The cached conversation
    /// is forgotten.
    public func withSession<T: Sendable>(_ body: @escaping @Sendable (InferenceSession, Tokenizer) throws -> T) async throws -> T {
        guard let m = current else { throw EngineError.noModel }
        stop()
        return try await compute.run {
            m.resetContext()
            defer { m.resetContext() }
            return try body(m.session, m.tokenizer)
        }
    }
}
