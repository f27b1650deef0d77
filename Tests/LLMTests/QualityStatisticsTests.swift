import Foundation
import XCTest
@testable import LLM

/// `QualityAccumulator` on hand-made distributions with answers worked out by hand.
final class QualityStatisticsTests: XCTestCase {
    func testIdenticalDistributionsAreZeroDivergence() {
        var acc = QualityAccumulator()
        let rows: [[Float]] = [[1, 2, 3, 0], [5, -1, 0, 0], [0, 0, 0, 9]]
        for (i, r) in rows.enumerated() { acc.add(baseLogits: r, otherLogits: r, target: i) }
        let s = acc.statistics
        XCTAssertEqual(s.count, 3)
        // The base log-probabilities are kept as floats: zero within float rounding.
        XCTAssertEqual(s.meanKLD, 0, accuracy: 1e-6)
        XCTAssertEqual(s.sameTop, 1)
        XCTAssertEqual(s.pplRatio, 1, accuracy: 1e-6)
        XCTAssertEqual(s.lnPPLRatio, 0, accuracy: 1e-6)
        XCTAssertEqual(s.rmsDeltaP, 0, accuracy: 1e-6)
        XCTAssertEqual(s.ppl / s.basePPL, 1, accuracy: 1e-6)
    }

    func testTwoTokenDistributionByHand() {
        // base p = (1/2, 1/2); other q = (3/4, 1/4); the next token is 0.
        var acc = QualityAccumulator()
        let kld = acc.add(baseLogits: [0, 0], otherLogits: [Float(log(0.75)), Float(log(0.25))], target: 0)
        let expected = 0.5 * log(0.5 / 0.75) + 0.5 * log(0.5 / 0.25)   // 0.143841
        XCTAssertEqual(kld, expected, accuracy: 1e-6)
        let s = acc.statistics
        XCTAssertEqual(s.meanKLD, expected, accuracy: 1e-6)
        XCTAssertEqual(s.meanKLDError, 0, "llama.cpp gives no uncertainty for 10 or fewer positions")
        XCTAssertEqual(s.ppl, 1 / 0.75, accuracy: 1e-6)
        XCTAssertEqual(s.basePPL, 2, accuracy: 1e-6)
        XCTAssertEqual(s.pplRatio, (1 / 0.75) / 2, accuracy: 1e-6)
        XCTAssertEqual(s.lnPPLRatio, log(0.5 / 0.75), accuracy: 1e-6)
        XCTAssertEqual(s.meanDeltaP, 0.25, accuracy: 1e-6)
        XCTAssertEqual(s.rmsDeltaP, 0.25, accuracy: 1e-6)
        XCTAssertEqual(s.sameTop, 1, "a tie in the base goes to the first index, as in llama.cpp")
    }

    func testSameTopCountsDisagreements() {
        var acc = QualityAccumulator()
        acc.add(baseLogits: [2, 1, 0], otherLogits: [2, 1, 0], target: 0)
        acc.add(baseLogits: [2, 1, 0], otherLogits: [1, 2, 0], target: 1)
        acc.add(baseLogits: [0, 0, 5], otherLogits: [0, 0, 4], target: 2)
        acc.add(baseLogits: [0, 3, 0], otherLogits: [4, 3, 0], target: 1)
        XCTAssertEqual(acc.statistics.sameTop, 0.5)
        XCTAssertEqual(acc.statistics.sameTopError, (0.25 / 3).squareRoot(), accuracy: 1e-12)
    }

    func testTokensBelowMinus16AreSkippedLikeLlamaCpp() {
        // Token 2 has ln p = -40 under the base: its term is left out even though q puts mass there.
        let base: [Float] = [0, 0, -40]
        let other: [Float] = [0, 0, 0]
        var acc = QualityAccumulator()
        let kld = acc.add(baseLogits: base, otherLogits: other, target: 0)
        let lpb = log(0.5) - log1p(exp(-40.0) / 2)     // ≈ ln 1/2
        let expected = 2 * 0.5 * (lpb - log(1.0 / 3))   // only tokens 0 and 1
        XCTAssertEqual(kld, expected, accuracy: 1e-6)
    }

