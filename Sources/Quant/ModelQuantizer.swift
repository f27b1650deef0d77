#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import GGUF

// The model-level quantizer (`quantty quantize`): reads a GGUF file, plans every tensor's type
// like llama-quantize (`QuantizationPlan`), converts tensor by tensor (dequantize to F32, then
// ggml's reference quantizer, in parallel over chunks of rows) and streams each tensor into a
// `GGUFStreamWriter`, which writes a temporary file and renames it into place only when every
// tensor is written. Metadata is copied from the source, with `general.quantization_version`
// and `general.file_type` set (removed and appended, as gguf's `gguf_set_val_u32` does).

/// Progress after each tensor.
public struct QuantizeProgress: Sendable {
    /// Tensors finished so far (1...tensorCount).
    public let tensorsDone: Int
    public let tensorCount: Int
    /// The tensor just finished.
    public let tensor: PlannedTensor
    /// Source tensor bytes processed so far, and in all.
    public let sourceBytesDone: Int
    public let sourceBytesTotal: Int
    /// Output tensor bytes written so far, and in all (without padding).
    public let outputBytesDone: Int
    public let outputBytesTotal: Int

    /// Fraction of the work done, by source bytes.
    public var fraction: Double { sourceBytesTotal > 0 ? Double(sourceBytesDone) / Double(sourceBytesTotal) : 1 }
}

/// What a finished run produced.
public struct QuantizeReport: Sendable {
    public let plan: QuantizationPlan
    public let sourcePath: String
    public let outputPath: String
    /// Size of the written file.
    public let fileSize: Int
    /// Wall-clock seconds from opening the source to renaming the output.
    public let seconds: Double
    /// Things the user should know (requantization, fallbacks).
    public let warnings: [String]
}

/// Everything the quantizer can refuse, each naming the file and, where it applies, the tensor.
public enum ModelQuantizerError: Error, CustomStringConvertible {
    /// The source cannot be opened or is not a valid GGUF file.
    case source(GGUFFileError)
    /// No plan can be made for the source.
    case plan(path: String, QuantizationPlanError)
    /// The source holds block-quantized tensors that would be requantized, and
    /// `allowRequantize` is false.
    case requantizeNotAllowed(path: String, tensor: String, type: GGMLType, count: Int)
    /// A tensor must be converted but quantty has no kernel for its type (or the target's).
    case unsupportedType(path: String, tensor: String, type: GGMLType)
    /// A tensor holds NaN or infinity (llama.cpp refuses these too: "quantized data validation failed").
    case nonFiniteValue(path: String, tensor: String, row: Int)
    /// `dequantizeModel` needs a float level (F32, F16 or BF16).
    case notAFloatLevel(QuantizationLevel)
    case invalidThreadCount(Int)
    /// Writing the output failed; the temporary file was removed.
    case write(path: String, GGUFWriteError)
    /// The progress callback asked to stop; the temporary file was removed.
    case cancelled(path: String)
    /// The level needs an importance matrix for `tensor` and none was given (llama-quantize's
    /// "this quantization requires an importance matrix").
    case imatrixRequired(path: String, tensor: String, type: GGMLType, level: QuantizationLevel)
    /// The importance matrix has no entry for a tensor that needs one.
    case imatrixMissingEntry(imatrix: String, tensor: String, type: GGMLType)
    /// The importance matrix does not fit the model (an entry for a tensor it does not have, of
    /// the wrong size, or with non-finite values).
    case imatrixMismatch(imatrix: String, tensor: String, problem: String)

