import GGUF
import Quant
import XCTest

/// Dot products: vecDot(weights, fromFloat(x)) against float dot products, on every ISA this CPU runs.
///
/// ## Tolerance (derived)
/// Let w_i be the dequantized weights, x_i the float activations, x̂_i the dequantized activations
/// (what `fromFloat` stored), D = Σ w_i x_i and D̂ = Σ w_i x̂_i (both in Double).
///
/// 1. Activation quantization, |D̂ - D| <= Σ |w_i| e_i with e_i >= |x̂_i - x_i|:
///    - Q8_0/Q8_1 (d = fp16(amax/127), q = round(x * 127/amax)): with δ = amax/127,
///      x̂ - x = δ(q - x/δ) + (d - δ) q, |q - x/δ| <= 1/2 + 127·2^-23 (two float roundings), and
///      |d - δ| <= δ(2^-11 + 2^-24) + 2^-25 (fp16 rounding, subnormal floor), δ <= 1.001 d + 2^-25, so
///      e_i = (1.001 d + 2^-25)(0.5 + 2^-16) + |q_i| ((1.001 d + 2^-25) 2^-10.9 + 2^-25).
///    - Q8_K (d = 1/iscale in f32): e_i = |d| (0.5 + 2^-16) + |q_i| |d| 2^-22.
///    - F16: e_i = |x_i| 2^-11 + 2^-25;  BF16: e_i = |x_i| 2^-8 + 2^-133;  F32: 0.
/// 2. Q8_1's s = fp16(d Σq) replaces d Σq in the min term m·s: tolS = Σ_blocks |m| (|s| 2^-10.9 + 2^-25).
///    That difference is known exactly, so D̂ below includes it: D̂ = Σ w_i x̂_i + Σ_b m_b (s_b - d_b Σq_b).
/// 3. Float rounding of the kernel (integer sums are exact): each block adds a handful of rounded
///    products to a running sum (or SIMD lanes), and each dequantized weight is itself rounded from
///    scale·q - min, so |vecDot - D̂ - (min-term error)| <= γ G with G = Σ (|w_i - o_i| + |o_i|)|x̂_i|
///    (o_i the weight's offset, -dmin·m or +m, 0 for symmetric formats) and
///    γ = (additions in the longest chain + 10) · 2^-23, the chain being n/blockSize blocks (n/8 for
///    scalar types, whose SIMD kernels keep >= 8 lanes and whose portable kernels sum in Double).
///
/// The tests assert |vecDot - D̂| <= tolF (tight: catches any kernel error bigger than
/// rounding) and |vecDot - D| <= tolQ + tolS + tolF; a kernel fed one perturbed activation must fail
/// the tight check.
final class DotTests: XCTestCase {
    static let weightTypes: [GGMLType] = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K,
                                          .iq4_nl, .iq4_xs, .iq3_xxs, .iq3_s, .iq2_xxs, .iq2_xs, .iq2_s, .iq1_s, .iq1_m,
                                          .tq1_0, .tq2_0, .mxfp4]

    /// Offsets of the fp16 "d" fields (set to powers of two in the exactness test) and of the one
    /// zeroed to expose the min part; nil for scalar types.
    static let scaleFields: [GGMLType: (d: [Int], zero: Int?)] = [
        .q4_0: ([0], nil), .q5_0: ([0], nil), .q8_0: ([0], nil),
        .q4_1: ([0, 2], 0), .q5_1: ([0, 2], 0),
        .q2_K: ([80, 82], 80), .q3_K: ([108], nil), .q4_K: ([0, 2], 0), .q5_K: ([0, 2], 0), .q6_K: ([208], nil),
        .iq4_nl: ([0], nil), .iq4_xs: ([0], nil), .iq3_xxs: ([0], nil), .iq3_s: ([0], nil), .iq2_xxs: ([0], nil),
        .iq2_xs: ([0], nil), .iq2_s: ([0], nil), .iq1_s: ([0], nil), .tq1_0: ([52], nil), .tq2_0: ([64], nil),
        // mxfp4 (an E8M0 byte): quantized dyadic rows instead; iq1_m (f16 spread over the scale words): see the exactness test.
    ]

    struct Bounds { var dHat: Double; var tolQ: Double; var tolS: Double; var tolF: Double; var exact: Double }

    /// Computes D̂, D and the three tolerances of the derivation above.
    static func bounds(type: GGMLType, weights: [UInt8], x: [Float], act: [UInt8]) -> Bounds {
        let k = QuantKernels.kernel(for: type, isa: .portable)!
        let ak = QuantKernels.kernel(for: k.vecDotType, isa: .portable)!
        let w = k.dequantize(weights)
        let xh = ak.dequantize(act)
        // Offsets o_i: dequantize with the scale field zeroed.
        var o = [Float](repeating: 0, count: w.count)
        if let z = scaleFields[type]?.zero {
            var wz = weights
            for b in stride(from: 0, to: wz.count, by: type.typeSize) { wz[b + z] = 0; wz[b + z + 1] = 0 }
            o = k.dequantize(wz)
        }
        var dHat = 0.0, exact = 0.0, tolQ = 0.0, g = 0.0
        for i in 0..<w.count {
            dHat += Double(w[i]) * Double(xh[i])
            exact += Double(w[i]) * Double(x[i])
            g += (abs(Double(w[i]) - Double(o[i])) + abs(Double(o[i]))) * abs(Double(xh[i]))
            tolQ += abs(Double(w[i])) * activationError(ak.type, act, x, i)
        }
        var tolS = 0.0
        if k.vecDotType == .q8_1 {
            for b in 0..<(w.count / 32) {
                let s = Double(fp16ToFloat(UInt16(act[36 * b + 2]) | UInt16(act[36 * b + 3]) << 8))
                let m = Double(fp16ToFloat(UInt16(weights[type.typeSize * b + 2]) | UInt16(weights[type.typeSize * b + 3]) << 8))
                tolS += abs(m) * (abs(s) * pow(2, -10.9) + pow(2, -25))
                // The format's own rounding of s is known exactly: fold it into D̂ so the tight check stays tight.
                let d = Double(fp16ToFloat(UInt16(act[36 * b]) | UInt16(act[36 * b + 1]) << 8))
                let sum = (0..<32).reduce(0.0) { $0 + Double(Int8(bitPattern: act[36 * b + 4 + $1])) }
                dHat += m * (s - d * sum)
            }
        }
        let chain = type.blockSize == 1 ? w.count / 8 : w.count / type.blockSize
        let tolF = Double(chain + 10) * pow(2, -23) * g
        return Bounds(dHat: dHat, tolQ: tolQ, tolS: tolS, tolF: tolF, exact: exact)
    }

    /// e_i of the derivation for element i of activations `act` quantized from `x`.
    static func activationError(_ t: GGMLType, _ act: [UInt8], _ x: [Float], _ i: Int) -> Double {
        func f16(_ o: Int) -> Double { Double(fp16ToFloat(UInt16(act[o]) | UInt16(act[o + 1]) << 8)) }
        switch t {
        case .q8_0, .q8_1:
            let size = t.typeSize, b = i / 32, qoff = t == .q8_0 ? 2 : 4
            let d = f16(size * b)
            let q = abs(Double(Int8(bitPattern: act[size * b + qoff + i % 32])))
            let delta = 1.001 * d + pow(2, -25)
            return delta * (0.5 + pow(2, -16)) + q * (delta * pow(2, -10.9) + pow(2, -25))
        case .q8_K:
            let b = i / 256
            let dbits = UInt32(act[292 * b]) | UInt32(act[292 * b + 1]) << 8 | UInt32(act[292 * b + 2]) << 16 | UInt32(act[292 * b + 3]) << 24
            let d = abs(Double(Float(bitPattern: dbits)))
            let q = abs(Double(Int8(bitPattern: act[292 * b + 4 + i % 256])))
            return d * (0.5 + pow(2, -16)) + q * d * pow(2, -22)
        case .f16: return abs(Double(x[i])) * pow(2, -11) + pow(2, -25)
        case .bf16: return abs(Double(x[i])) * pow(2, -8) + pow(2, -133)
        default: return 0
        }
    }

    /// The activation row with element i made visibly different (one quant step, or x2 for floats).
    static func perturb(_ t: GGMLType, _ act: [UInt8], _ i: Int) -> [UInt8] {
        var a = act
        switch t {
        case .q8_0, .q8_1, .q8_K:
            let off = t == .q8_0 ? 34 * (i / 32) + 2 + i % 32 : t == .q8_1 ? 36 * (i / 32) + 4 + i % 32 : 292 * (i / 256) + 4 + i % 256
            let q = Int8(bitPattern: a[off])
            a[off] = UInt8(bitPattern: q > 0 ? q - 1 : q + 1)
            if t == .q8_1 {   // keep s = fp16(d * Σq) consistent, as a real quantizer would
                let b = 36 * (i / 32)
                let d = fp16ToFloat(UInt16(a[b]) | UInt16(a[b + 1]) << 8)
                let sum = (0..<32).reduce(0) { $0 + Int(Int8(bitPattern: a[b + 4 + $1])) }
                let sBits = floatToFP16(d * Float(sum))
                a[b + 2] = UInt8(sBits & 0xFF); a[b + 3] = UInt8(sBits >> 8)
            }
        case .f16: a[2 * i + 1] &+= 0x04     // exponent + 1
        case .bf16: a[2 * i] &+= 0x80        // exponent + 1
        default: a[4 * i + 2] &+= 0x80; if a[4 * i + 2] < 0x80 { a[4 * i + 3] &+= 1 }   // exponent + 1
        }
        return a
    }

    /// Runs every check for one weight row and one activation row on every available ISA.
    func check(_ type: GGMLType, weightsFrom wf: [Float], x: [Float], label: String, file: StaticString = #filePath, line: UInt = #line) {
        let k = QuantKernels.kernel(for: type, isa: .portable)!
        let weights = k.quantize(wf)
        let act = QuantKernels.kernel(for: k.vecDotType, isa: .portable)!.quantizeActivations(x)
        let b = Self.bounds(type: type, weights: weights, x: x, act: act)
        let portable = k.vecDot(count: x.count, weights: weights, activations: act)
        for isa in QuantISA.allCases where isa.isAvailable {
            let kk = QuantKernels.kernel(for: type, isa: isa)!
            // fromFloat must not depend on the ISA.
            let a2 = QuantKernels.kernel(for: k.vecDotType, isa: isa)!.quantizeActivations(x)
            XCTAssertEqual(a2, act, "\(label) \(type) \(isa): fromFloat differs from portable", file: file, line: line)
            let v = Double(kk.vecDot(count: x.count, weights: weights, activations: act))
            XCTAssertLessThanOrEqual(abs(v - b.dHat), b.tolF,
                                     "\(label) \(type) \(isa): |vecDot - D̂| = \(abs(v - b.dHat)) (vecDot \(v), D̂ \(b.dHat))", file: file, line: line)
            XCTAssertLessThanOrEqual(abs(v - b.exact), b.tolQ + b.tolS + b.tolF,
                                     "\(label) \(type) \(isa): |vecDot - D| = \(abs(v - b.exact)) > \(b.tolQ + b.tolS + b.tolF)", file: file, line: line)
            XCTAssertLessThanOrEqual(abs(v - Double(portable)), 2 * b.tolF,
                                     "\(label) \(type) \(isa): SIMD vs portable", file: file, line: line)
        }
    }

    static func gaussianRow(_ n: Int, _ g: inout SplitMix64, scale: Float = 1) -> [Float] {
        (0..<n).map { _ in
            let u1 = Float.random(in: Float.ulpOfOne..<1, using: &g), u2 = Float.random(in: 0..<1, using: &g)
            return scale * (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
        }
    }

    func testSIMDPathsAreSelected() {
        print("QuantTests: best ISA on this CPU = \(QuantISA.best)")
        for isa in QuantISA.allCases where isa.isAvailable {
            XCTAssertEqual(QuantKernels.kernel(for: .q4_K, isa: isa)?.isa, isa)
            // The non-linear 4-bit formats have C kernels above portable (the others keep Swift's).
            for t in [GGMLType.iq4_nl, .iq4_xs, .mxfp4] {
                XCTAssertEqual(QuantKernels.kernel(for: t, isa: isa)?.cVecDot != nil, isa > .portable, "\(t) \(isa)")
            }
        }
        #if arch(x86_64)
        XCTAssertGreaterThan(QuantISA.best, .portable, "expected AVX2 or better on x86_64 test machines")
        #endif
    }

    func testRandomRows() {
        var g = SplitMix64(seed: 42)
        for n in [96, 100, 256, 512, 1536] {   // 96: odd block count (unrolled loops' tails); 100: scalar tails
            for type in Self.weightTypes where n % type.blockSize == 0 {
                for r in 0..<3 {
                    let w = Self.gaussianRow(n, &g, scale: 0.05)
                    var x = Self.gaussianRow(n, &g, scale: 2)
                    if r == 1 { x[n / 3] = 40 }          // an outlier activation
                    if r == 2 { for i in 0..<n where i % 7 != 0 { x[i] = 0 } }  // sparse activations
                    check(type, weightsFrom: w, x: x, label: "random n=\(n) r=\(r)")
                }
            }
        }
    }

    func testFixtureRows() throws {
        for input in Fixtures.inputs {
            let m = try Fixtures.input(input.name)
            var g = SplitMix64(seed: 7)
            for r in 0..<input.rows {
                let w = Array(m[(r * input.cols)..<((r + 1) * input.cols)])
                // Activations: another fixture row, and a random row.
                let other = Array(m[(((r + 1) % input.rows) * input.cols)..<((((r + 1) % input.rows) + 1) * input.cols)])
                for type in Self.weightTypes {
                    check(type, weightsFrom: w, x: other, label: "\(input.name) row \(r) x row \(r + 1)")
                    check(type, weightsFrom: w, x: Self.gaussianRow(input.cols, &g), label: "\(input.name) row \(r) x random")
                }
            }
        }
    }

    /// A kernel that is off by a single activation quant must fail the tight check.
    func testPerturbedKernelIsCaught() {
        var g = SplitMix64(seed: 99)
        for type in Self.weightTypes {
            let n = 512
            let k = QuantKernels.kernel(for: type, isa: .portable)!
            let weights = k.quantize(Self.gaussianRow(n, &g, scale: 0.05))
            let x = Self.gaussianRow(n, &g)
            let act = QuantKernels.kernel(for: k.vecDotType, isa: .portable)!.quantizeActivations(x)
            let b = Self.bounds(type: type, weights: weights, x: x, act: act)
            let w = k.dequantize(weights)
            let i = w.indices.max { abs(w[$0] * x[$0]) < abs(w[$1] * x[$1]) }!
            for isa in QuantISA.allCases where isa.isAvailable {
                let kk = QuantKernels.kernel(for: type, isa: isa)!
                let bad = Double(kk.vecDot(count: n, weights: weights, activations: Self.perturb(k.vecDotType, act, i)))
                XCTAssertGreaterThan(abs(bad - b.dHat), b.tolF, "\(type) \(isa): perturbed kernel not caught")
            }
        }
    }

    /// With power-of-two scales and small integers everything is exact: vecDot must equal the
    /// integer reference Σ W_i X_i exactly, on every ISA.
    func testExactActivationsGiveIntegerReference() {
        var g = SplitMix64(seed: 5)
        for type in Self.weightTypes {
            let n = 512
            let k = QuantKernels.kernel(for: type, isa: .portable)!
            // Weights: random bytes with power-of-two scale fields (or small dyadic floats).
            var weights: [UInt8]
            if let fields = Self.scaleFields[type] {
                weights = (0..<k.rowBytes(n)!).map { _ in UInt8.random(in: 0...255, using: &g) }
                for b in stride(from: 0, to: weights.count, by: type.typeSize) {
                    for f in fields.d { weights[b + f] = 0x00; weights[b + f + 1] = 0x2C }   // 2^-4
                }
            } else if type == .iq1_m {
                // Random bytes with the f16 super-scale (the top nibbles of the four scale words) set to 2^-4 (0x2C00).
                weights = (0..<k.rowBytes(n)!).map { _ in UInt8.random(in: 0...255, using: &g) }
                for b in stride(from: 0, to: weights.count, by: type.typeSize) {
                    for (w, nibble) in zip([49, 51, 53, 55], [UInt8(0x0), 0x0, 0xC, 0x2]) { weights[b + w] = weights[b + w] & 0x0F | nibble << 4 }
                }
            } else {
                weights = k.quantize((0..<n).map { _ in Float(Int.random(in: -64...64, using: &g)) / 64 })
            }
            // Activations x = 2^-7 * q with q in -3...3 and one ±127 per 32 (so the quantizer recovers q, d exactly).
            var x = (0..<n).map { _ in Float(Int.random(in: -3...3, using: &g)) / 128 }
            for i in stride(from: 0, to: n, by: 32) { x[i + Int.random(in: 0..<32, using: &g)] = Bool.random(using: &g) ? 127.0 / 128 : -127.0 / 128 }
            let act = QuantKernels.kernel(for: k.vecDotType, isa: .portable)!.quantizeActivations(x)
            let xh = QuantKernels.kernel(for: k.vecDotType, isa: .portable)!.dequantize(act)
            XCTAssertEqual(xh, x, "\(type): activations not recovered exactly")
            let w = k.dequantize(weights)
            var ref = 0.0
            for i in 0..<n { ref += Double(w[i]) * Double(x[i]) }
            XCTAssertEqual(Double(Float(ref)), ref, "\(type): reference not representable")
            for isa in QuantISA.allCases where isa.isAvailable {
                let v = QuantKernels.kernel(for: type, isa: isa)!.vecDot(count: n, weights: weights, activations: act)
                XCTAssertEqual(Double(v), ref, "\(type) \(isa): vecDot \(v) != integer reference \(ref)")
            }
        }
    }
}
