import XCTest
@testable import Quant

/// The lane-parallel K-quant scale searches give bit-identical results to the scalar ports of
/// ggml's `make_qx_quants` / `make_qkx2_quants` (which the block fixtures pin to ggml).
final class QuantizerSearchTests: XCTestCase {

    /// Groups of `n` values of many shapes: near-normal, outliers, constant, zero, one-signed,
    /// tiny, huge, sparse, ramps.
    private func groups(_ n: Int, count: Int, seed: UInt64) -> [[Float]] {
        var rng = SplitMix64(seed: seed)
        func u() -> Float { Float(Double(rng.next() >> 11) / Double(1 << 53)) }
        var out: [[Float]] = []
        for g in 0..<count {
            let scale: Float = [1e-3, 0.02, 1, 300, 1e-20][g % 5]
            var v: [Float]
            switch g % 11 {
            case 0: v = Array(repeating: 0, count: n)
            case 1: v = Array(repeating: scale * 0.7, count: n)
            case 2: v = (0..<n).map { _ in u() * scale }                      // one-signed positive
            case 3: v = (0..<n).map { _ in -u() * scale }                     // one-signed negative
            case 4: v = (0..<n).map { Float($0) * scale / Float(n) - scale / 3 }
            case 5: v = (0..<n).map { _ in rng.next() % 5 == 0 ? (u() - 0.5) * scale : 0 }
            case 6: v = (0..<n).map { _ in (u() - 0.5) * scale }; v[Int(rng.next() % UInt64(n))] = 20 * scale
            default: v = (0..<n).map { _ in (u() + u() + u() + u() - 2) * scale }
            }
            out.append(v)
        }
        return out
    }

    func testQkx2LanesMatchScalar() {
        // (n, nmax, rmin, rdelta, nstep, useMad): Q4_K, Q5_K, Q2_K, and odd step counts.
        let configs: [(Int, Int32, Float, Float, Int, Bool)] = [
            (32, 15, -1, 0.1, 20, false), (32, 31, -0.5, 0.1, 15, false), (16, 3, -0.5, 0.1, 15, true),
            (32, 15, -1, 0.1, 0, false), (32, 15, -1, 0.1, 7, false), (16, 3, -0.5, 0.1, 9, true),
        ]
        var mismatches = 0, winners = 0
        for (c, cfg) in configs.enumerated() {
            let (n, nmax, rmin, rdelta, nstep, useMad) = cfg
            for (g, x) in groups(n, count: 3000, seed: UInt64(c + 1)).enumerated() {
                // The weights the K-quants use: Q4_K/Q5_K av_x + |x|, Q2_K |x|.
                let sumX2 = x.reduce(0) { $0 + $1 * $1 }
                let avX = (sumX2 / Float(n)).squareRoot()
                let w = x.map { useMad ? abs($0) : avX + abs($0) }
                var l1 = [UInt8](repeating: 0, count: n), l2 = l1, aux = l1
                var m1: Float = 0, m2: Float = 0
                let s1 = makeQkx2QuantsScalar(n, nmax, x, w, &l1, &m1, &aux, rmin: rmin, rdelta: rdelta, nstep: nstep, useMad: useMad)
                let s2 = makeQkx2QuantsLanes(n, nmax, x, w, &l2, &m2, rmin: rmin, rdelta: rdelta, nstep: nstep, useMad: useMad)
                if s1.bitPattern != s2.bitPattern || m1.bitPattern != m2.bitPattern || l1 != l2 {
                    mismatches += 1
                    if mismatches < 5 { XCTFail("config \(c) group \(g): scalar \(s1) \(m1) \(l1), lanes \(s2) \(m2) \(l2)") }
                }
                if s1 != 1 / (Float(nmax) / (x.max()! - Swift.min(0, x.min()!))) { winners += 1 }
            }
        }
        XCTAssertEqual(mismatches, 0)
        XCTAssertGreaterThan(winners, 1000, "the search picked a candidate scale in many groups")
    }

    func testQxRmse1LanesMatchScalar() {
        var mismatches = 0
        for nmax: Int32 in [32, 4, 16] {
            for (g, x) in groups(16, count: 5000, seed: UInt64(nmax)).enumerated() {
                var l1 = [Int8](repeating: 0, count: 16), l2 = l1
                let s1 = makeQxQuantsScalar(16, nmax, x, &l1, rmseType: 1)
                let s2 = makeQxQuantsRmse1Lanes(16, nmax, x, &l2)
                if s1.bitPattern != s2.bitPattern || l1 != l2 {
                    mismatches += 1
                    if mismatches < 5 { XCTFail("nmax \(nmax) group \(g): scalar \(s1) \(l1), lanes \(s2) \(l2)") }
                }
            }
        }
        XCTAssertEqual(mismatches, 0)
    }
}

/// The inline `roundf` used by Q8_0's reference quantizer.
final class QuantizerRoundingTests: XCTestCase {
    func testRoundHalfAwayFromZeroIsRoundf() {
        var checked = 0
        func check(_ v: Float) {
            let a = roundHalfAwayFromZero(v), b = v.rounded(.toNearestOrAwayFromZero)
            if a.bitPattern != b.bitPattern && !(a.isNaN && b.isNaN) { XCTFail("\(v): \(a) vs roundf \(b)") }
            checked += 1
        }
        // Every float with a stride (both signs, all exponents), then ties and their neighbours.
        for bits in stride(from: UInt32(0), through: UInt32.max - 1, by: 4099) { check(Float(bitPattern: bits)) }
        for k in -300...300 {
            let t = Float(k) + 0.5
            for v in [t, t.nextUp, t.nextDown, Float(k), Float(k).nextUp, Float(k).nextDown] { check(v) }
        }
        for v: Float in [0, -0, .infinity, -.infinity, .nan, 8388607.5, 8388608, -8388607.5, 4194303.5, 0.49999997, -0.49999997,
                         .greatestFiniteMagnitude, .leastNonzeroMagnitude, -.leastNormalMagnitude] { check(v) }
        XCTAssertGreaterThan(checked, 1_000_000)
    }
}
