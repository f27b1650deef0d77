import Catalog
import Engine
import LLM

extension ChatSettings {
    /// The settings' sampler fields as the engine's parameters, and back: the one mapping
    /// between the form (decimal `Double`s) and the sampler (`Float`s). Writing keeps each
    /// `Float`'s shortest decimal, so a catalog's 0.6 shows as 0.6, not 0.6000000238.
    public var sampling: SamplingParameters {
        get {
            var p = SamplingParameters()
            p.temperature = Float(temperature)
            p.topK = topK
            p.topP = Float(topP)
            p.minP = Float(minP)
            p.repeatPenalty = Float(repeatPenalty)
            p.seed = seed
            return p
        }
        set {
            func decimal(_ f: Float) -> Double { Double("\(f)") ?? Double(f) }
            temperature = decimal(newValue.temperature)
            topK = newValue.topK
            topP = decimal(newValue.topP)
            minP = decimal(newValue.minP)
            repeatPenalty = decimal(newValue.repeatPenalty)
            seed = newValue.seed
        }
    }

    /// The chat's defaults for a catalog model: its system prompt and sampling over these settings.
    public mutating func apply(catalog entry: ModelEntry) {
        if let s = entry.systemPrompt { systemPrompt = s }
        sampling = SamplingParameters(catalog: entry.sampling, over: sampling)
    }
}