    public var description: String {
        switch self {
        case .source(let e): return e.description
        case .plan(let p, let e): return "\(p): \(e)"
        case .requantizeNotAllowed(let p, let t, let type, let n):
            return "\(p): tensor '\(t)' is already quantized (\(type))\(n > 1 ? " (and \(n - 1) more)" : ""); requantizing loses quality, pass --allow-requantize to do it anyway, or start from an F32/F16/BF16 file"
        case .unsupportedType(let p, let t, let type): return "\(p): tensor '\(t)': cannot convert type \(type)"
        case .nonFiniteValue(let p, let t, let r): return "\(p): tensor '\(t)' has NaN or infinite values in row \(r)"
        case .notAFloatLevel(let l): return "cannot dequantize to \(l): choose F32, F16 or BF16"
        case .invalidThreadCount(let n): return "thread count must be at least 1, not \(n)"
        case .write(let p, let e): return "cannot write \(p): \(e)"
        case .cancelled(let p): return "quantization of \(p) cancelled; nothing was written"
        case .imatrixRequired(let p, let t, let type, let l):
            return "\(p): \(l) requires an importance matrix (--imatrix FILE): tensor '\(t)' would be \(type), and without importance weights the result would be garbage"
        case .imatrixMissingEntry(let m, let t, let type):
            return "\(m): missing importance matrix for tensor '\(t)' in a very low-bit quantization (\(type)): the result would be garbage"
        case .imatrixMismatch(let m, let t, let problem): return "\(m): importance matrix entry '\(t)' \(problem)"
        }
    }
}

/// Converts GGUF models between quantization levels.
///
/// ```swift
/// let q = ModelQuantizer(threads: 2)
/// let report = try q.quantize("model-f32.gguf", to: "model-q4_k_m.gguf", level: .q4_K_M) { p in
///     print("\(p.tensorsDone)/\(p.tensorCount)"); return true   // false cancels
/// }
/// ```
public struct ModelQuantizer: Sendable {
    /// Worker threads per tensor (the calling thread is one of them).
    public var threads: Int
    /// Whether block-quantized source tensors may be requantized (with a warning).
    public var allowRequantize: Bool

    public init(threads: Int = ModelQuantizer.defaultThreadCount, allowRequantize: Bool = false) {
        self.threads = threads
        self.allowRequantize = allowRequantize
    }

    /// The number of online CPUs.
    public static var defaultThreadCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// Elements per work item (llama.cpp's `min_chunk_size`, rounded up to whole rows).
    static let chunkElements = 32 * 512

    public typealias ProgressHandler = (QuantizeProgress) -> Bool

    /// Quantizes the file at `input` to `level`, writing `output` (through a temporary file that
    /// is renamed into place at the end). `progress` runs on the calling thread after each
    /// tensor; returning false cancels.
    /// With `imatrix`, tensors with an entry are quantized with its importance weights (as
    /// `llama-quantize --imatrix`); levels that need one (IQ1_*, IQ2_*, Q2_K_S) refuse to run
    /// without it.
    public func quantize(_ input: String, to output: String, level: QuantizationLevel, imatrix: QuantizerImatrix? = nil,
                         progress: ProgressHandler? = nil) throws(ModelQuantizerError) -> QuantizeReport {
        let file: GGUFFile
        do { file = try GGUFFile(path: input, requireSupportedTypes: false) } catch { throw .source(error) }
        return try quantize(file, to: output, level: level, imatrix: imatrix, progress: progress)
    }

    /// Quantizes an open file.
    public func quantize(_ source: GGUFFile, to output: String, level: QuantizationLevel, imatrix: QuantizerImatrix? = nil,
                         progress: ProgressHandler? = nil) throws(ModelQuantizerError) -> QuantizeReport {
        let plan: QuantizationPlan
        do { plan = try QuantizationPlan(level: level, file: source, hasImatrix: imatrix != nil) } catch { throw .plan(path: source.path, error) }
        return try run(plan, source: source, output: output, allowRequantize: allowRequantize, imatrix: imatrix, progress: progress)
    }

