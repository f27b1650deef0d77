/// An ordered list of stages sharing one seeded generator: llama.cpp's `llama_sampler_chain`.
///
/// `apply` runs every stage in order over the candidates; `accept` tells every stage about a
/// token; `reset` rewinds the stages and reseeds the generator.
public struct SamplerChain: Sendable {
    public private(set) var stages: [any SamplerStage]
    /// The seed the generator started from (and returns to on `reset`).
    public let seed: UInt64
    private var rng: SamplerRNG

    public init(stages: [any SamplerStage] = [], seed: UInt64) {
        self.stages = stages
        self.seed = seed
        self.rng = SamplerRNG(seed: seed)
    }

    /// Appends a stage (`llama_sampler_chain_add`).
    public mutating func add(_ stage: any SamplerStage) { stages.append(stage) }

    /// Stage names in order, e.g. `["penalties", "top-k", ..., "dist"]`.
    public var names: [String] { stages.map(\.name) }

    public mutating func apply(to candidates: inout TokenCandidates) {
        for i in stages.indices { stages[i].apply(to: &candidates, rng: &rng) }
    }

    public mutating func accept(_ token: Int32) {
        for i in stages.indices { stages[i].accept(token) }
    }

    public mutating func reset() {
        for i in stages.indices { stages[i].reset() }
        rng = SamplerRNG(seed: seed)
    }

    /// llama.cpp's default order for the parameters we expose:
    /// penalties -> top-k -> top-p -> min-p -> temp -> dist; or penalties -> greedy when
    /// `temperature <= 0` (the truncations never remove the argmax, so this is the same choice).
    public static func standard(_ params: SamplingParameters, seed: UInt64) -> SamplerChain {
        var chain = SamplerChain(seed: seed)
        chain.add(PenaltiesStage(lastN: params.repeatLastN, repeatPenalty: params.repeatPenalty,
                                 frequencyPenalty: params.frequencyPenalty, presencePenalty: params.presencePenalty))
        if params.isGreedy {
            chain.add(GreedyStage())
            return chain
        }
        chain.add(TopKStage(k: params.topK))
        chain.add(TopPStage(p: params.topP))
        chain.add(MinPStage(p: params.minP))
        chain.add(TemperatureStage(temperature: params.temperature))
        chain.add(DistributionStage())
        return chain
    }
}
