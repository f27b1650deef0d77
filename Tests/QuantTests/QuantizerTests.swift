import Foundation
import XCTest
import GGUF
@testable import Quant

/// The model quantizer on a tiny random model: every level, read back, byte-exact against the
/// reference quantizers, within each type's error bound; refusals, cancellation and clean-up.
final class QuantizerTests: XCTestCase {

    // MARK: - A tiny llama-like model

    static let width = 256, ff = 512, kv = 128, vocab = 96, layers = 2

    /// Writes a random F32 model (tied embeddings, 2 blocks of 256) and returns its path.
    private func tinyModel(in dir: String, name: String = "tiny-f32.gguf", poison: String? = nil) throws -> String {
        var w = GGUFWriter()
        w["general.architecture"] = .string("llama")
        w["general.name"] = .string("tiny")
        w["general.file_type"] = .uint32(0)
        w["llama.block_count"] = .uint32(UInt32(Self.layers))
        w["llama.embedding_length"] = .uint32(UInt32(Self.width))
        w["llama.attention.head_count"] = .uint32(4)
        w["llama.attention.head_count_kv"] = .uint32(2)
        w["tokenizer.ggml.tokens"] = .array(.string, GGUFArray((0..<4).map { .string("t\($0)") }))
        var rng = SplitMix64(seed: 42)
        func add(_ name: String, _ shape: [Int], scale: Float = 0.05) throws {
            let n = shape.reduce(1, *)
            var v = (0..<n).map { _ -> Float in
                // Roughly normal (sum of uniforms) with a few outliers, like real weights.
                var s: Float = 0
                for _ in 0..<4 { s += Float(Double(rng.next() >> 11) / Double(1 << 53)) - 0.5 }
                return s * scale * (rng.next() % 97 == 0 ? 6 : 1)
            }
            if name == poison { v[n - 3] = .nan }
            try w.addTensor(name: name, shape: shape, type: .f32, data: v.withUnsafeBytes { Array($0) })
        }
        try add("token_embd.weight", [Self.width, Self.vocab])
        try add("output_norm.weight", [Self.width], scale: 1)
        for i in 0..<Self.layers {
            try add("blk.\(i).attn_norm.weight", [Self.width], scale: 1)
            try add("blk.\(i).attn_q.weight", [Self.width, Self.width])
            try add("blk.\(i).attn_k.weight", [Self.width, Self.kv])
            try add("blk.\(i).attn_v.weight", [Self.width, Self.kv])
            try add("blk.\(i).attn_output.weight", [Self.width, Self.width])
            try add("blk.\(i).ffn_norm.weight", [Self.width], scale: 1)
            try add("blk.\(i).ffn_gate.weight", [Self.width, Self.ff])
            try add("blk.\(i).ffn_up.weight", [Self.width, Self.ff])
            try add("blk.\(i).ffn_down.weight", [Self.ff, Self.width])
        }
        let path = dir + "/" + name
        try w.write(to: path)
        return path
    }

    /// A tensor's values as floats.
    private func floats(_ file: GGUFFile, _ name: String) throws -> [Float] {
        let (info, data) = try file.tensorData(named: name)
        let k = try XCTUnwrap(QuantKernels.kernel(for: info.type))
        var out = [Float](repeating: 0, count: info.elementCount)
        out.withUnsafeMutableBufferPointer { k.dequantize(data.baseAddress!, $0.baseAddress!, info.elementCount) }
        return out
    }

    /// Largest relative RMS error (||deq - x|| / ||x|| over a tensor) allowed per type for the
    /// tiny model's weights (near-normal with 1% outliers at 6x; seeded, so the figures are
    /// fixed). The bounds are about 1.4x the measured worst case: F16 0.0002, BF16 0.0017,
    /// Q8_0 0.0077, Q6_K 0.023, Q5_K 0.043, Q5_1 0.044, Q5_0 0.061, Q4_K 0.085, Q4_1 0.091,
    /// Q4_0 0.12, Q3_K 0.19, Q2_K 0.33, IQ4_NL 0.097, IQ4_XS 0.098, IQ3_S 0.195, TQ1_0/TQ2_0 0.84.
    private func errorBound(_ t: GGMLType) -> Double {
        switch t {
        case .f32: return 0
        case .f16: return 5e-4
        case .bf16: return 3e-3
        case .q8_0: return 0.011
        case .q6_K: return 0.033
        case .q5_K, .q5_1: return 0.062
        case .q5_0: return 0.085
        case .q4_K: return 0.12
        case .q4_1: return 0.13
        case .q4_0: return 0.17
        case .q3_K: return 0.27
        case .q2_K: return 0.46
        case .iq4_nl, .iq4_xs: return 0.14
        case .iq3_s: return 0.27
        // Ternary types fit only ternary weights: a normal tensor keeps its signs, not its values.
        case .tq1_0, .tq2_0: return 1.0
        default: return 0
        }
    }

