import XCTest
@testable import LLM
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Helpers

/// Runs `body` with `logits` as an UnsafeBufferPointer.
private func withLogits<R>(_ logits: [Float], _ body: (UnsafeBufferPointer<Float>) -> R) -> R {
    logits.withUnsafeBufferPointer(body)
}

/// Applies one stage to a fresh buffer loaded from `logits`.
private func applyStage(_ stage: some SamplerStage, _ logits: [Float], sortedFirst: Bool = false) -> TokenCandidates {
    var stage = stage
    var c = TokenCandidates(capacity: logits.count)
    withLogits(logits) { c.load($0) }
    if sortedFirst { c.sortIfNeeded() }
    var rng = SamplerRNG(seed: 1)
    stage.apply(to: &c, rng: &rng)
    return c
}

private func softmax(_ l: [Float]) -> [Double] {
    let m = l.max()!
    let e = l.map { exp(Double($0 - m)) }
    let s = e.reduce(0, +)
    return e.map { $0 / s }
}

private func ids(_ c: TokenCandidates) -> [Int32] { c.live.map(\.id) }

final class SamplerTests: XCTestCase {

    // MARK: RNG

    func testRNGStreamIsPinned() {
        // xoshiro256** seeded by splitmix64(42): first outputs, computed independently.
        var r = SamplerRNG(seed: 42)
        XCTAssertEqual([r.next(), r.next(), r.next(), r.next()],
                       [0x1578_0b2e_0c2e_c716, 0x6104_d986_6d11_3a7e, 0xae17_5332_39e4_99a1, 0xecb8_ad47_03b3_60a1])
        var u = SamplerRNG(seed: 7)
        for _ in 0..<10_000 {
            let x = u.nextUnitDouble()
            XCTAssert(x >= 0 && x < 1)
        }
    }

    // MARK: Greedy and determinism

    func testGreedyIsArgmax() throws {
        var s = try Sampler(parameters: .greedy, vocabularySize: 8)
        var rng = SamplerRNG(seed: 3)
        for _ in 0..<200 {
            let logits = (0..<8).map { _ in Float(Double(rng.next() % 10_000) / 1000 - 5) }
            let expected = Int32(logits.indices.max { logits[$0] < logits[$1] || (logits[$0] == logits[$1] && $0 > $1) }!)
            XCTAssertEqual(withLogits(logits) { s.sample($0) }, expected)
        }
        // Ties go to the first.
        XCTAssertEqual(withLogits([1, 3, 3, 0]) { s.sample($0) }, 1)
    }

    func testNegativeTemperatureIsGreedyInStandardChain() {
        XCTAssertEqual(SamplerChain.standard(SamplingParameters(temperature: 0), seed: 0).names, ["penalties", "greedy"])
        XCTAssertEqual(SamplerChain.standard(SamplingParameters(), seed: 0).names,
                       ["penalties", "top-k", "top-p", "min-p", "temp", "dist"])
    }

    func testTemperatureStageZeroKeepsOnlyArgmax() {
        let c = applyStage(TemperatureStage(temperature: 0), [0.5, 2, -1, 1.9])
        XCTAssertEqual(c.live.map(\.logit), [-.infinity, 2, -.infinity, -.infinity])
        let d = applyStage(TemperatureStage(temperature: 0.5), [1, -2])
        XCTAssertEqual(d.live.map(\.logit), [2, -4])
    }

    private func draws(seed: UInt64, count: Int, params: SamplingParameters = SamplingParameters()) throws -> [Int32] {
        var p = params
        p.seed = seed
        var s = try Sampler(parameters: p, vocabularySize: 50)
        let logits: [Float] = (0..<50).map { Float(sin(Double($0) * 1.7)) * 2 }
        return (0..<count).map { _ in withLogits(logits) { s.sample($0) } }
    }

    func testSameSeedSameSequenceDifferentSeedDifferent() throws {
        let a = try draws(seed: 1234, count: 200)
        let b = try draws(seed: 1234, count: 200)
        let c = try draws(seed: 1235, count: 200)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertGreaterThan(Set(a).count, 1, "temperature 0.8 over 50 tokens should not be constant")
    }

