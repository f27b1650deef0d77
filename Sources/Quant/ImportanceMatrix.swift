import Foundation
import GGUF

/// An importance matrix as llama-quantize reads it (`common_imatrix_load` + `load_imatrix`): per
/// weight matrix, one weight per input column (per expert for MoE tensors) for the quantizers'
/// `quantizeWeighted`.
///
/// Two formats: llama.cpp's GGUF imatrix (`<name>.in_sum2` F32 sums of squared activations and
/// `<name>.counts` F32 token counts per expert; weight = sum / round(count), or 1 where the count
/// is 0) and the legacy `.dat` file (int32 entry count; per entry an int32 name length, the name,
/// int32 call count, int32 value count and the float values, already averaged per call; weight =
/// value / calls). The file is untrusted: every length is checked against what is left of it.
public struct ImportanceMatrix: Sendable {
    /// Weights per tensor name (`blk.0.ffn_down.weight`), columns (times experts) long.
    public let weights: [String: [Float]]
    /// `imatrix.datasets` (or the legacy file's trailing dataset name).
    public let datasets: [String]
    /// Chunks the statistics were collected on (0 when the file does not say).
    public let chunkCount: Int
    /// Tokens per chunk (0 for legacy files).
    public let chunkSize: Int
    /// Whether the file was in the legacy `.dat` format.
    public let isLegacy: Bool
    /// The file it was read from (for messages).
    public let path: String

    /// Reads `path` (GGUF when it starts with `GGUF`, else legacy).
    public init(path: String) throws(ImportanceMatrixError) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw ImportanceMatrixError(path: path, problem: .unreadable(error.localizedDescription))
        }
        self.path = path
        if data.starts(with: Array("GGUF".utf8)) {
            let file: GGUFFile
            do { file = try GGUFFile(path: path, requireSupportedTypes: false) } catch {
                throw ImportanceMatrixError(path: path, problem: .badGGUF(error.error.description))
            }
            (weights, datasets, chunkCount, chunkSize) = try Self.readGGUF(file, path: path)
            isLegacy = false
        } else {
            let read = data.withUnsafeBytes { raw in
                Result { () throws(ImportanceMatrixError) in try Self.readLegacy(raw, path: path) }
            }
            (weights, datasets, chunkCount) = try read.get()
            chunkSize = 0
            isLegacy = true
        }
    }

    /// The weights for tensor `name` with `columns` input columns (and `experts` experts), or nil
    /// when the matrix has no entry for it; an entry of another size is an error naming the tensor.
    public func weights(for name: String, columns: Int, experts: Int = 1) throws(ImportanceMatrixError) -> [Float]? {
        guard let w = weights[name] else { return nil }
        guard w.count == columns * experts else {
            throw ImportanceMatrixError(path: path, problem: .sizeMismatch(tensor: name, expected: columns * experts, found: w.count))
        }
        return w
    }

    // MARK: - GGUF

    private static func readGGUF(_ file: GGUFFile, path: String) throws(ImportanceMatrixError)
        -> ([String: [Float]], [String], Int, Int) {
        func fail(_ p: ImportanceMatrixError.Problem) -> ImportanceMatrixError { ImportanceMatrixError(path: path, problem: p) }
        guard !file.tensors.isEmpty else { throw fail(.noEntries) }
        if let t = file["general.type"], t != .string("imatrix") { throw fail(.notImatrix("general.type is \(t)")) }
        // llama-quantize refuses GGUF imatrix files without their metadata.
        for key in ["imatrix.datasets", "imatrix.chunk_count", "imatrix.chunk_size"] where file[key] == nil {
            throw fail(.notImatrix("missing key '\(key)'"))
        }
        let datasets = (try? file.stringArray("imatrix.datasets")) ?? []
        let chunkCount = file["imatrix.chunk_count"]?.intValue ?? 0
        let chunkSize = file["imatrix.chunk_size"]?.intValue ?? 0
        var sums: [String: GGUFTensorInfo] = [:], counts: [String: GGUFTensorInfo] = [:]
        for t in file.tensors {
            if t.name.hasSuffix(".in_sum2") { sums[String(t.name.dropLast(8))] = t }
            else if t.name.hasSuffix(".counts") { counts[String(t.name.dropLast(7))] = t }
        }
        var weights: [String: [Float]] = [:]
        for name in Set(sums.keys).union(counts.keys).sorted() {
            guard let s = sums[name], let c = counts[name] else { throw fail(.mismatchedSumsAndCounts(tensor: name)) }
            guard s.type == .f32, c.type == .f32 else { throw fail(.notF32(tensor: name)) }
            let sv = floats(file.tensorData(s)), cv = floats(file.tensorData(c))
            guard !cv.isEmpty, sv.count % cv.count == 0 else {
                throw fail(.sizeMismatch(tensor: name, expected: cv.count, found: sv.count))
            }
            let ne0 = sv.count / cv.count
            var e = [Float](repeating: 1, count: sv.count)
            for j in 0..<cv.count {
                let count = Float(llround(Double(cv[j])))   // C's lround, then (float)
                guard count > 0 else { continue }
                for i in 0..<ne0 { e[j * ne0 + i] = sv[j * ne0 + i] / count }
            }
            weights[name] = e
        }
        guard !weights.isEmpty else { throw fail(.noEntries) }
        return (weights, datasets, chunkCount, chunkSize)
    }

    private static func floats(_ raw: UnsafeRawBufferPointer) -> [Float] {
        (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
    }

    // MARK: - Legacy .dat

    private static func readLegacy(_ raw: UnsafeRawBufferPointer, path: String) throws(ImportanceMatrixError)
        -> ([String: [Float]], [String], Int) {
        var offset = 0
        func fail(_ p: ImportanceMatrixError.Problem) -> ImportanceMatrixError { ImportanceMatrixError(path: path, problem: p) }
        func int32(_ what: String) throws(ImportanceMatrixError) -> Int {
            guard raw.count - offset >= 4 else { throw fail(.truncated(at: offset, reading: what)) }
            let v = Int32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int32.self))
            offset += 4
            return Int(v)
        }
        let n = try int32("the entry count")
        guard n >= 1 else { throw fail(.notImatrix("entry count \(n) (not a GGUF or legacy imatrix file?)")) }
        // Each entry takes at least 16 bytes: a count larger than the file allows is not an imatrix.
        guard n <= (raw.count - 4) / 16 else { throw fail(.notImatrix("entry count \(n) does not fit in \(raw.count) bytes")) }
        var weights: [String: [Float]] = [:]
        for i in 0..<n {
            let len = try int32("the name length of entry \(i + 1)")
            guard len >= 0, len <= raw.count - offset else { throw fail(.truncated(at: offset, reading: "the name of entry \(i + 1)")) }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + len)]), as: UTF8.self)
            offset += len
            let ncall = try int32("the call count of '\(name)'")
            let nval = try int32("the value count of '\(name)'")
            guard nval >= 1 else { throw fail(.notImatrix("entry '\(name)' has \(nval) values")) }
            guard nval <= (raw.count - offset) / 4 else { throw fail(.truncated(at: offset, reading: "the \(nval) values of '\(name)'")) }
            let values = floats(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + 4 * nval)]))
            offset += 4 * nval
            weights[name] = ncall > 0 ? values.map { $0 / Float(ncall) } : values
        }
        // Optional trailer: chunk count, then a dataset name.
        var chunks = 0
        var datasets: [String] = []
        if let c = try? int32("the chunk count") {
            chunks = c
            if let len = try? int32("the dataset name length"), len > 0, len <= raw.count - offset {
                datasets.append(String(decoding: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + len)]), as: UTF8.self))
            }
        }
        return (weights, datasets, chunks)
    }
}