    /// Every level: the file reads back with the planned types and metadata, every converted
    /// tensor is byte-identical to the reference quantizer run on the whole tensor in one
    /// thread, and its values are within the type's error bound of the source.
    func testEveryLevelOnATinyModel() throws {
        let dir = try quantizerTemporaryDirectory(self)
        let sourcePath = try tinyModel(in: dir)
        let source = try GGUFFile(path: sourcePath)
        var worst: [GGMLType: Double] = [:]
        defer { print("worst relative RMS error per type:", worst.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key) \(String(format: "%.4f", $0.value))" }.joined(separator: ", ")) }
        for level in QuantizationLevel.allCases {
            let out = dir + "/tiny-\(level).gguf"
            // Levels that need an importance matrix refuse (ImatrixQuantizerTests covers them).
            if try QuantizationPlan(level: level, file: source).firstTensorRequiringImatrix != nil {
                XCTAssertThrowsError(try ModelQuantizer().quantize(sourcePath, to: out, level: level), "\(level)")
                continue
            }
            var calls: [QuantizeProgress] = []
            let report = try ModelQuantizer(threads: 3).quantize(sourcePath, to: out, level: level) { calls.append($0); return true }
            let file = try GGUFFile(path: out)
            XCTAssertEqual(report.fileSize, file.fileSize)
            XCTAssertEqual(file.tensors.map(\.name), report.plan.tensors.map(\.name), "\(level): order")
            XCTAssertEqual(file.tensors.map(\.type), report.plan.tensors.map(\.targetType), "\(level): types")
            XCTAssertEqual(file.metadata["general.file_type"], .uint32(level.fileType))
            XCTAssertEqual(file.metadata["general.quantization_version"], .uint32(2))
            XCTAssertEqual(Array(file.metadataKeys.suffix(2)), ["general.quantization_version", "general.file_type"])
            XCTAssertEqual(Set(file.metadataKeys), Set(source.metadataKeys).union(["general.quantization_version"]))
            XCTAssertEqual(file.metadata["tokenizer.ggml.tokens"], source.metadata["tokenizer.ggml.tokens"])
            // Progress: once per tensor, ending at the totals.
            XCTAssertEqual(calls.map(\.tensorsDone), Array(1...file.tensors.count))
            XCTAssertEqual(calls.last?.sourceBytesDone, calls.last?.sourceBytesTotal)
            XCTAssertEqual(calls.last?.outputBytesDone, file.tensorBytes)
            XCTAssertEqual(calls.last?.fraction, 1)

            for t in report.plan.tensors {
                let (info, data) = try file.tensorData(named: t.name)
                let x = try floats(source, t.name)
                if !t.quantizable { XCTAssertEqual(info.type, .f32, t.name) }
                let k = try XCTUnwrap(QuantKernels.kernel(for: info.type))
                XCTAssertEqual(Array(data), k.quantize(x), "\(level) \(t.name): not the reference quantization")
                let y = try floats(file, t.name)
                var num = 0.0, den = 0.0
                for i in 0..<x.count { num += Double((y[i] - x[i]) * (y[i] - x[i])); den += Double(x[i] * x[i]) }
                let rel = (num / den).squareRoot()
                worst[info.type] = max(worst[info.type] ?? 0, rel)
                XCTAssertLessThanOrEqual(rel, errorBound(info.type), "\(level) \(t.name) \(info.type)")
            }
        }
        // Spot checks of the mixes on 256-wide rows.
        let q4km = try GGUFFile(path: dir + "/tiny-Q4_K_M.gguf")
        XCTAssertEqual(q4km.tensorInfo("token_embd.weight")?.type, .q6_K)
        // use_more_bits(i, 2) holds for layer 1 only.
        XCTAssertEqual(q4km.tensorInfo("blk.0.attn_v.weight")?.type, .q4_K)
        XCTAssertEqual(q4km.tensorInfo("blk.1.attn_v.weight")?.type, .q6_K)
        XCTAssertEqual(q4km.tensorInfo("blk.0.ffn_down.weight")?.type, .q4_K)
        XCTAssertEqual(q4km.tensorInfo("blk.0.attn_q.weight")?.type, .q4_K)
        XCTAssertEqual(q4km.tensorInfo("blk.1.ffn_down.weight")?.type, .q6_K)
        XCTAssertEqual(q4km.tensorInfo("blk.0.ffn_norm.weight")?.type, .f32)
        let q2k = try GGUFFile(path: dir + "/tiny-Q2_K.gguf")
        XCTAssertEqual(q2k.tensorInfo("blk.0.attn_v.weight")?.type, .q3_K)
        XCTAssertEqual(q2k.tensorInfo("blk.0.ffn_down.weight")?.type, .q3_K)
        XCTAssertEqual(q2k.tensorInfo("blk.0.ffn_up.weight")?.type, .q2_K)
    }

    /// Thread counts do not change a byte.
    func testOutputIndependentOfThreadCount() throws {
        let dir = try quantizerTemporaryDirectory(self)
        let src = try tinyModel(in: dir)
        var images: [Data] = []
        for n in [1, 2, 7] {
            let out = dir + "/q-\(n).gguf"
            _ = try ModelQuantizer(threads: n).quantize(src, to: out, level: .q4_K_M)
            images.append(try Data(contentsOf: URL(fileURLWithPath: out)))
        }
        XCTAssertEqual(images[0], images[1])
        XCTAssertEqual(images[0], images[2])
        XCTAssertThrowsError(try ModelQuantizer(threads: 0).quantize(src, to: dir + "/x.gguf", level: .q8_0)) { e in
            guard case .invalidThreadCount(0)? = e as? ModelQuantizerError else { return XCTFail("\(e)") }
        }
    }

    /// A quantized source needs allowRequantize; with it the run warns. Tensors already in
    /// their target type are copied, which needs no permission (as in llama-quantize).
    func testRequantizeNeedsTheFlag() throws {
        let dir = try quantizerTemporaryDirectory(self)
        let src = try tinyModel(in: dir)
        let q8 = dir + "/q8.gguf"
        _ = try ModelQuantizer().quantize(src, to: q8, level: .q8_0)

        let out = dir + "/q4km.gguf"
        XCTAssertThrowsError(try ModelQuantizer().quantize(q8, to: out, level: .q4_K_M)) { e in
            guard case .requantizeNotAllowed(let path, let tensor, let type, let count)? = e as? ModelQuantizerError else {
                return XCTFail("\(e)")
            }
            XCTAssertEqual(path, q8)
            XCTAssertEqual(tensor, "token_embd.weight")
            XCTAssertEqual(type, .q8_0)
            XCTAssertEqual(count, 1 + 7 * Self.layers)
            XCTAssertTrue("\(e)".contains("--allow-requantize"), "\(e)")
            XCTAssertTrue("\(e)".contains(q8), "\(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["q8.gguf", "tiny-f32.gguf"])

        let report = try ModelQuantizer(allowRequantize: true).quantize(q8, to: out, level: .q4_K_M)
        XCTAssertTrue(report.warnings.contains { $0.contains("requantizing 15 tensor(s)") && $0.contains("Q8_0") }, "\(report.warnings)")
        XCTAssertEqual(try GGUFFile(path: out).tensorInfo("blk.0.attn_q.weight")?.type, .q4_K)

        // Q8_0 -> Q8_0: every tensor is already in its planned type and is copied untouched.
        let same = dir + "/q8-again.gguf"
        let r2 = try ModelQuantizer().quantize(q8, to: same, level: .q8_0)
        XCTAssertEqual(r2.warnings, [])
        let a = try GGUFFile(path: q8), b = try GGUFFile(path: same)
        for t in a.tensors { XCTAssertEqual(Array(a.tensorData(t)), Array(try b.tensorData(named: t.name).1)) }

        // Dequantizing needs no flag and restores exactly the dequantized values.
        let f32 = dir + "/back-f32.gguf"
        _ = try ModelQuantizer().dequantizeModel(q8, to: .f32, output: f32)
        let back = try GGUFFile(path: f32)
        XCTAssertEqual(back.metadata["general.file_type"], .uint32(0))
        for t in a.tensors {
            XCTAssertEqual(back.tensorInfo(t.name)?.type, .f32)
            XCTAssertEqual(try floats(back, t.name), try floats(a, t.name), t.name)
        }
        XCTAssertThrowsError(try ModelQuantizer().dequantizeModel(q8, to: .q4_0, output: f32)) { e in
            guard case .notAFloatLevel(.q4_0)? = e as? ModelQuantizerError else { return XCTFail("\(e)") }
        }
    }

    /// Errors part-way through, cancellation and unwritable destinations leave neither the
    /// output nor the temporary file, and an existing output file is left as it was.
    func testNothingHalfWrittenOnErrors() throws {
        let dir = try quantizerTemporaryDirectory(self)
        let bad = try tinyModel(in: dir, name: "nan.gguf", poison: "blk.1.ffn_up.weight")
        let out = dir + "/out.gguf"
        try Data("previous".utf8).write(to: URL(fileURLWithPath: out))
        func leftovers() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dir).sorted() }

        // A NaN in a late tensor: the error names the file, the tensor and the row.
        var seen = 0
        XCTAssertThrowsError(try ModelQuantizer(threads: 2).quantize(bad, to: out, level: .q4_K_M) { _ in seen += 1; return true }) { e in
            guard case .nonFiniteValue(let path, let tensor, let row)? = e as? ModelQuantizerError else { return XCTFail("\(e)") }
            XCTAssertEqual(path, bad)
            XCTAssertEqual(tensor, "blk.1.ffn_up.weight")
            XCTAssertEqual(row, Self.ff - 1)
        }
        XCTAssertGreaterThan(seen, 10, "the error came after tensors were written")
        XCTAssertEqual(try leftovers(), ["nan.gguf", "out.gguf"])
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "previous")

        // Cancelled from the progress callback.
        let src = try tinyModel(in: dir)
        XCTAssertThrowsError(try ModelQuantizer().quantize(src, to: out, level: .q8_0) { $0.tensorsDone < 5 }) { e in
            guard case .cancelled(let p)? = e as? ModelQuantizerError else { return XCTFail("\(e)") }
            XCTAssertEqual(p, out)
        }
        XCTAssertEqual(try leftovers(), ["nan.gguf", "out.gguf", "tiny-f32.gguf"])
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "previous")

