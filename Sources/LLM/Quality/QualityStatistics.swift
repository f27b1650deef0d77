import Foundation

// Quality of a quantized model against a base model, as `llama-perplexity --kl-divergence`
// measures it (tools/perplexity/perplexity.cpp: `kl_divergence`, `log_softmax(..., kld)`):
// at every scored position, both models' next-token distributions and the actual next token.
//
// Per position, with p the base distribution and q the other's:
//   KLD       = sum over tokens with ln p > -16 of p * (ln p - ln q)   (llama.cpp skips the rest)
//   nll, nll_base = -ln q(target), -ln p(target)
//   Δp        = q(target) - p(target)
//   same top  = argmax q == argmax p (first index on ties)
// Means come with llama.cpp's uncertainty (sqrt(var / (n - 1)), zero for n <= 10), PPL is
// exp(mean nll), the PPL ratio exp(mean nll - mean nll_base) with the covariance of both.
// llama.cpp stores the base log-probabilities as 16-bit values (with their minimum clamped to
// max - 16); here they stay float, which differs from its figures by far less than they print.

/// The figures `llama-perplexity --kl-divergence` prints, for one model against a base.
public struct QualityStatistics: Sendable, Codable, Equatable {
    /// Scored positions.
    public var count: Int
    public var ppl: Double, pplError: Double
    public var basePPL: Double, basePPLError: Double
    /// Cor(ln PPL(Q), ln PPL(base)), 0...1.
    public var lnPPLCorrelation: Double
    /// Mean ln(PPL(Q)/PPL(base)) and its uncertainty.
    public var lnPPLRatio: Double, lnPPLRatioError: Double
    public var pplRatio: Double, pplRatioError: Double
    public var pplDifference: Double, pplDifferenceError: Double
    public var meanKLD: Double, meanKLDError: Double
    public var kld: Percentiles
    /// Mean Δp (a fraction, not %) and its uncertainty.
    public var meanDeltaP: Double, meanDeltaPError: Double
    public var deltaP: Percentiles
    public var rmsDeltaP: Double, rmsDeltaPError: Double
    /// Fraction of positions where both models' most likely token is the same.
    public var sameTop: Double, sameTopError: Double

    /// The percentiles llama-perplexity prints (Δp also prints 75% and 25%).
    public struct Percentiles: Sendable, Codable, Equatable {
        public var maximum: Double
        public var p99_9: Double, p99: Double, p95: Double, p90: Double, p75: Double
        public var median: Double
        public var p25: Double, p10: Double, p5: Double, p1: Double, p0_1: Double
        public var minimum: Double

        /// Of `values` (sorted in place), with llama.cpp's interpolation and median.
        public init(_ values: inout [Float]) {
            values.sort()
            func p(_ f: Float) -> Double { Double(QualityStatistics.percentile(sorted: values, f)) }
            maximum = Double(values.last ?? 0)
            p99_9 = p(0.999); p99 = p(0.990); p95 = p(0.950); p90 = p(0.900); p75 = p(0.750)
            let n = values.count
            median = n == 0 ? 0 : n % 2 == 0 ? Double(0.5 * (values[n / 2] + values[n / 2 - 1])) : Double(values[n / 2])
            p25 = p(0.250); p10 = p(0.100); p5 = p(0.050); p1 = p(0.010); p0_1 = p(0.001)
            minimum = Double(values.first ?? 0)
        }
    }

    /// llama-perplexity's percentile of sorted `values`: linear interpolation at
    /// `fraction * (n - 1)`, in float.
    public static func percentile(sorted values: [Float], _ fraction: Float) -> Float {
        guard !values.isEmpty else { return 0 }
        if fraction <= 0 { return values[0] }
        if fraction >= 1 { return values[values.count - 1] }
        var p = fraction * Float(values.count - 1)
        let ip = Int(p)
        p -= Float(ip)
        return (1 - p) * values[ip] + p * values[min(ip + 1, values.count - 1)]
    }
}

/// One base logit row made ready for comparisons: its log-softmax and most likely token.
/// Build it once and compare several models' rows against it.
public struct BaseDistribution: Sendable {
    /// ln p for every token.
    public private(set) var logProbs: [Float]
    /// First index of the largest probability.
    public private(set) var top: Int

    public init(logits: UnsafeBufferPointer<Float>) {
        logProbs = [Float](repeating: 0, count: logits.count)
        top = 0
        let (maxLogit, lse) = Self.logSumExp(logits)
        _ = maxLogit
        for i in 0 ..< logits.count {
            logProbs[i] = Float(Double(logits[i]) - lse)
            if logits[i] > logits[top] { top = i }
        }
    }

