// MARK: - Sampling parameters

/// The knobs of the default sampler chain, as llama.cpp's `common_params_sampling` names them.
///
/// Defaults match llama.cpp's, except the seed: `nil` means "pick a random seed once when the
/// sampler is built" (the sampler reports the seed it used, so a run can be replayed).
/// Decoding tolerates missing keys (each falls back to its default), so a `models.toml`
/// entry can override only what it cares about.
public struct SamplingParameters: Codable, Sendable, Equatable, Hashable {
    /// Softmax temperature. `<= 0` means greedy (argmax after penalties).
    public var temperature: Float
    /// Keep the `topK` most likely tokens; `0` disables.
    public var topK: Int
    /// Keep the smallest set whose probability mass reaches `topP`; `1` disables.
    public var topP: Float
    /// Drop tokens whose probability is below `minP` times the best one's; `0` disables.
    public var minP: Float
    /// Divide positive (multiply non-positive) logits of recent tokens by this; `1` disables.
    public var repeatPenalty: Float
    /// How many of the most recent tokens the penalties look at; `0` disables all penalties.
    public var repeatLastN: Int
    /// Subtracted once from the logit of every token present in the window.
    public var presencePenalty: Float
    /// Subtracted from a token's logit once per occurrence in the window.
    public var frequencyPenalty: Float
    /// Seed of the chain's random generator; `nil` draws one when the sampler is built.
    public var seed: UInt64?

    public init(temperature: Float = 0.8, topK: Int = 40, topP: Float = 0.95, minP: Float = 0.05,
                repeatPenalty: Float = 1.0, repeatLastN: Int = 64,
                presencePenalty: Float = 0, frequencyPenalty: Float = 0, seed: UInt64? = nil) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repeatPenalty = repeatPenalty
        self.repeatLastN = repeatLastN
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.seed = seed
    }

    /// Greedy decoding: temperature 0, everything else default (penalties off).
    public static let greedy = SamplingParameters(temperature: 0)

    /// `true` when the chain reduces to argmax (after penalties).
    public var isGreedy: Bool { temperature <= 0 }

    /// `true` when the penalties stage would change any logit.
    public var penaltiesEnabled: Bool {
        repeatLastN > 0 && (repeatPenalty != 1 || presencePenalty != 0 || frequencyPenalty != 0)
    }

    // MARK: Codable with per-key defaults

    private enum CodingKeys: String, CodingKey {
        case temperature, topK, topP, minP, repeatPenalty, repeatLastN, presencePenalty, frequencyPenalty, seed
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SamplingParameters()
        temperature = try c.decodeIfPresent(Float.self, forKey: .temperature) ?? d.temperature
        topK = try c.decodeIfPresent(Int.self, forKey: .topK) ?? d.topK
        topP = try c.decodeIfPresent(Float.self, forKey: .topP) ?? d.topP
        minP = try c.decodeIfPresent(Float.self, forKey: .minP) ?? d.minP
        repeatPenalty = try c.decodeIfPresent(Float.self, forKey: .repeatPenalty) ?? d.repeatPenalty
        repeatLastN = try c.decodeIfPresent(Int.self, forKey: .repeatLastN) ?? d.repeatLastN
        presencePenalty = try c.decodeIfPresent(Float.self, forKey: .presencePenalty) ?? d.presencePenalty
        frequencyPenalty = try c.decodeIfPresent(Float.self, forKey: .frequencyPenalty) ?? d.frequencyPenalty
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed)
    }
}

// MARK: - Validation

/// A sampling parameter outside the range the chain accepts.
public struct SamplingParameterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The parameter's name as it appears in `SamplingParameters` (and in `models.toml`).
    public let parameter: String
    /// The offending value, printed.
    public let value: String
    /// What the parameter must be, in words.
    public let expected: String

    public var description: String { "sampling parameter \(parameter) = \(value) is out of range: expected \(expected)" }
}

extension SamplingParameters {
    /// Throws for the first parameter out of range, naming it.
    public func validate() throws(SamplingParameterError) {
        if let problem = problems.first { throw problem }
    }

    /// Every parameter out of range, in declaration order (empty when valid).
    public var problems: [SamplingParameterError] {
        var out: [SamplingParameterError] = []
        func check(_ ok: Bool, _ name: String, _ value: some CustomStringConvertible, _ expected: String) {
            if !ok { out.append(SamplingParameterError(parameter: name, value: value.description, expected: expected)) }
        }
        check(temperature.isFinite && temperature >= 0 && temperature <= 100, "temperature", temperature,
              "0...100 (0 = greedy)")
        check(topK >= 0, "topK", topK, ">= 0 (0 = disabled)")
        check(topP.isFinite && topP >= 0 && topP <= 1, "topP", topP, "0...1 (1 = disabled)")
        check(minP.isFinite && minP >= 0 && minP <= 1, "minP", minP, "0...1 (0 = disabled)")
        check(repeatPenalty.isFinite && repeatPenalty > 0 && repeatPenalty <= 10, "repeatPenalty", repeatPenalty,
              "greater than 0 and at most 10 (1 = disabled)")
        check(repeatLastN >= 0 && repeatLastN <= 1 << 20, "repeatLastN", repeatLastN, "0...1048576 (0 = disabled)")
        check(presencePenalty.isFinite && abs(presencePenalty) <= 2, "presencePenalty", presencePenalty,
              "-2...2 (0 = disabled)")
        check(frequencyPenalty.isFinite && abs(frequencyPenalty) <= 2, "frequencyPenalty", frequencyPenalty,
              "-2...2 (0 = disabled)")
        return out
    }
}