    /// Writes a float copy (F32 by default; F16 and BF16 are also accepted) of a possibly
    /// quantized model: every tensor llama-quantize would quantize becomes `level`, the others
    /// keep their type. No `allowRequantize` is needed: nothing is requantized.
    public func dequantizeModel(_ input: String, to level: QuantizationLevel = .f32, output: String,
                                progress: ProgressHandler? = nil) throws(ModelQuantizerError) -> QuantizeReport {
        guard !level.isQuantized else { throw .notAFloatLevel(level) }
        let file: GGUFFile
        do { file = try GGUFFile(path: input, requireSupportedTypes: false) } catch { throw .source(error) }
        let plan: QuantizationPlan
        do { plan = try QuantizationPlan(level: level, file: file) } catch { throw .plan(path: file.path, error) }
        return try run(plan, source: file, output: output, allowRequantize: true, imatrix: nil, progress: progress)
    }

    /// The output metadata: the source's, without split keys, with the quantization version
    /// and file type removed and appended (gguf's `gguf_set_val_u32`).
    public static func outputMetadata(of source: GGUFFile, level: QuantizationLevel) -> [(key: String, value: GGUFValue)] {
        var w = GGUFWriter(metadataOf: source)
        for k in ["split.no", "split.count", "split.tensors.count"] { w[k] = nil }
        w["general.quantization_version"] = nil
        w["general.quantization_version"] = .uint32(2)
        w["general.file_type"] = nil
        w["general.file_type"] = .uint32(level.fileType)
        return w.metadata
    }

    // MARK: - Run

    private func run(_ plan: QuantizationPlan, source: GGUFFile, output: String, allowRequantize: Bool,
                     imatrix: QuantizerImatrix?, progress: ProgressHandler?) throws(ModelQuantizerError) -> QuantizeReport {
        let start = ContinuousClock.now
        let path = source.path
        guard threads >= 1 else { throw .invalidThreadCount(threads) }
        let importance = try TensorImportance(imatrix, plan: plan, sourcePath: path)

        var warnings: [String] = []
        let requantized = plan.requantizedTensors
        if let first = requantized.first {
            guard allowRequantize else {
                throw .requantizeNotAllowed(path: path, tensor: first.name, type: first.sourceType, count: requantized.count)
            }
            if plan.level.isQuantized {
                let types = Set(requantized.map(\.sourceType)).map(\.description).sorted().joined(separator: ", ")
                warnings.append("requantizing \(requantized.count) tensor(s) of \(path) from \(types): the result is worse than quantizing an F32/F16/BF16 source")
            }
        }
        if plan.fallbackCount > 0 {
            warnings.append("\(plan.fallbackCount) of \(plan.tensors.count) tensor(s) required fallback quantization (row width not a multiple of 256)")
        }

        // Kernels, checked before anything is written.
        var kernels: [GGMLType: QuantKernel] = [:]
        for t in plan.tensors where t.isConverted {
            for type in [t.sourceType, t.targetType] where kernels[type] == nil {
                guard let k = QuantKernels.kernel(for: type) else { throw .unsupportedType(path: path, tensor: t.name, type: type) }
                kernels[type] = k
            }
        }

        let specs: [GGUFTensorSpec]
        let writer: GGUFStreamWriter
        // By device and inode: a path through a link or `..` still names the input.
        if SafeOutput.isSameFile(path, output) { throw .write(path: output, .outputIsInput(output: output, input: path)) }
        do {
            specs = try plan.tensors.map { (t) throws(GGUFWriteError) in
                // ggml_n_dims: llama.cpp writes the shape without trailing dimensions of 1.
                var shape = t.shape
                while shape.count > 1 && shape.last == 1 { shape.removeLast() }
                return try GGUFTensorSpec(name: t.name, shape: shape, type: t.targetType)
            }
            var metadata = Self.outputMetadata(of: source, level: plan.level)
            if let imatrix {
                for kv in TensorImportance.metadata(imatrix) {
                    metadata.removeAll { $0.key == kv.key }
                    metadata.append(kv)
                }
            }
            writer = try GGUFStreamWriter(path: output, metadata: metadata, tensors: specs)
        } catch {
            throw .write(path: output, error)
        }

        let sourceTotal = plan.tensors.reduce(0) { $0 + $1.sourceBytes }
        let outputTotal = plan.targetTensorBytes
        var sourceDone = 0, outputDone = 0
        var buffer = ByteBuffer()
        defer { buffer.free() }
        do throws(ModelQuantizerError) {
            for (i, t) in plan.tensors.enumerated() {
                guard let info = source.tensorInfo(t.name) else { preconditionFailure("planned tensor not in source") }
                let src = source.tensorData(info)
                if !t.isConverted {
                    do { try writer.write(t.name, bytes: src) } catch { throw ModelQuantizerError.write(path: output, error) }
                } else {
                    let dst = buffer.reserve(t.targetBytes)
                    try convert(t, src: src, dst: dst, from: kernels[t.sourceType]!, to: kernels[t.targetType]!,
                                weights: importance.weights[t.name], path: path)
                    do { try writer.write(t.name, bytes: UnsafeRawBufferPointer(start: dst, count: t.targetBytes)) }
                    catch { throw ModelQuantizerError.write(path: output, error) }
                }
                sourceDone += t.sourceBytes
                outputDone += t.targetBytes
                if let progress {
                    let p = QuantizeProgress(tensorsDone: i + 1, tensorCount: plan.tensors.count, tensor: t,
                                             sourceBytesDone: sourceDone, sourceBytesTotal: sourceTotal,
                                             outputBytesDone: outputDone, outputBytesTotal: outputTotal)
                    guard progress(p) else { throw ModelQuantizerError.cancelled(path: output) }
                }
            }
            do { try writer.finish() } catch { throw ModelQuantizerError.write(path: output, error) }
        } catch {
            writer.cancel()
            throw error
        }
        let d = ContinuousClock.now - start
        let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        return QuantizeReport(plan: plan, sourcePath: path, outputPath: output, fileSize: writer.fileSize,
                              seconds: seconds, warnings: warnings)
    }

