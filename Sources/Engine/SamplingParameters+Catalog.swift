import Catalog
import LLM

extension SamplingParameters {
    /// `base` with every default the catalog sets for a model written over it: the one place
    /// that maps `models.toml`'s `[models.ID.sampling]` keys to the sampler's fields.
    public init(catalog defaults: SamplingDefaults, over base: SamplingParameters = SamplingParameters()) {
        self = base
        if let v = defaults.temperature { temperature = Float(v) }
        if let v = defaults.topK { topK = v }
        if let v = defaults.topP { topP = Float(v) }
        if let v = defaults.minP { minP = Float(v) }
        if let v = defaults.repeatPenalty { repeatPenalty = Float(v) }
        if let v = defaults.seed { seed = UInt64(v) }
    }
}
