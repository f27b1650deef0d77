#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Top-k

/// Keeps the `k` highest logits, sorted (llama.cpp's `top-k`); `k <= 0` does nothing.
public struct TopKStage: SamplerStage {
    public var name: String { "top-k" }
    public let k: Int
    public init(k: Int) { self.k = k }

    public mutating func apply(to candidates: inout TokenCandidates, rng: inout SamplerRNG) {
        guard k > 0, candidates.count > 0 else { return }
        let k = min(k, candidates.count)
        if !candidates.sorted { candidates.partialSort(k) }
        candidates.count = k
        candidates.sorted = true
    }
}

// MARK: - Top-p

/// Keeps the smallest prefix (by descending probability) whose cumulative probability reaches
/// `p`, and at least `minKeep` tokens (llama.cpp's `top-p`); `p >= 1` does nothing.
public struct TopPStage: SamplerStage {
    public var name: String { "top-p" }
    public let p: Float
    public let minKeep: Int
    public init(p: Float, minKeep: Int = 1) { self.p = p; self.minKeep = minKeep }

    public mutating func apply(to candidates: inout TokenCandidates, rng: inout SamplerRNG) {
        guard p < 1, candidates.count > 0 else { return }
        candidates.computeSoftmax()
        let n = candidates.count
        // Like llama.cpp, sort only the head first; the tail is sorted only when the mass is
        // not reached within it. Partial sort leaves every tail element <= the head's last.
        var sortedPrefix = n
        if !candidates.sorted {
            sortedPrefix = n > 1024 ? min(256, n) : n
            candidates.partialSort(sortedPrefix)
        }
        let (p, minKeep) = (self.p, self.minKeep)
        let last = candidates.withLive { c -> Int in
            var cum: Float = 0
            var i = 0
            while i < n {
                if i == sortedPrefix {
                    // Sort the rest; the head stays in place.
                    CandidateHeap.partialSort(UnsafeMutableBufferPointer(rebasing: c[i..<n]), n - i)
                    sortedPrefix = n
                }
                cum += c[i].p
                if cum >= p && i + 1 >= minKeep { return i + 1 }
                i += 1
            }
            return n
        }
        candidates.count = last
        candidates.sorted = true
        candidates.identityOrdered = false
    }
}

// MARK: - Min-p

/// Keeps tokens whose probability is at least `p` times the most likely one's, i.e. whose
/// logit is at least `max + log(p)` (llama.cpp's `min-p`); `p <= 0` does nothing.
public struct MinPStage: SamplerStage {
    public var name: String { "min-p" }
    public let p: Float
    public let minKeep: Int
    public init(p: Float, minKeep: Int = 1) { self.p = p; self.minKeep = minKeep }

    public mutating func apply(to candidates: inout TokenCandidates, rng: inout SamplerRNG) {
        guard p > 0, candidates.count > 0 else { return }
        let logP = logf(p)
        let minKeep = self.minKeep
        if !candidates.sorted {
            // Unsorted path: count survivors first, compact in place (order kept) only when
            // enough survive; otherwise fall back to the sorted path like llama.cpp.
            let done = candidates.withLive { c -> Int? in
                var maxL = -Float.greatestFiniteMagnitude
                for i in 0..<c.count where c[i].logit > maxL { maxL = c[i].logit }
                let minLogit = maxL + logP
                var survivors = 0
                for i in 0..<c.count where c[i].logit >= minLogit { survivors += 1 }
                guard survivors > 0, survivors >= minKeep else { return nil }
                var n = 0
                for i in 0..<c.count where c[i].logit >= minLogit {
                    c[n] = c[i]
                    n += 1
                }
                return n
            }
            if let kept = done {
                if kept != candidates.count { candidates.identityOrdered = false }
                candidates.count = kept
                return
            }
        }
        candidates.sortIfNeeded()
        let kept = candidates.withLive { c -> Int in
            let minLogit = c[0].logit + logP
            var i = 1
            while i < c.count {
                if c[i].logit < minLogit && i >= minKeep { break }
                i += 1
            }
            return i
        }
        candidates.count = kept
    }
}

// MARK: - Temperature

/// Divides logits by `temperature`; `<= 0` keeps only the argmax (llama.cpp's `temp`).
public struct TemperatureStage: SamplerStage {
    public var name: String { "temp" }
    public let temperature: Float
    public init(temperature: Float) { self.temperature = temperature }

    public mutating func apply(to candidates: inout TokenCandidates, rng: inout SamplerRNG) {
        guard candidates.count > 0 else { return }
        if temperature <= 0 {
            candidates.withLive { c in
                var best = 0
                for i in 1..<c.count where c[i].logit > c[best].logit { best = i }
                for i in 0..<c.count where i != best { c[i].logit = -.infinity }
            }
            return
        }
        let t = temperature
        candidates.withLive { c in for i in 0..<c.count { c[i].logit /= t } }
    }
}
