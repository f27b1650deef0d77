#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Candidates buffer

/// One candidate token: llama.cpp's `llama_token_data`.
public struct TokenCandidate: Sendable, Equatable {
    public var id: Int32
    public var logit: Float
    /// Probability, valid only after a stage computed it (top-p, distribution).
    public var p: Float

    @inlinable public init(id: Int32, logit: Float, p: Float = 0) {
        self.id = id; self.logit = logit; self.p = p
    }
}

/// The reusable candidates buffer the stages work on: llama.cpp's `llama_token_data_array`.
///
/// Storage is sized once for the vocabulary; `load(_:)` refills it in vocabulary order
/// without allocating, stages shrink `count` and reorder in place.
public struct TokenCandidates: Sendable {
    /// (capacity) candidates; only the first `count` are live.
    public private(set) var storage: [TokenCandidate]
    /// Live candidates: `storage[0..<count]`.
    public var count: Int
    /// `true` when the live candidates are sorted by descending logit.
    public var sorted: Bool
    /// `true` while `storage[i].id == i` for all live candidates (fresh from `load`).
    public var identityOrdered: Bool
    /// Index (into the live candidates) of the chosen token, set by the final stage.
    public var selected: Int?

    /// A buffer for a vocabulary of `capacity` tokens.
    public init(capacity: Int) {
        storage = [TokenCandidate](repeating: TokenCandidate(id: 0, logit: 0), count: max(capacity, 0))
        count = 0
        sorted = false
        identityOrdered = true
        selected = nil
    }

    /// Builds a buffer holding exactly `candidates` (for tests and small hand-made distributions).
    public init(_ candidates: [TokenCandidate]) {
        storage = candidates
        count = candidates.count
        sorted = false
        identityOrdered = candidates.enumerated().allSatisfy { $0.offset == Int($0.element.id) }
        selected = nil
    }

    public var capacity: Int { storage.count }

    /// Refills the buffer with `logits` (one per token id, vocabulary order). Allocates only
    /// when `logits` is larger than the buffer was ever sized for.
    public mutating func load(_ logits: UnsafeBufferPointer<Float>) {
        if logits.count > storage.count {
            storage = [TokenCandidate](repeating: TokenCandidate(id: 0, logit: 0), count: logits.count)
        }
        storage.withUnsafeMutableBufferPointer { s in
            for i in 0..<logits.count { s[i] = TokenCandidate(id: Int32(truncatingIfNeeded: i), logit: logits[i]) }
        }
        count = logits.count
        sorted = false
        identityOrdered = true
        selected = nil
    }

    /// The live candidates, for reading.
    public var live: ArraySlice<TokenCandidate> { storage[0..<count] }

    /// The chosen candidate, once the final stage ran.
    public var selectedCandidate: TokenCandidate? { selected.map { storage[$0] } }

    /// Runs `body` over the live candidates without bounds checks or copies.
    public mutating func withLive<R>(_ body: (UnsafeMutableBufferPointer<TokenCandidate>) throws -> R) rethrows -> R {
        let n = count
        return try storage.withUnsafeMutableBufferPointer { try body(UnsafeMutableBufferPointer(rebasing: $0[0..<n])) }
    }

    // MARK: Shared operations

    /// Computes `p` for every live candidate as softmax of the logits (float, like llama.cpp's
    /// `llama_sampler_softmax_impl` without sorting).
    public mutating func computeSoftmax() {
        withLive { c in
            guard !c.isEmpty else { return }
            var maxL = c[0].logit
            for i in 1..<c.count where c[i].logit > maxL { maxL = c[i].logit }
            var sum: Float = 0
            for i in 0..<c.count {
                let p = expf(c[i].logit - maxL)
                c[i].p = p
                sum += p
            }
            for i in 0..<c.count { c[i].p /= sum }
        }
    }

    /// Moves the `k` highest logits, in descending order, to the front (std::partial_sort),
    /// in place and without allocating. `k == count` sorts everything. Does not shrink `count`.
    public mutating func partialSort(_ k: Int) {
        let k = min(max(k, 0), count)
        guard k > 0 else { return }
        withLive { c in CandidateHeap.partialSort(c, k) }
        identityOrdered = false
        if k >= count - 1 { sorted = true }
    }

    /// Sorts the live candidates by descending logit if they are not already.
    public mutating func sortIfNeeded() {
        if !sorted { partialSort(count); sorted = true }
    }
}

// MARK: - In-place partial sort

/// Heap-based partial sort on an unsafe buffer: a min-heap (by logit) of the best k at the
/// front, then heapsort of that prefix into descending order. O(n log k), no allocation.
/// Ties break by lower id first, so results do not depend on the heap's internal order.
enum CandidateHeap {
    /// `a` ranks before `b` (higher logit; on equal logits, lower id).
    @inline(__always)
    static func before(_ a: TokenCandidate, _ b: TokenCandidate) -> Bool {
        a.logit > b.logit || (a.logit == b.logit && a.id < b.id)
    }

    static func partialSort(_ c: UnsafeMutableBufferPointer<TokenCandidate>, _ k: Int) {
        // Heap over c[0..<k] whose root is the *worst* of the kept (the first to evict).
        @inline(__always) func siftDown(_ start: Int, _ n: Int) {
            var i = start
            while true {
                let l = 2 * i + 1
                if l >= n { return }
                var worst = l
                let r = l + 1
                if r < n && before(c[worst], c[r]) { worst = r }
                if before(c[worst], c[i]) { return }
                c.swapAt(i, worst)
                i = worst
            }
        }
        var i = k / 2 - 1
        while i >= 0 { siftDown(i, k); i -= 1 }
        for j in k..<c.count where before(c[j], c[0]) {
            c.swapAt(0, j)
            siftDown(0, k)
        }
        // Heapsort the prefix: repeatedly move the worst to the end of the shrinking heap.
        var n = k
        while n > 1 {
            c.swapAt(0, n - 1)
            n -= 1
            siftDown(0, n)
        }
    }
}