/// What is wrong with an importance-matrix file; the description names the file (and tensor).
public struct ImportanceMatrixError: Error, CustomStringConvertible, Equatable {
    public enum Problem: Equatable, Sendable {
        case unreadable(String)
        case badGGUF(String)
        case notImatrix(String)
        case noEntries
        case truncated(at: Int, reading: String)
        case mismatchedSumsAndCounts(tensor: String)
        case notF32(tensor: String)
        case sizeMismatch(tensor: String, expected: Int, found: Int)
    }
    public let path: String
    public let problem: Problem

    public var description: String {
        switch problem {
        case .unreadable(let why): return "\(path): cannot read importance matrix: \(why)"
        case .badGGUF(let why): return "\(path): not a valid GGUF imatrix: \(why)"
        case .notImatrix(let why): return "\(path): not an importance matrix: \(why)"
        case .noEntries: return "\(path): importance matrix has no entries"
        case .truncated(let at, let what): return "\(path): truncated at byte \(at) reading \(what)"
        case .mismatchedSumsAndCounts(let t): return "\(path): tensor '\(t)' has sums without counts or counts without sums"
        case .notF32(let t): return "\(path): sums and counts of '\(t)' must be F32"
        case .sizeMismatch(let t, let e, let f):
            return "\(path): importance matrix entry for '\(t)' has \(f) values, the model's tensor needs \(e) (an imatrix for another model?)"
        }
    }
}