    public init(logits: [Float]) { self = logits.withUnsafeBufferPointer { BaseDistribution(logits: $0) } }

    /// (max logit, ln sum exp) with a double sum, as llama.cpp's `log_softmax`.
    static func logSumExp(_ x: UnsafeBufferPointer<Float>) -> (Float, Double) {
        var m = -Float.infinity
        for v in x { m = max(m, v) }
        var s = 0.0
        for v in x { s += Double(expf(v - m)) }
        return (m, Double(m) + log(s))
    }
}

/// Accumulates `QualityStatistics` position by position, in constant memory apart from one
/// float per position for each percentile list.
public struct QualityAccumulator: Sendable {
    var sumNLL = 0.0, sumNLL2 = 0.0
    var sumNLLBase = 0.0, sumNLLBase2 = 0.0, sumNLLNLLBase = 0.0
    var sumKLD = 0.0, sumKLD2 = 0.0
    var sumPDiff = 0.0, sumPDiff2 = 0.0, sumPDiff4 = 0.0
    var sameTop = 0
    public private(set) var count = 0
    var kldValues: [Float] = []
    var pDiffValues: [Float] = []

    public init() {}

    /// Adds one position: the base distribution, the other model's logits, and the actual
    /// next token. Returns this position's KL divergence.
    @discardableResult
    public mutating func add(base: BaseDistribution, other: UnsafeBufferPointer<Float>, target: Int) -> Double {
        precondition(other.count == base.logProbs.count, "base and other rows differ in vocabulary size")
        var imax = 0
        for i in 1 ..< other.count where other[i] > other[imax] { imax = i }
        let (_, lse) = BaseDistribution.logSumExp(other)
        let nll = lse - Double(other[target])
        let nllBase = -Double(base.logProbs[target])
        sumNLL += nll; sumNLL2 += nll * nll
        sumNLLBase += nllBase; sumNLLBase2 += nllBase * nllBase
        sumNLLNLLBase += nll * nllBase
        var kld = 0.0
        base.logProbs.withUnsafeBufferPointer { lp in
            for i in 0 ..< lp.count where lp[i] > -16 {
                let lpb = Double(lp[i])
                kld += exp(lpb) * (lpb - (Double(other[i]) - lse))
            }
        }
        sumKLD += kld; sumKLD2 += kld * kld
        count += 1
        if imax == base.top { sameTop += 1 }
        let pDiff = exp(-nll) - exp(-nllBase)
        sumPDiff += pDiff
        sumPDiff2 += pDiff * pDiff
        sumPDiff4 += pDiff * pDiff * pDiff * pDiff
        kldValues.append(Float(kld))
        pDiffValues.append(Float(pDiff))
        return kld
    }

    /// Convenience: both rows as logits.
    @discardableResult
    public mutating func add(baseLogits: [Float], otherLogits: [Float], target: Int) -> Double {
        let base = BaseDistribution(logits: baseLogits)
        return otherLogits.withUnsafeBufferPointer { add(base: base, other: $0, target: target) }
    }

    /// llama-perplexity's `mean_and_uncertainty`.
    static func meanAndUncertainty(_ sum: Double, _ sum2: Double, _ n: Int) -> (Double, Double) {
        guard n >= 1 else { return (0, 0) }
        let f = sum / Double(n)
        var df = sum2 / Double(n) - f * f
        df = df > 0 && n > 10 ? (df / Double(n - 1)).squareRoot() : 0
        return (f, df)
    }

    /// llama-perplexity's `covariance`.
    static func covariance(_ a: Double, _ b: Double, _ ab: Double, _ n: Int) -> Double {
        guard n >= 10 else { return 0 }
        return (ab / Double(n) - (a / Double(n)) * (b / Double(n))) / Double(n - 1)
    }

