import Foundation
import XCTest
@testable import LLM

/// The F16C attention kernels and the portable Swift attention agree on a real model, batched
/// and token by token, so the portable path stays tested on AVX2 machines.
///
/// Logits cannot be compared tightly: any change in float summation order can flip a rounding
/// in the Q8 activation quantization of the next matmul, which moves logits by up to a few
/// percent (the same holds between any two correct kernels). So the check is on what a user
/// sees: mean negative log-likelihood of the sequence and top-1 agreement. (Measured: batched
/// runs agree to 1e-4 in NLL and 24/24 top-1; token by token within 0.8% NLL.)
final class ModelAttentionKernelTests: XCTestCase {
    private static let ids: [Int32] = [1, 504, 3458, 282, 4649, 314, 253, 1345, 28, 502, 1130, 29,
                                       2070, 314, 260, 1789, 282, 4649, 30, 378, 1345, 253, 28, 29]

    /// Per-position logits for `ids`: batched when `batch`, else one token per call.
    private func logits(_ model: Model, simd: Bool, batch: Bool) throws -> [[Float]] {
        let session = InferenceSession(model: model, contextLength: 64, threads: 2, kernels: simd ? .simd : .portable)
        XCTAssertEqual(session.kernels, simd ? .simd : .portable)
        if batch { return try session.forwardAll(tokens: Self.ids) }
        return try Self.ids.map { try session.forward(tokens: [$0]) }
    }

    private func meanNLL(_ rows: [[Float]]) -> Double {
        var total = 0.0
        for (i, row) in rows.enumerated().dropLast() {
            let m = row.max()!
            let lse = Double(m) + log(row.reduce(0.0) { $0 + exp(Double($1 - m)) })
            total += lse - Double(row[Int(Self.ids[i + 1])])
        }
        return total / Double(rows.count - 1)
    }

    func testSIMDAttentionMatchesPortable() throws {
        guard ForwardKernels.simdAvailable else { throw XCTSkip("no F16C/AVX2 on this CPU") }
        for name in ["SmolLM2-135M-Instruct.Q4_1.gguf", "gemma-3-270m-q4_k_m.gguf"] {
            let model = try Model(path: try Fixtures.model(name))
            for batch in [true, false] {
                let a = try logits(model, simd: true, batch: batch), b = try logits(model, simd: false, batch: batch)
                let na = meanNLL(a), nb = meanNLL(b)
                let agree = zip(a, b).filter { x, y in x.indices.max { x[$0] < x[$1] } == y.indices.max { y[$0] < y[$1] } }.count
                print(String(format: "%@ batch=%d: mean NLL simd %.4f portable %.4f, top-1 agreement %d/%d", name, batch ? 1 : 0, na, nb, agree, a.count))
                XCTAssertEqual(na, nb, accuracy: 0.02 * nb, "\(name) batch=\(batch) mean NLL")
                // The ids are not text, so many positions are near-ties (18/24 for Gemma token by token).
                XCTAssertGreaterThanOrEqual(Double(agree), 0.6 * Double(a.count), "\(name) batch=\(batch) top-1 agreement")
            }
        }
    }

    /// The kernel choice belongs to the session: a SIMD and a portable session on one model,
    /// stepped in turn token by token, each give exactly what it gives alone (no switch is
    /// shared), and on the tiny models they agree closely with each other.
    func testSessionsWithDifferentKernelsRunSideBySide() throws {
        guard ForwardKernels.simdAvailable else { throw XCTSkip("no F16C/AVX2 on this CPU") }
        let ids: [Int32] = [1, 17, 42, 99, 3, 200, 7, 64]
        for name in ["tiny/tiny-llama-f32.gguf", "tiny/tiny-gemma3-f32.gguf"] {
            let model = try Model(path: try Fixtures.require(name).path)
            func alone(_ k: ForwardKernels) throws -> [[Float]] {
                let s = InferenceSession(model: model, contextLength: 32, threads: 2, kernels: k)
                return try ids.map { try s.forward(tokens: [$0]) }
            }
            let simdAlone = try alone(.simd), portableAlone = try alone(.portable)
            let a = InferenceSession(model: model, contextLength: 32, threads: 2, kernels: .simd)
            let b = InferenceSession(model: model, contextLength: 32, threads: 2, kernels: .portable)
            var simdTurns: [[Float]] = [], portableTurns: [[Float]] = []
            for id in ids {
                simdTurns.append(try a.forward(tokens: [id]))
                portableTurns.append(try b.forward(tokens: [id]))
            }
            XCTAssertEqual(simdTurns, simdAlone, "\(name): the SIMD session is unaffected by the portable one")
            XCTAssertEqual(portableTurns, portableAlone, "\(name): the portable session is unaffected by the SIMD one")
            for (x, y) in zip(simdTurns, portableTurns) {
                let scale = max(1, x.map(abs).max()!)
                XCTAssertLessThanOrEqual(zip(x, y).map { abs($0 - $1) }.max()!, 1e-3 * scale, "\(name): the two paths agree")
            }
        }
    }
}
