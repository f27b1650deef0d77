#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Distribution

/// Draws one candidate from softmax(logits) with the chain's generator (llama.cpp's `dist`):
/// probabilities in float, the running sum in double, the first candidate whose cumulative
/// mass reaches `u * total` wins.
public struct DistributionStage: SamplerStage {
    public var name: String { "dist" }
    public init() {}

    public mutating func apply(to candidates: inout TokenCandidates, rng: inout SamplerRNG) {
        let n = candidates.count
        guard n > 0 else { candidates.selected = nil; return }
        if n == 1 {
            candidates.withLive { $0[0].p = 1 }
            candidates.selected = 0
            return
        }
        let u = rng.nextUnitDouble()
        candidates.selected = candidates.withLive { c -> Int in
            var maxL = c[0].logit
            for i in 1..<n where c[i].logit > maxL { maxL = c[i].logit }
            var total: Double = 0
            for i in 0..<n {
                let p = expf(c[i].logit - maxL)
                c[i].p = p
                total += Double(p)
            }
            let target = total * u
            var running: Double = 0
            var chosen: Int?
            for i in 0..<n {
                // Skip zero-probability candidates so a draw of exactly 0 cannot pick one.
                if chosen == nil && c[i].p > 0 {
                    running += Double(c[i].p)
                    if running >= target { chosen = i }
                }
                c[i].p = Float(Double(c[i].p) / total)
            }
            return chosen ?? (n - 1)
        }
    }
}

// MARK: - Greedy

/// Selects the highest logit; ties go to the earliest candidate (llama.cpp's `greedy`).
public struct GreedyStage: SamplerStage {
    public var name: String { "greedy" }
    public init() {}

    public mutating func apply(to candidates: inout TokenCandidates, rng: inout SamplerRNG) {
        guard candidates.count > 0 else { candidates.selected = nil; return }
        candidates.selected = candidates.withLive { c -> Int in
            var best = 0
            for i in 1..<c.count where c[i].logit > c[best].logit { best = i }
            return best
        }
    }
}