    func testMeansUncertaintiesAndPercentilesMatchDirectFormulas() {
        // 200 positions of a 3-token vocabulary; KLD, nll and Δp computed here directly.
        var acc = QualityAccumulator()
        var klds: [Double] = [], nll: [Double] = [], nllBase: [Double] = [], pd: [Double] = []
        var seed: UInt64 = 12345
        func next() -> Float {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Float(seed >> 40) / Float(1 << 24) * 4 - 2
        }
        for i in 0 ..< 200 {
            let b: [Float] = [next(), next(), next()]
            let o: [Float] = b.map { $0 + next() * 0.3 }
            let t = i % 3
            acc.add(baseLogits: b, otherLogits: o, target: t)
            func probs(_ x: [Float]) -> [Double] {
                let e = x.map { exp(Double($0)) }; let s = e.reduce(0, +); return e.map { $0 / s }
            }
            let p = probs(b), q = probs(o)
            klds.append(zip(p, q).reduce(0) { $0 + $1.0 * log($1.0 / $1.1) })
            nll.append(-log(q[t])); nllBase.append(-log(p[t])); pd.append(q[t] - p[t])
        }
        let s = acc.statistics
        let n = Double(klds.count)
        func meanErr(_ v: [Double]) -> (Double, Double) {
            let m = v.reduce(0, +) / n
            let varr = v.map { $0 * $0 }.reduce(0, +) / n - m * m
            return (m, (varr / (n - 1)).squareRoot())
        }
        let k = meanErr(klds)
        XCTAssertEqual(s.meanKLD, k.0, accuracy: 1e-6)
        XCTAssertEqual(s.meanKLDError, k.1, accuracy: 1e-6)
        let l = meanErr(nll), lb = meanErr(nllBase)
        XCTAssertEqual(s.ppl, exp(l.0), accuracy: 1e-6)
        XCTAssertEqual(s.pplError, exp(l.0) * l.1, accuracy: 1e-6)
        XCTAssertEqual(s.basePPL, exp(lb.0), accuracy: 1e-6)
        let cov = (zip(nll, nllBase).map { $0 * $1 }.reduce(0, +) / n - l.0 * lb.0) / (n - 1)
        XCTAssertEqual(s.lnPPLRatio, l.0 - lb.0, accuracy: 1e-6)
        XCTAssertEqual(s.lnPPLRatioError, (l.1 * l.1 + lb.1 * lb.1 - 2 * cov).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(s.pplRatio, exp(l.0 - lb.0), accuracy: 1e-6)
        XCTAssertEqual(s.lnPPLCorrelation, cov / (l.1 * lb.1), accuracy: 1e-6)
        XCTAssertEqual(s.rmsDeltaP, (pd.map { $0 * $0 }.reduce(0, +) / n).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(s.meanDeltaP, pd.reduce(0, +) / n, accuracy: 1e-6)
        let sorted = klds.sorted()
        XCTAssertEqual(s.kld.maximum, sorted.last!, accuracy: 1e-6)
        XCTAssertEqual(s.kld.minimum, sorted.first!, accuracy: 1e-6)
        XCTAssertEqual(s.kld.median, (sorted[99] + sorted[100]) / 2, accuracy: 1e-6)
        // 0.9 * 199 = 179.1: 0.9 of the way... interpolated between the 180th and 181st values.
        XCTAssertEqual(s.kld.p90, 0.9 * sorted[179] + 0.1 * sorted[180], accuracy: 1e-5)
        XCTAssertTrue(s.kld.p99 <= s.kld.p99_9 && s.kld.p95 <= s.kld.p99 && s.kld.p1 <= s.kld.p5)
    }

    func testPercentileInterpolationAndEdges() {
        let v = (0 ... 100).map(Float.init)
        XCTAssertEqual(QualityStatistics.percentile(sorted: v, 0.999), 99.9, accuracy: 1e-4)
        XCTAssertEqual(QualityStatistics.percentile(sorted: v, 0.5), 50)
        XCTAssertEqual(QualityStatistics.percentile(sorted: v, 0.001), 0.1, accuracy: 1e-4)
        XCTAssertEqual(QualityStatistics.percentile(sorted: v, 0), 0)
        XCTAssertEqual(QualityStatistics.percentile(sorted: v, 1), 100)
        XCTAssertEqual(QualityStatistics.percentile(sorted: [], 0.5), 0)
        var odd: [Float] = [3, 1, 2]
        XCTAssertEqual(QualityStatistics.Percentiles(&odd).median, 2)
        var even: [Float] = [4, 1, 2, 3]
        XCTAssertEqual(QualityStatistics.Percentiles(&even).median, 2.5)
    }

    func testReportHasLlamaPerplexityLines() {
        var acc = QualityAccumulator()
        for i in 0 ..< 20 { acc.add(baseLogits: [0, 1, 2], otherLogits: [0, 1.1, 1.9], target: i % 3) }
        let r = acc.statistics.llamaPerplexityReport
        for line in ["Mean PPL(Q)", "Mean ln(PPL(Q)/PPL(base))", "Mean    KLD:", "99.9%   KLD:", "Median  KLD:",
                     " 0.1%   KLD:", "RMS Δp    :", "Same top p: 100.000"] {
            XCTAssertTrue(r.contains(line), "missing \(line) in\n\(r)")
        }
    }
}
