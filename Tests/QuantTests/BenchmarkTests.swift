import Foundation
import GGUF
import Quant
import XCTest

/// Prints per-row timings of vecDot and fromFloat on every available ISA. Does nothing unless
/// QUANT_BENCH=1 (run it with `swift test -c release --filter BenchmarkTests`); never asserts speed.
final class BenchmarkTests: XCTestCase {
    func testPrintKernelSpeeds() {
        guard ProcessInfo.processInfo.environment["QUANT_BENCH"] == "1" else { return }
        let n = 4096, rows = 256
        var g = SplitMix64(seed: 1)
        let x = (0..<n).map { _ in Float.random(in: -1...1, using: &g) }
        for type in [GGMLType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .f16, .bf16, .f32] {
            let k0 = QuantKernels.kernel(for: type, isa: .portable)!
            let w = k0.quantize((0..<(n * rows)).map { _ in Float.random(in: -1...1, using: &g) })
            let act = QuantKernels.kernel(for: k0.vecDotType, isa: .portable)!.quantizeActivations(x)
            let rowBytes = k0.rowBytes(n)!
            var line = "\(type.name.padding(toLength: 5, withPad: " ", startingAt: 0)) vecDot ns/row(4096):"
            var base = 0.0
            for isa in QuantISA.allCases where isa.isAvailable {
                let k = QuantKernels.kernel(for: type, isa: isa)!
                var best = Double.infinity
                var sink: Float = 0
                w.withUnsafeBytes { wp in act.withUnsafeBytes { ap in
                    for _ in 0..<25 {
                        let t0 = DispatchTime.now().uptimeNanoseconds
                        for r in 0..<rows { sink += k.vecDot(n, wp.baseAddress! + r * rowBytes, ap.baseAddress!) }
                        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / Double(rows))
                    }
                } }
                if isa == .portable { base = best }
                line += String(format: "  %@ %.0f (x%.1f)", isa.description, best, base / best)
                if sink.isNaN { print("nan") }
            }
            print(line)
        }
        for type in [GGMLType.q8_0, .q8_1, .q8_K] {
            var line = "\(type.name.padding(toLength: 5, withPad: " ", startingAt: 0)) fromFloat ns/row(4096):"
            var base = 0.0
            for isa in QuantISA.allCases where isa.isAvailable {
                let k = QuantKernels.kernel(for: type, isa: isa)!
                var out = [UInt8](repeating: 0, count: k.rowBytes(n)!)
                var best = Double.infinity
                x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBytes { op in
                    for _ in 0..<25 {
                        let t0 = DispatchTime.now().uptimeNanoseconds
                        for _ in 0..<64 { k.fromFloat(xp.baseAddress!, op.baseAddress!, n) }
                        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 64)
                    }
                } }
                if isa == .portable { base = best }
                line += String(format: "  %@ %.0f (x%.1f)", isa.description, best, base / best)
            }
            print(line)
        }
    }
}
