import Foundation
import XCTest
import TestSupport
import GGUF
import Quant

/// The quantizer on SmolLM2-135M (576-wide rows): llama-quantize's per-tensor types and file
/// sizes from the quantize-plan fixtures, timings, and gguf-py reading the output.
/// Heavy: run with `swift test -c release -Xswiftc -enable-testing --filter QuantizerSmolLM2Tests`.
final class QuantizerSmolLM2Tests: XCTestCase {

    private let levels: [QuantizationLevel] = [.q4_K_M, .q5_K_M, .q8_0]

    /// Unoptimized builds take minutes here (the plan itself is checked in QuantizationPlanTests,
    /// which is fast): skip unless QUANTTY_HEAVY=1.
    override func setUpWithError() throws {
        #if DEBUG
        if ProcessInfo.processInfo.environment["QUANTTY_HEAVY"] != "1" {
            print("skip: QuantizerSmolLM2Tests quantize a 135M model; run them with `swift test -c release -Xswiftc -enable-testing --filter QuantizerSmolLM2Tests` (or QUANTTY_HEAVY=1)")
            throw XCTSkip("heavy test in a debug build")
        }
        #endif
    }

    private func check(_ out: String, against level: QuantizationLevel, file: StaticString = #filePath, line: UInt = #line) throws {
        let fx = try QuantizerData.planFixture(level.name)
        let q = try GGUFFile(path: out)
        XCTAssertEqual(q.tensors.map(\.name), fx.types.map(\.name), "\(level): tensor order", file: file, line: line)
        let mismatches = zip(q.tensors, fx.types).filter { $0.type.description != $1.type }.map { "\($0.name): \($0.type) vs \($1.type)" }
        XCTAssertEqual(mismatches, [], "\(level): types differ from llama-quantize's", file: file, line: line)
        XCTAssertEqual(q.fileSize, fx.fileBytes, "\(level): file size", file: file, line: line)
        XCTAssertEqual(q.metadata["general.file_type"]?.intValue, fx.fileType, file: file, line: line)
        XCTAssertEqual(q.metadata["general.quantization_version"], .uint32(2), file: file, line: line)
    }

    /// The F32 copy, then Q4_K_M, Q5_K_M and Q8_0 from it: every tensor's type and the file size
    /// are llama-quantize's; converted tensors are the reference quantization of the source.
    func testFixtureLevelsFromF32() throws {
        let t0 = Date()
        let f32 = try QuantizerData.smolLM2F32()
        print(String(format: "SmolLM2 dequantized to F32 in %.2f s (or cached)", Date().timeIntervalSince(t0)))
        let source = try GGUFFile(path: f32)
        XCTAssertEqual(source.metadata["general.file_type"], .uint32(0))
        XCTAssertTrue(source.tensors.allSatisfy { $0.type == .f32 })
        let dir = try quantizerTemporaryDirectory(self)
        for level in levels {
            let out = "\(dir)/smollm2-\(level).gguf"
            let r = try ModelQuantizer().quantize(f32, to: out, level: level)
            print(String(format: "SmolLM2 F32 -> %@: %.2f s, %d bytes, %d threads", level.name, r.seconds, r.fileSize, ModelQuantizer.defaultThreadCount))
            try check(out, against: level)
            XCTAssertEqual(r.warnings.count, level == .q8_0 ? 0 : 1, "\(r.warnings)")
            // Spot-check bytes: one tensor of each converted type against one-thread reference quantization.
            let q = try GGUFFile(path: out)
            var seen = Set<GGMLType>()
            for t in q.tensors where t.type != .f32 && seen.insert(t.type).inserted {
                let k = try XCTUnwrap(QuantKernels.kernel(for: t.type))
                let x = Array(source.tensorData(source.tensorInfo(t.name)!).bindMemory(to: Float.self))
                XCTAssertEqual(Array(q.tensorData(t)), k.quantize(x), "\(level) \(t.name) (\(t.type))")
            }
        }
    }

    /// Requantizing the Q4_1 file (allowed, with a warning) gives the same types and sizes.
    func testFixtureLevelsFromQ4_1() throws {
        let src = try QuantizerData.realModel(QuantizerData.smolLM2)
        let dir = try quantizerTemporaryDirectory(self)
        XCTAssertThrowsError(try ModelQuantizer().quantize(src, to: dir + "/refused.gguf", level: .q8_0)) { e in
            guard case .requantizeNotAllowed(let p, _, .q4_1, _)? = e as? ModelQuantizerError else { return XCTFail("\(e)") }
            XCTAssertEqual(p, src)
        }
        for level in levels {
            let out = "\(dir)/smollm2-q41-\(level).gguf"
            let r = try ModelQuantizer(allowRequantize: true).quantize(src, to: out, level: level)
            print(String(format: "SmolLM2 Q4_1 -> %@: %.2f s, %d bytes", level.name, r.seconds, r.fileSize))
            XCTAssertTrue(r.warnings.contains { $0.contains("requantizing") && $0.contains("Q4_1") }, "\(r.warnings)")
            try check(out, against: level)
        }
    }