    public var statistics: QualityStatistics {
        let n = count
        let logPPL = Self.meanAndUncertainty(sumNLL, sumNLL2, n)
        let ppl = exp(logPPL.0), pplErr = ppl * logPPL.1
        let logBase = Self.meanAndUncertainty(sumNLLBase, sumNLLBase2, n)
        let base = exp(logBase.0), baseErr = base * logBase.1
        let cov = Self.covariance(sumNLL, sumNLLBase, sumNLLNLLBase, n)
        let cor = logPPL.1 * logBase.1 > 0 ? cov / (logPPL.1 * logBase.1) : 0
        let ratio = logPPL.0 - logBase.0
        let ratioErr = max(0, logPPL.1 * logPPL.1 + logBase.1 * logBase.1 - 2 * cov).squareRoot()
        let pplCov = ppl * base * cov
        let diffErr = max(0, pplErr * pplErr + baseErr * baseErr - 2 * pplCov).squareRoot()
        let kl = Self.meanAndUncertainty(sumKLD, sumKLD2, n)
        let pd = Self.meanAndUncertainty(sumPDiff, sumPDiff2, n)
        let mse = Self.meanAndUncertainty(sumPDiff2, sumPDiff4, n)
        let rms = mse.0.squareRoot()
        let top = n > 0 ? Double(sameTop) / Double(n) : 0
        var kv = kldValues, pv = pDiffValues
        return QualityStatistics(
            count: n, ppl: ppl, pplError: pplErr, basePPL: base, basePPLError: baseErr,
            lnPPLCorrelation: cor, lnPPLRatio: ratio, lnPPLRatioError: ratioErr,
            pplRatio: exp(ratio), pplRatioError: exp(ratio) * ratioErr,
            pplDifference: ppl - base, pplDifferenceError: diffErr,
            meanKLD: kl.0, meanKLDError: kl.1, kld: .init(&kv),
            meanDeltaP: pd.0, meanDeltaPError: pd.1, deltaP: .init(&pv),
            rmsDeltaP: rms, rmsDeltaPError: rms > 0 ? 0.5 / rms * mse.1 : 0,
            sameTop: top, sameTopError: n > 1 ? (top * (1 - top) / Double(n - 1)).squareRoot() : 0)
    }
}

extension QualityStatistics {
    /// The three blocks llama-perplexity prints at the end of a `--kl-divergence` run.
    public var llamaPerplexityReport: String {
        func f(_ v: Double) -> String { String(format: "%10.6f", v) }
        func pc(_ v: Double) -> String { String(format: "%6.3f%%", 100 * v) }
        var s = "====== Perplexity statistics ======\n"
        s += "Mean PPL(Q)                   : \(f(ppl)) ± \(f(pplError))\n"
        s += "Mean PPL(base)                : \(f(basePPL)) ± \(f(basePPLError))\n"
        s += String(format: "Cor(ln(PPL(Q)), ln(PPL(base))): %6.2f%%\n", 100 * lnPPLCorrelation)
        s += "Mean ln(PPL(Q)/PPL(base))     : \(f(lnPPLRatio)) ± \(f(lnPPLRatioError))\n"
        s += "Mean PPL(Q)/PPL(base)         : \(f(pplRatio)) ± \(f(pplRatioError))\n"
        s += "Mean PPL(Q)-PPL(base)         : \(f(pplDifference)) ± \(f(pplDifferenceError))\n\n"
        s += "====== KL divergence statistics ======\n"
        s += "Mean    KLD: \(f(meanKLD)) ± \(f(meanKLDError))\n"
        let k = kld
        for (name, v) in [("Maximum", k.maximum), ("99.9%  ", k.p99_9), ("99.0%  ", k.p99), ("95.0%  ", k.p95),
                          ("90.0%  ", k.p90), ("Median ", k.median), ("10.0%  ", k.p10), (" 5.0%  ", k.p5),
                          (" 1.0%  ", k.p1), (" 0.1%  ", k.p0_1), ("Minimum", k.minimum)] {
            s += "\(name) KLD: \(f(v))\n"
        }
        s += "\n====== Token probability statistics ======\n"
        s += String(format: "Mean    Δp: %6.3f ± %5.3f %%\n", 100 * meanDeltaP, 100 * meanDeltaPError)
        let d = deltaP
        for (name, v) in [("Maximum", d.maximum), ("99.9%  ", d.p99_9), ("99.0%  ", d.p99), ("95.0%  ", d.p95),
                          ("90.0%  ", d.p90), ("75.0%  ", d.p75), ("Median ", d.median), ("25.0%  ", d.p25),
                          ("10.0%  ", d.p10), (" 5.0%  ", d.p5), (" 1.0%  ", d.p1), (" 0.1%  ", d.p0_1), ("Minimum", d.minimum)] {
            s += "\(name) Δp: \(pc(v))\n"
        }
        s += String(format: "RMS Δp    : %6.3f ± %5.3f %%\n", 100 * rmsDeltaP, 100 * rmsDeltaPError)
        s += String(format: "Same top p: %6.3f ± %5.3f %%\n", 100 * sameTop, 100 * sameTopError)
        return s
    }
}