        // An unwritable destination (a folder that does not exist).
        let nowhere = dir + "/missing/out.gguf"
        XCTAssertThrowsError(try ModelQuantizer().quantize(src, to: nowhere, level: .q8_0)) { e in
            guard case .write(let p, .io)? = e as? ModelQuantizerError else { return XCTFail("\(e)") }
            XCTAssertEqual(p, nowhere)
            XCTAssertTrue("\(e)".contains("missing/out.gguf"), "\(e)")
        }
        // A destination that is a folder: refused before any tensor is written (issue 13).
        let folder = dir + "/folder.gguf"
        try FileManager.default.createDirectory(atPath: folder + "/inside", withIntermediateDirectories: true)
        XCTAssertThrowsError(try ModelQuantizer().quantize(src, to: folder, level: .q8_0)) { e in
            guard case .write(let p, .notARegularFile(_, let kind))? = e as? ModelQuantizerError else { return XCTFail("\(e)") }
            XCTAssertEqual(p, folder)
            XCTAssertEqual(kind, "a folder")
        }
        XCTAssertEqual(try leftovers(), ["folder.gguf", "nan.gguf", "out.gguf", "tiny-f32.gguf"])

        // A source that is not a GGUF file.
        XCTAssertThrowsError(try ModelQuantizer().quantize(out, to: dir + "/x.gguf", level: .q8_0)) { e in
            guard case .source(let fe)? = e as? ModelQuantizerError else { return XCTFail("\(e)") }
            XCTAssertEqual(fe.path, out)
        }
    }
}

// MARK: - Traps (issue 13)

extension QuantizerTests {
    /// The input reached through a linked folder is still the input: refused before any work,
    /// and the input is intact.
    func testOutputThroughALinkedFolderIsTheInput() throws {
        let dir = try quantizerTemporaryDirectory(self)
        let input = try tinyModel(in: dir)
        let before = try Data(contentsOf: URL(fileURLWithPath: input))
        XCTAssertEqual(symlink(".", dir + "/link-to-dot"), 0)
        let output = dir + "/link-to-dot/tiny-f32.gguf"
        XCTAssertThrowsError(try ModelQuantizer(threads: 1).quantize(input, to: output, level: .q8_0)) { e in
            XCTAssertTrue("\(e)".contains("is the input"), "\(e)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: input)), before)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["link-to-dot", "tiny-f32.gguf"])
    }
}