    func testResetReplaysTheSequence() throws {
        var s = try Sampler(parameters: SamplingParameters(repeatPenalty: 1.3, seed: 9), vocabularySize: 20)
        let logits: [Float] = (0..<20).map { Float($0 % 7) * 0.3 }
        let first = (0..<50).map { _ in withLogits(logits) { s.sample($0) } }
        s.reset()
        let second = (0..<50).map { _ in withLogits(logits) { s.sample($0) } }
        XCTAssertEqual(first, second)
    }

    func testRandomSeedIsReported() throws {
        let s = try Sampler(parameters: SamplingParameters(seed: nil), vocabularySize: 4)
        let t = try Sampler(parameters: SamplingParameters(seed: s.seed), vocabularySize: 4)
        XCTAssertEqual(s.seed, t.seed)
    }

    func testTopK1IsGreedy() throws {
        var s = try Sampler(parameters: SamplingParameters(temperature: 1.5, topK: 1, topP: 1, minP: 0, seed: 5),
                            vocabularySize: 16)
        var rng = SamplerRNG(seed: 11)
        for _ in 0..<200 {
            let logits = (0..<16).map { _ in Float(Double(rng.next() % 1000) / 100) }
            XCTAssertEqual(withLogits(logits) { s.sample($0) }, withLogits(logits) { Sampler.argmax($0) })
        }
    }

    // MARK: Truncation stages

    /// Probabilities 0.5, 0.3, 0.15, 0.05, given in a shuffled vocabulary order.
    private let probs: [Float] = [0.15, 0.5, 0.05, 0.3]
    private var handMade: [Float] { probs.map { logf($0) } }

    func testTopKKeepsTheKBestSorted() {
        let c = applyStage(TopKStage(k: 2), handMade)
        XCTAssertEqual(ids(c), [1, 3])
        XCTAssertTrue(c.sorted)
        XCTAssertEqual(ids(applyStage(TopKStage(k: 0), handMade)), [0, 1, 2, 3])
        XCTAssertEqual(ids(applyStage(TopKStage(k: 10), handMade)), [1, 3, 0, 2])
    }

    func testTopPKeepsSmallestSetReachingMass() {
        XCTAssertEqual(ids(applyStage(TopPStage(p: 0.4), handMade)), [1])
        XCTAssertEqual(ids(applyStage(TopPStage(p: 0.75), handMade)), [1, 3])
        XCTAssertEqual(ids(applyStage(TopPStage(p: 0.9), handMade)), [1, 3, 0])
        XCTAssertEqual(ids(applyStage(TopPStage(p: 0.99), handMade)), [1, 3, 0, 2])
        XCTAssertEqual(ids(applyStage(TopPStage(p: 1.0), handMade)), [0, 1, 2, 3], "p = 1 is a no-op")
        XCTAssertEqual(ids(applyStage(TopPStage(p: 0.4, minKeep: 3), handMade)), [1, 3, 0])
        // Same answers when the input is already sorted.
        XCTAssertEqual(ids(applyStage(TopPStage(p: 0.75), handMade, sortedFirst: true)), [1, 3])
        // Probabilities renormalised over the whole input, not just the kept ones.
        let c = applyStage(TopPStage(p: 0.75), handMade)
        XCTAssertEqual(c.live.map(\.p)[0], 0.5, accuracy: 1e-6)
        XCTAssertEqual(c.live.map(\.p)[1], 0.3, accuracy: 1e-6)
    }

    func testTopPOnLargeVocabularyMatchesBruteForce() {
        // > 1024 candidates takes the sort-the-head-first path; small p stays in the head,
        // large p spills past it.
        var rng = SamplerRNG(seed: 99)
        let logits = (0..<5000).map { _ in Float(rng.nextUnitDouble() * 8 - 4) }
        let sm = softmax(logits)
        let order = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        for p: Float in [0.05, 0.5, 0.9, 0.999] {
            var cum: Float = 0
            var n = 0
            for i in order {
                cum += Float(sm[i]); n += 1
                if cum >= p { break }
            }
            let c = applyStage(TopPStage(p: p), logits)
            XCTAssertEqual(c.count, n, "p = \(p)")  // float cum vs float cum: equal up to rounding
            XCTAssertEqual(ids(c), order.prefix(c.count).map { Int32($0) }, "p = \(p)")
        }
    }