    /// Converts one tensor: chunks of whole rows are dequantized to F32 (unless the source is
    /// F32) in per-thread scratch, checked for NaN/inf, and quantized into `dst`.
    private func convert(_ t: PlannedTensor, src: UnsafeRawBufferPointer, dst: UnsafeMutableRawPointer,
                         from: QuantKernel, to: QuantKernel, weights: [Float]?, path: String) throws(ModelQuantizerError) {
        let width = t.rowWidth, rows = t.rowCount
        guard rows > 0, width > 0 else { return }
        let srcRowBytes = t.sourceType.byteCount(elements: width)!
        let dstRowBytes = t.targetType.byteCount(elements: width)!
        let rowsPerChunk = max(1, (Self.chunkElements + width - 1) / width)
        let chunks = (rows + rowsPerChunk - 1) / rowsPerChunk
        let workers = max(1, min(threads, chunks))
        let srcBase = src.baseAddress!
        let queue = WorkQueue(count: chunks)
        defer { queue.destroy() }
        // Importance weights: one row of `width` per expert (rows of expert e are e*ne1 ..< (e+1)*ne1).
        let weighted = weights != nil && to.quantizeWeighted != nil
        let rowsPerExpert = t.shape.count > 1 ? max(1, t.shape[1]) : rows
        (weights ?? []).withUnsafeBufferPointer { w in
            let job = ConvertJob(src: srcBase, dst: dst, srcRowBytes: srcRowBytes, dstRowBytes: dstRowBytes, width: width,
                                 rows: rows, rowsPerChunk: rowsPerChunk, from: from, to: to,
                                 sourceIsF32: t.sourceType == .f32, targetIsF32: t.targetType == .f32, queue: queue,
                                 weights: weighted ? w.baseAddress : nil, rowsPerExpert: rowsPerExpert)
            if workers == 1 {
                job.work()
            } else {
                DispatchQueue.concurrentPerform(iterations: workers) { _ in job.work() }
            }
        }
        if let row = queue.failedRow { throw .nonFiniteValue(path: path, tensor: t.name, row: row) }
    }
}

