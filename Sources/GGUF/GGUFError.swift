/// Everything that can be wrong with a GGUF file, each saying what and where.
public enum GGUFError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case notAFile(path: String)
    case empty(path: String)
    case badMagic(found: UInt32)
    case unsupportedVersion(UInt32)
    case truncated(offset: Int, reading: String)
    case lengthPastEnd(offset: Int, length: UInt64, reading: String)
    case invalidUTF8(offset: Int, reading: String)
    case invalidValueType(offset: Int, raw: UInt32, key: String)
    case nestingTooDeep(offset: Int, key: String)
    /// A bool stored as a byte other than 0 or 1.
    case invalidBool(offset: Int, value: UInt8, key: String)
    case duplicateKey(String, offset: Int)
    case badAlignment(UInt64)
    case tooManyDimensions(tensor: String, count: UInt32)
    case dimensionOverflow(tensor: String)
    case unknownTensorType(tensor: String, raw: UInt32)
    case unsupportedTensorType(tensor: String, type: GGMLType)
    case rowNotWholeBlocks(tensor: String, type: GGMLType, width: Int)
    case duplicateTensor(String)
    case misalignedTensor(tensor: String, offset: UInt64, alignment: Int)
    case tensorOutOfBounds(tensor: String, end: UInt64, dataSize: Int)
    case tensorsOverlap(String, String)
    case missingKey(String)
    case wrongType(key: String, expected: String, found: GGUFValueType)
    case missingTensor(String)

    public var description: String {
        switch self {
        case .cannotOpen(let p, let r): return "cannot open \(p): \(r)"
        case .notAFile(let p): return "\(p) is not a regular file (a folder?)"
        case .empty(let p): return "\(p) is empty: not a GGUF file"
        case .badMagic(let m):
            return "not a GGUF file: bad magic 0x\(String(m, radix: 16)) at byte 0 (expected \"GGUF\")"
        case .unsupportedVersion(let v):
            // ggml's hint: a byte-swapped version 3 reads as 0x03000000.
            let swapped = v & 0xFFFF == 0 ? "; a big-endian file?" : ""
            return "unsupported GGUF version \(v) at byte 4 (quantty reads versions 2 and 3\(swapped))"
        case .truncated(let o, let what): return "file truncated at byte \(o) while reading \(what)"
        case .lengthPastEnd(let o, let n, let what): return "length \(n) at byte \(o) (\(what)) runs past the end of the file"
        case .invalidUTF8(let o, let what): return "invalid UTF-8 in \(what) at byte \(o)"
        case .invalidValueType(let o, let raw, let key): return "unknown value type \(raw) at byte \(o) for key '\(key)'"
        case .nestingTooDeep(let o, let key): return "arrays nested too deeply at byte \(o) for key '\(key)'"
        case .invalidBool(let o, let v, let key): return "invalid bool byte \(v) at byte \(o) for key '\(key)' (expected 0 or 1)"
        case .duplicateKey(let k, let o): return "duplicate metadata key '\(k)' at byte \(o)"
        case .badAlignment(let a): return "general.alignment = \(a) is not a power of two between 1 and 65536"
        case .tooManyDimensions(let t, let n): return "tensor '\(t)' has \(n) dimensions (GGUF allows 1 to 4)"
        case .dimensionOverflow(let t): return "tensor '\(t)' has an invalid or overflowing shape"
        case .unknownTensorType(let t, let raw): return "unknown type \(raw) in tensor '\(t)'"
        case .unsupportedTensorType(let t, let type): return "unsupported type \(type) in tensor '\(t)'"
        case .rowNotWholeBlocks(let t, let type, let w):
            return "tensor '\(t)': row width \(w) is not a multiple of \(type)'s block size \(type.blockSize)"
        case .duplicateTensor(let t): return "duplicate tensor name '\(t)'"
        case .misalignedTensor(let t, let o, let a): return "tensor '\(t)' data offset \(o) is not aligned to \(a) bytes"
        case .tensorOutOfBounds(let t, let end, let size):
            return "tensor '\(t)' data ends at \(end), past the data section (\(size) bytes)"
        case .tensorsOverlap(let a, let b): return "tensors '\(a)' and '\(b)' overlap"
        case .missingKey(let k): return "missing metadata key '\(k)'"
        case .wrongType(let k, let e, let f): return "metadata key '\(k)' should be \(e), found \(f)"
        case .missingTensor(let t): return "missing tensor '\(t)'"
        }
    }
}

/// A GGUF error together with the file it came from.
public struct GGUFFileError: Error, CustomStringConvertible {
    public let path: String
    public let error: GGUFError
    public init(path: String, error: GGUFError) { self.path = path; self.error = error }
    public var description: String { "\(path): \(error)" }
}