    func testMinPKeepsTokensAboveFractionOfBest() {
        // threshold = minP * 0.5
        XCTAssertEqual(ids(applyStage(MinPStage(p: 0.2), handMade)), [0, 1, 3], "unsorted path keeps vocabulary order")
        XCTAssertEqual(ids(applyStage(MinPStage(p: 0.5), handMade)), [1, 3])
        XCTAssertEqual(ids(applyStage(MinPStage(p: 0.7), handMade)), [1])
        XCTAssertEqual(ids(applyStage(MinPStage(p: 0.05), handMade)), [0, 1, 2, 3])
        XCTAssertEqual(ids(applyStage(MinPStage(p: 0), handMade)), [0, 1, 2, 3])
        // Sorted path gives the same set, in logit order.
        XCTAssertEqual(ids(applyStage(MinPStage(p: 0.2), handMade, sortedFirst: true)), [1, 3, 0])
        // minKeep forces the sorted fallback and keeps the best ones.
        XCTAssertEqual(ids(applyStage(MinPStage(p: 0.7, minKeep: 3), handMade)), [1, 3, 0])
    }

    func testPartialSortMatchesFullSort() {
        var rng = SamplerRNG(seed: 5)
        for n in [1, 2, 3, 10, 257, 1000] {
            // Few distinct values so ties are common.
            let logits = (0..<n).map { _ in Float(rng.next() % 13) }
            let expected = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
            for k in Set([1, 2, n / 2, n - 1, n].filter { $0 > 0 }) {
                var c = TokenCandidates(capacity: n)
                withLogits(logits) { c.load($0) }
                c.partialSort(k)
                XCTAssertEqual(c.live.prefix(k).map { Int($0.id) }, Array(expected.prefix(k)), "n \(n) k \(k)")
                XCTAssertEqual(Set(c.live.map(\.id)).count, n, "a permutation")
            }
        }
    }

    // MARK: Penalties

    func testPenaltiesFollowLlamaCppFormula() {
        let logits: [Float] = [2, -1, 0.5, 3, -2, 0]
        let (rep, freq, pres): (Float, Float, Float) = (1.5, 0.1, 0.2)
        func expected(_ l: Float, _ count: Int) -> Float {
            guard count > 0 else { return l }
            return (l <= 0 ? l * rep : l / rep) - Float(count) * freq - pres
        }
        var stage = PenaltiesStage(lastN: 64, repeatPenalty: rep, frequencyPenalty: freq, presencePenalty: pres)
        for t: Int32 in [0, 1, 1, 3, 5, 1] { stage.accept(t) }
        let counts = [1, 3, 0, 1, 0, 1]
        // Fresh (vocabulary-ordered) buffer path.
        let c = applyStage(stage, logits)
        for i in 0..<logits.count {
            XCTAssertEqual(c.storage[i].logit, expected(logits[i], counts[i]), accuracy: 1e-6, "token \(i)")
        }
        XCTAssertEqual(c.storage[1].logit, -1 * 1.5 - 0.3 - 0.2, accuracy: 1e-6, "negative logit multiplied")
        XCTAssertEqual(c.storage[5].logit, 0 * 1.5 - 0.1 - 0.2, accuracy: 1e-6, "zero logit multiplied")
        // Reordered buffer path (scan with lookups) gives the same values.
        let d = applyStage(stage, logits, sortedFirst: true)
        for cand in d.live {
            XCTAssertEqual(cand.logit, expected(logits[Int(cand.id)], counts[Int(cand.id)]), accuracy: 1e-6)
        }
        XCTAssertFalse(d.sorted, "penalties invalidate the order")
    }

    func testPenaltyWindowSlides() {
        var stage = PenaltiesStage(lastN: 3, repeatPenalty: 2, frequencyPenalty: 0, presencePenalty: 0)
        for t: Int32 in [7, 7, 1, 2] { stage.accept(t) }
        XCTAssertEqual(stage.window, [7, 1, 2])
        XCTAssertEqual(stage.count(of: 7), 1)
        stage.accept(3)
        XCTAssertEqual(stage.window, [1, 2, 3])
        XCTAssertEqual(stage.count(of: 7), 0)
        let c = applyStage(stage, [4, 4, 4, 4, 4, 4, 4, 4])
        XCTAssertEqual(c.live.map(\.logit), [4, 2, 2, 2, 4, 4, 4, 4])
        stage.reset()
        XCTAssertEqual(stage.window, [])
        XCTAssertEqual(applyStage(stage, [4, 4]).live.map(\.logit), [4, 4])
    }