    /// llama.cpp's Python reader (gguf-py) reads the Q8_0 file: metadata, tensor types and
    /// shapes, and dequantized values close to the F32 source.
    func testPythonGGUFReadsQ8_0() throws {
        let r = try? runProcess(["python3", "-c", "import gguf, numpy"])
        guard let r, r.status == 0 else {
            let lines = r?.output.split(separator: "\n").map(String.init) ?? ["python3 not found"]
            let why = lines.last(where: { $0.contains("Error") }) ?? lines.last ?? "exit status \(r?.status ?? -1)"
            print("skip: python's gguf package is not importable (\(why)); install it with: python3 -m pip install gguf")
            throw TestEnvironment.missing("python gguf not importable: \(why)")
        }
        let f32 = try QuantizerData.smolLM2F32()
        let dir = try quantizerTemporaryDirectory(self)
        let out = dir + "/smollm2-q8_0.gguf"
        _ = try ModelQuantizer().quantize(f32, to: out, level: .q8_0)
        let script = """
        import sys, json, numpy as np
        from gguf import GGUFReader
        from gguf.quants import dequantize
        q = GGUFReader(sys.argv[1]); s = GGUFReader(sys.argv[2])
        ft = q.fields["general.file_type"]; qv = q.fields["general.quantization_version"]
        src = {t.name: t for t in s.tensors}
        worst = 0.0
        for t in q.tensors:
            if t.tensor_type.name not in ("Q8_0", "F32"): raise SystemExit("unexpected type %s for %s" % (t.tensor_type.name, t.name))
            x = np.asarray(src[t.name].data, dtype=np.float32).reshape(-1)
            y = dequantize(t.data, t.tensor_type).reshape(-1)
            if y.shape != x.shape: raise SystemExit("shape of %s: %s vs %s" % (t.name, y.shape, x.shape))
            worst = max(worst, float(np.sqrt(np.sum((y - x) ** 2) / np.sum(x ** 2))))
        print(json.dumps({"tensors": len(q.tensors), "file_type": int(ft.parts[ft.data[0]][0]),
                          "quantization_version": int(qv.parts[qv.data[0]][0]),
                          "types": sorted({t.tensor_type.name for t in q.tensors}),
                          "arch": bytes(q.fields["general.architecture"].parts[-1]).decode(), "worst_rel_rms": worst}))
        """
        try script.write(toFile: dir + "/check.py", atomically: true, encoding: .utf8)
        let res = try runProcess(["python3", dir + "/check.py", out, f32])
        XCTAssertEqual(res.status, 0, res.output)
        let line = try XCTUnwrap(res.output.split(separator: "\n").last.map(String.init), res.output)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], res.output)
        print("gguf-py:", line)
        XCTAssertEqual(json["tensors"] as? Int, 272)
        XCTAssertEqual(json["file_type"] as? Int, 7)
        XCTAssertEqual(json["quantization_version"] as? Int, 2)
        XCTAssertEqual(json["types"] as? [String], ["F32", "Q8_0"])
        XCTAssertEqual(json["arch"] as? String, "llama")
        XCTAssertLessThan(try XCTUnwrap(json["worst_rel_rms"] as? Double), 0.01)
    }

    /// Timings only: `QUANTTY_BENCH=Q4_K_M,Q8_0` (levels) runs each level three times from the
    /// F32 copy and from the Q4_1 file and prints the times; skipped otherwise.
    func testBenchmark() throws {
        guard let spec = ProcessInfo.processInfo.environment["QUANTTY_BENCH"] else {
            throw XCTSkip("set QUANTTY_BENCH=Q4_K_M,Q5_K_M,Q8_0 to time the quantizer")
        }
        let levels = spec.split(separator: ",").compactMap { QuantizationLevel(name: String($0)) }
        let f32 = try QuantizerData.smolLM2F32()
        let q41 = try QuantizerData.realModel(QuantizerData.smolLM2)
        let dir = try quantizerTemporaryDirectory(self)
        for level in levels {
            for (name, src) in [("F32", f32), ("Q4_1", q41)] {
                var times: [Double] = [], cpu: [Double] = []
                for _ in 0..<3 {
                    let c0 = cpuSeconds()
                    times.append(try ModelQuantizer(allowRequantize: true).quantize(src, to: dir + "/bench.gguf", level: level).seconds)
                    cpu.append(cpuSeconds() - c0)
                }
                print(String(format: "bench %@ -> %@: best %.2f s wall (runs %@), CPU %@ s, load %.1f", name, level.name, times.min()!,
                             times.map { String(format: "%.2f", $0) }.joined(separator: ", "),
                             cpu.map { String(format: "%.2f", $0) }.joined(separator: ", "), loadAverage()))
            }
        }
    }
}

/// User + system CPU seconds of this process.
private func cpuSeconds() -> Double {
    var u = rusage()
    #if canImport(Glibc)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
    #else
    getrusage(RUSAGE_SELF, &u)
    #endif
    return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6
}

/// The 1-minute load average (other processes on the machine skew wall-clock times).
private func loadAverage() -> Double {
    var l = [Double](repeating: 0, count: 3)
    return getloadavg(&l, 3) > 0 ? l[0] : -1
}