/// One tensor's conversion, shared by the worker threads (each takes chunks of rows from
/// `queue` and writes disjoint parts of `dst`).
private struct ConvertJob: @unchecked Sendable {
    let src: UnsafeRawPointer
    let dst: UnsafeMutableRawPointer
    let srcRowBytes: Int, dstRowBytes: Int, width: Int, rows: Int, rowsPerChunk: Int
    let from: QuantKernel, to: QuantKernel
    let sourceIsF32: Bool, targetIsF32: Bool
    let queue: WorkQueue
    /// Importance weights (`width` per expert), or nil for the plain quantizer.
    let weights: UnsafePointer<Float>?
    let rowsPerExpert: Int

    func work() {
        let scratchCount = (sourceIsF32 || targetIsF32) ? 0 : rowsPerChunk * width
        let scratch = scratchCount > 0 ? UnsafeMutablePointer<Float>.allocate(capacity: scratchCount) : nil
        defer { scratch?.deallocate() }
        while let c = queue.next() {
            let r0 = c * rowsPerChunk
            let n = min(rowsPerChunk, rows - r0)
            let count = n * width
            let s = src + r0 * srcRowBytes
            let d = dst + r0 * dstRowBytes
            let x: UnsafePointer<Float>
            if sourceIsF32 {
                x = UnsafePointer(s.assumingMemoryBound(to: Float.self))
            } else if targetIsF32 {
                let y = d.assumingMemoryBound(to: Float.self)
                from.dequantize(s, y, count)
                x = UnsafePointer(y)
            } else {
                from.dequantize(s, scratch!, count)
                x = UnsafePointer(scratch!)
            }
            if let bad = firstNonFiniteRow(x, rows: n, width: width) {
                queue.fail(row: r0 + bad)
                return
            }
            if targetIsF32 {
                if sourceIsF32 { d.copyMemory(from: s, byteCount: count * 4) }
            } else if let weights, let qw = to.quantizeWeighted {
                for r in 0..<n {
                    let w = weights + ((r0 + r) / rowsPerExpert) * width
                    qw(x + r * width, d + r * dstRowBytes, width, w)
                }
            } else {
                to.quantize(x, d, count)
            }
        }
    }
}

/// The first row (index within the chunk) holding NaN or infinity, if any.
@inline(__always)
private func firstNonFiniteRow(_ x: UnsafePointer<Float>, rows: Int, width: Int) -> Int? {
    let bits = UnsafeRawPointer(x).assumingMemoryBound(to: UInt32.self)
    var worst: UInt32 = 0
    for i in 0..<(rows * width) { worst = max(worst, bits[i] & 0x7FFF_FFFF) }
    guard worst >= 0x7F80_0000 else { return nil }
    for r in 0..<rows {
        for i in 0..<width where bits[r * width + i] & 0x7FFF_FFFF >= 0x7F80_0000 { return r }
    }
    return nil
}

/// Hands out chunk indices in order to worker threads, and records the first failure (after
/// which no more chunks are handed out).
private final class WorkQueue: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var nextIndex = 0
    private let count: Int
    private(set) var failedRow: Int?

    init(count: Int) {
        self.count = count
        pthread_mutex_init(mutex, nil)
    }

    func next() -> Int? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard failedRow == nil, nextIndex < count else { return nil }
        nextIndex += 1
        return nextIndex - 1
    }

    func fail(row: Int) {
        pthread_mutex_lock(mutex)
        if failedRow.map({ row < $0 }) ?? true { failedRow = row }
        pthread_mutex_unlock(mutex)
    }

    func destroy() {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }
}

/// A growable output buffer reused across tensors.
private struct ByteBuffer {
    private var pointer: UnsafeMutableRawPointer?
    private var capacity = 0

    mutating func reserve(_ bytes: Int) -> UnsafeMutableRawPointer {
        if bytes > capacity || pointer == nil {
            pointer?.deallocate()
            capacity = max(bytes, 64)
            pointer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
        }
        return pointer!
    }

    mutating func free() {
        pointer?.deallocate()
        pointer = nil
        capacity = 0
    }
}