    func testPenaltiesDisabledCases() {
        var off = PenaltiesStage(lastN: 0, repeatPenalty: 2, frequencyPenalty: 1, presencePenalty: 1)
        off.accept(0)
        XCTAssertEqual(applyStage(off, [1, 1]).live.map(\.logit), [1, 1], "lastN = 0 disables")
        var neutral = PenaltiesStage(lastN: 8, repeatPenalty: 1, frequencyPenalty: 0, presencePenalty: 0)
        neutral.accept(0)
        XCTAssertTrue(neutral.isDisabled)
        XCTAssertEqual(applyStage(neutral, [1, 1]).live.map(\.logit), [1, 1])
    }

    func testSamplerCountsGeneratedTokensForPenalties() throws {
        // With a huge frequency-like penalty via repeat, greedy must not repeat a token.
        var s = try Sampler(parameters: SamplingParameters(temperature: 0, repeatPenalty: 10, repeatLastN: 4),
                            vocabularySize: 4)
        let logits: [Float] = [4, 3, 2, 1]
        let out = (0..<4).map { _ in withLogits(logits) { s.sample($0) } }
        XCTAssertEqual(out, [0, 1, 2, 3])
        s.reset()
        s.accept(contentsOf: [0, 1])
        XCTAssertEqual(withLogits(logits) { s.sample($0) }, 2, "prompt tokens count when accepted")
    }

    // MARK: Distribution

    /// Pearson chi-square of `counts` against `expected` probabilities.
    private func chiSquare(_ counts: [Int], _ expected: [Double]) -> Double {
        let n = Double(counts.reduce(0, +))
        return zip(counts, expected).reduce(0) { acc, pair in
            let e = n * pair.1
            return e == 0 ? (pair.0 == 0 ? acc : .infinity) : acc + pow(Double(pair.0) - e, 2) / e
        }
    }

    private func histogram(_ params: SamplingParameters, _ logits: [Float], draws: Int) throws -> [Int] {
        var s = try Sampler(parameters: params, vocabularySize: logits.count)
        var counts = [Int](repeating: 0, count: logits.count)
        for _ in 0..<draws { counts[Int(withLogits(logits) { s.sample($0) })] += 1 }
        return counts
    }

    func testDistributionMatchesSoftmax() throws {
        let logits: [Float] = [1.0, 0.2, -0.5, 2.0, 0.0, -1.5]
        let free = SamplingParameters(temperature: 1, topK: 0, topP: 1, minP: 0, seed: 2024)
        let counts = try histogram(free, logits, draws: 60_000)
        // 5 degrees of freedom: P(chi2 > 20.5) = 0.001.
        XCTAssertLessThan(chiSquare(counts, softmax(logits)), 20.5, "\(counts)")

        var hot = free
        hot.temperature = 0.5
        let hotCounts = try histogram(hot, logits, draws: 60_000)
        XCTAssertLessThan(chiSquare(hotCounts, softmax(logits.map { $0 / 0.5 })), 20.5, "\(hotCounts)")
    }

    func testDistributionAfterTopKRenormalisesOverKept() throws {
        let logits: [Float] = [1.0, 0.2, -0.5, 2.0, 0.0, -1.5]
        let params = SamplingParameters(temperature: 1, topK: 3, topP: 1, minP: 0, seed: 77)
        let counts = try histogram(params, logits, draws: 30_000)
        var expected = softmax([1.0, 0.2, 2.0]).makeIterator()
        let full = [0, 1, 3].reduce(into: [Double](repeating: 0, count: 6)) { $0[$1] = expected.next()! }
        XCTAssertEqual(counts[2] + counts[4] + counts[5], 0)
        XCTAssertLessThan(chiSquare([counts[0], counts[1], counts[3]], [full[0], full[1], full[3]]), 13.8, "\(counts)")
    }

    func testDistributionSingleCandidateAndProbabilities() {
        var c = TokenCandidates([TokenCandidate(id: 9, logit: -3)])
        var stage = DistributionStage()
        var rng = SamplerRNG(seed: 0)
        stage.apply(to: &c, rng: &rng)
        XCTAssertEqual(c.selectedCandidate?.id, 9)
        let d = applyStage(DistributionStage(), [0, logf(3)])
        XCTAssertEqual(d.live.map(\.p)[0], 0.25, accuracy: 1e-6)
        XCTAssertEqual(d.live.map(\.p)[1], 0.75, accuracy: 1e-6)
    }

