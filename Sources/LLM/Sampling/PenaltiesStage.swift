/// Repetition penalties over the last N accepted tokens: llama.cpp's `penalties` sampler.
///
/// For every candidate that occurs `count > 0` times in the window:
///
///     logit = logit <= 0 ? logit * repeat : logit / repeat
///     logit -= count * frequency + (count > 0 ? 1 : 0) * presence
///
/// The window is a ring buffer of (lastN) token ids plus a count per distinct token, both
/// sized once; accepting a token allocates nothing.
public struct PenaltiesStage: SamplerStage {
    public var name: String { "penalties" }
    public let lastN: Int
    public let repeatPenalty: Float
    public let frequencyPenalty: Float
    public let presencePenalty: Float

    /// (lastN) the window, oldest at `head` once full.
    private var ring: [Int32]
    private var head = 0
    private var filled = 0
    /// Distinct tokens in the window and how often each occurs: (distinct <= lastN).
    private var counts: [Int32: Int]

    public init(lastN: Int, repeatPenalty: Float, frequencyPenalty: Float, presencePenalty: Float) {
        self.lastN = max(lastN, 0)
        self.repeatPenalty = repeatPenalty
        self.frequencyPenalty = frequencyPenalty
        self.presencePenalty = presencePenalty
        ring = [Int32](repeating: 0, count: self.lastN)
        counts = [:]
        counts.reserveCapacity(self.lastN + 1)
    }

    /// `true` when applying would change nothing.
    public var isDisabled: Bool {
        lastN == 0 || (repeatPenalty == 1 && frequencyPenalty == 0 && presencePenalty == 0)
    }

    /// How many times `token` occurs in the window.
    public func count(of token: Int32) -> Int { counts[token] ?? 0 }

    /// The window, oldest first.
    public var window: [Int32] { (0..<filled).map { ring[(head + $0) % max(lastN, 1)] } }

    public mutating func accept(_ token: Int32) {
        guard lastN > 0 else { return }
        if filled == lastN {
            let old = ring[head]
            if let c = counts[old] {
                if c <= 1 { counts.removeValue(forKey: old) } else { counts[old] = c - 1 }
            }
            ring[head] = token
            head = (head + 1) % lastN
        } else {
            ring[(head + filled) % lastN] = token
            filled += 1
        }
        counts[token, default: 0] += 1
    }

    public mutating func reset() {
        head = 0
        filled = 0
        counts.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    private func penalize(_ logit: Float, _ count: Int) -> Float {
        // Dividing a negative logit would make the token *more* likely, hence the multiply.
        var l = logit <= 0 ? logit * repeatPenalty : logit / repeatPenalty
        l -= Float(count) * frequencyPenalty + (count > 0 ? 1 : 0) * presencePenalty
        return l
    }

    public mutating func apply(to candidates: inout TokenCandidates, rng: inout SamplerRNG) {
        guard !isDisabled, !counts.isEmpty else { return }
        let counts = self.counts
        if candidates.identityOrdered {
            // Fresh buffer: candidate i is token i, so visit only the (<= lastN) window tokens.
            candidates.withLive { c in
                for (token, count) in counts {
                    let i = Int(token)
                    guard i >= 0, i < c.count else { continue }
                    c[i].logit = penalize(c[i].logit, count)
                }
            }
        } else {
            candidates.withLive { c in
                for i in 0..<c.count {
                    guard let count = counts[c[i].id] else { continue }
                    c[i].logit = penalize(c[i].logit, count)
                }
            }
        }
        candidates.sorted = false
    }
}