    // MARK: Log-probability

    func testLogProbabilityIsRawLogSoftmax() throws {
        let logits: [Float] = [1.0, 0.2, -0.5, 2.0]
        var s = try Sampler(parameters: SamplingParameters(temperature: 0.3, repeatPenalty: 5, seed: 1),
                            vocabularySize: 4)
        for _ in 0..<10 {
            let (token, lp) = withLogits(logits) { s.sampleWithLogProbability($0) }
            XCTAssertEqual(Double(lp), log(softmax(logits)[Int(token)]), accuracy: 1e-6)
        }
        XCTAssertEqual(withLogits([0, 0]) { Sampler.logProbability(of: 1, in: $0) }, -logf(2), accuracy: 1e-7)
        XCTAssertEqual(withLogits([0, 0]) { Sampler.logProbability(of: 2, in: $0) }, -.infinity)
    }

    // MARK: Buffer reuse

    func testCandidateBufferIsReused() throws {
        var s = try Sampler(parameters: SamplingParameters(repeatPenalty: 1.1, seed: 3), vocabularySize: 1000)
        let logits: [Float] = (0..<1000).map { Float($0 % 17) / 4 }
        _ = withLogits(logits) { s.sample($0) }
        let base = s.candidates.storage.withUnsafeBufferPointer { $0.baseAddress }
        for _ in 0..<100 { _ = withLogits(logits) { s.sample($0) } }
        XCTAssertEqual(s.candidates.storage.withUnsafeBufferPointer { $0.baseAddress }, base)
    }

    // MARK: Parameters

    func testDefaultsMatchLlamaCpp() {
        let p = SamplingParameters()
        XCTAssertEqual(p.temperature, 0.8)
        XCTAssertEqual(p.topK, 40)
        XCTAssertEqual(p.topP, 0.95)
        XCTAssertEqual(p.minP, 0.05)
        XCTAssertEqual(p.repeatPenalty, 1.0)
        XCTAssertEqual(p.repeatLastN, 64)
        XCTAssertEqual(p.presencePenalty, 0)
        XCTAssertEqual(p.frequencyPenalty, 0)
        XCTAssertNil(p.seed)
        XCTAssertFalse(p.penaltiesEnabled)
        XCTAssertNoThrow(try p.validate())
    }

    func testValidationNamesTheParameter() {
        func failing(_ p: SamplingParameters) -> String? {
            do { try p.validate(); return nil } catch { return error.parameter }
        }
        XCTAssertEqual(failing(SamplingParameters(temperature: -1)), "temperature")
        XCTAssertEqual(failing(SamplingParameters(temperature: .nan)), "temperature")
        XCTAssertEqual(failing(SamplingParameters(topK: -1)), "topK")
        XCTAssertEqual(failing(SamplingParameters(topP: 1.5)), "topP")
        XCTAssertEqual(failing(SamplingParameters(minP: -0.1)), "minP")
        XCTAssertEqual(failing(SamplingParameters(repeatPenalty: 0)), "repeatPenalty")
        XCTAssertEqual(failing(SamplingParameters(repeatLastN: -5)), "repeatLastN")
        XCTAssertEqual(failing(SamplingParameters(presencePenalty: 3)), "presencePenalty")
        XCTAssertEqual(failing(SamplingParameters(frequencyPenalty: -2.5)), "frequencyPenalty")
        let many = SamplingParameters(topK: -1, minP: 2)
        XCTAssertEqual(many.problems.map(\.parameter), ["topK", "minP"])
        XCTAssertTrue(many.problems[0].description.contains("topK = -1"))
        XCTAssertThrowsError(try Sampler(parameters: SamplingParameters(topP: -1), vocabularySize: 4))
    }

    func testCodableFillsMissingKeysWithDefaults() throws {
        let json = #"{"temperature": 0.2, "seed": 7}"#
        let p = try JSONDecoder().decode(SamplingParameters.self, from: Data(json.utf8))
        XCTAssertEqual(p, SamplingParameters(temperature: 0.2, seed: 7))
        let back = try JSONDecoder().decode(SamplingParameters.self, from: JSONEncoder().encode(p))
        XCTAssertEqual(back, p)
    }
}
