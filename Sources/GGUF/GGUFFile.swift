#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A GGUF file, memory-mapped read-only and validated once when opened.
///
/// Tensor data is handed out as views into the mapping; nothing is copied. The mapping lives
/// as long as this object.
public final class GGUFFile: @unchecked Sendable {
    public let path: String
    public let version: UInt32
    /// Metadata in file order.
    public let metadataKeys: [String]
    public let metadata: [String: GGUFValue]
    /// Tensor infos in file order.
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    /// Byte offset of the data section in the file.
    public let dataOffset: Int
    /// Size of the file in bytes.
    public let fileSize: Int

    private let base: UnsafeRawPointer
    private let mappedLength: Int
    private let ownsMapping: Bool
    private let tensorIndex: [String: Int]

    /// Opens and validates `path`. Errors are `GGUFFileError` naming the file.
    ///
    /// With `requireSupportedTypes` false, tensors of types quantty cannot compute with
    /// (integer tensors, Q8_K activation blocks, ...) are accepted, for tools that only describe a file (`inspect`).
    public convenience init(path: String, requireSupportedTypes: Bool = true) throws(GGUFFileError) {
        // O_NONBLOCK: opening a FIFO by mistake must not hang (regular files ignore the flag).
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw GGUFFileError(path: path, error: .cannotOpen(path: path, reason: String(cString: strerror(errno)))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw GGUFFileError(path: path, error: .cannotOpen(path: path, reason: String(cString: strerror(errno))))
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw GGUFFileError(path: path, error: .notAFile(path: path)) }
        let size = Int(st.st_size)
        guard size > 0 else { throw GGUFFileError(path: path, error: .empty(path: path)) }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw GGUFFileError(path: path, error: .cannotOpen(path: path, reason: "mmap failed: " + String(cString: strerror(errno))))
        }
        do {
            try self.init(path: path, base: UnsafeRawPointer(p), length: size, ownsMapping: true,
                          requireSupportedTypes: requireSupportedTypes)
        } catch {
            munmap(p, size)
            throw GGUFFileError(path: path, error: error)
        }
    }

    /// Parses a GGUF image already in memory (for tests and fuzzing). The caller keeps
    /// `bytes` alive for the lifetime of the returned object.
    public convenience init(unsafeBytes bytes: UnsafeRawBufferPointer, name: String = "<memory>",
                            requireSupportedTypes: Bool = true) throws(GGUFError) {
        guard let b = bytes.baseAddress, bytes.count > 0 else { throw .truncated(offset: 0, reading: "magic") }
        try self.init(path: name, base: b, length: bytes.count, ownsMapping: false, requireSupportedTypes: requireSupportedTypes)
    }

    private init(path: String, base: UnsafeRawPointer, length: Int, ownsMapping: Bool,
                 requireSupportedTypes: Bool) throws(GGUFError) {
        var parser = GGUFParser(UnsafeRawBufferPointer(start: base, count: length), requireSupportedTypes: requireSupportedTypes)
        let r = try parser.parse()
        self.path = path
        self.base = base
        self.mappedLength = length
        self.ownsMapping = ownsMapping
        self.version = r.version
        self.metadataKeys = r.metadata.map(\.0)
        self.metadata = Dictionary(r.metadata, uniquingKeysWith: { a, _ in a })
        self.tensors = r.tensors
        self.alignment = r.alignment
        self.dataOffset = r.dataOffset
        self.fileSize = length
        self.tensorIndex = Dictionary(r.tensors.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    deinit {
        if ownsMapping { munmap(UnsafeMutableRawPointer(mutating: base), mappedLength) }
    }

    // MARK: - Tensors

    public func tensorInfo(_ name: String) -> GGUFTensorInfo? { tensorIndex[name].map { tensors[$0] } }

    /// The bytes of a tensor, a view into the mapping. `info` must come from this file; an
    /// info that reaches outside the mapping traps rather than reading out of bounds.
    public func tensorData(_ info: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        precondition(info.offset >= 0 && info.byteCount >= 0 && info.byteCount <= fileSize - dataOffset - info.offset,
                     "tensor '\(info.name)' is not inside \(path)")
        return UnsafeRawBufferPointer(start: base + dataOffset + info.offset, count: info.byteCount)
    }

    /// The bytes of a named tensor; throws `missingTensor` if absent.
    public func tensorData(named name: String) throws(GGUFError) -> (GGUFTensorInfo, UnsafeRawBufferPointer) {
        guard let info = tensorInfo(name) else { throw .missingTensor(name) }
        return (info, tensorData(info))
    }

    /// Bytes of all tensor data (the weights), for memory accounting.
    public var tensorBytes: Int { tensors.reduce(0) { $0 + $1.byteCount } }

    // MARK: - Typed metadata access

    public subscript(key: String) -> GGUFValue? { metadata[key] }

    public func string(_ key: String) throws(GGUFError) -> String {
        guard let v = metadata[key] else { throw .missingKey(key) }
        guard let s = v.stringValue else { throw .wrongType(key: key, expected: "string", found: v.type) }
        return s
    }

    public func int(_ key: String) throws(GGUFError) -> Int {
        guard let v = metadata[key] else { throw .missingKey(key) }
        guard let i = v.intValue else { throw .wrongType(key: key, expected: "integer", found: v.type) }
        return i
    }

    public func float(_ key: String) throws(GGUFError) -> Float {
        guard let v = metadata[key] else { throw .missingKey(key) }
        guard let d = v.doubleValue else { throw .wrongType(key: key, expected: "number", found: v.type) }
        return Float(d)
    }

    public func bool(_ key: String) throws(GGUFError) -> Bool {
        guard let v = metadata[key] else { throw .missingKey(key) }
        guard let b = v.boolValue else { throw .wrongType(key: key, expected: "bool", found: v.type) }
        return b
    }

    public func stringArray(_ key: String) throws(GGUFError) -> [String] { Array(try packedStrings(key)) }

    /// A string array without a `String` per element (shares the parsed storage).
    public func packedStrings(_ key: String) throws(GGUFError) -> PackedStrings {
        guard let v = metadata[key] else { throw .missingKey(key) }
        guard case .array(.string, let a) = v, let s = a.strings() else {
            throw .wrongType(key: key, expected: "array of strings", found: v.type)
        }
        return s
    }

    public func floatArray(_ key: String) throws(GGUFError) -> [Float] {
        guard let v = metadata[key] else { throw .missingKey(key) }
        guard case .array(_, let a) = v, let f = a.floats() else {
            throw .wrongType(key: key, expected: "array of numbers", found: v.type)
        }
        return f
    }

    public func intArray(_ key: String) throws(GGUFError) -> [Int] {
        guard let v = metadata[key] else { throw .missingKey(key) }
        guard case .array(_, let a) = v, let f = a.ints() else {
            throw .wrongType(key: key, expected: "array of integers", found: v.type)
        }
        return f
    }

    /// `general.architecture`.
    public var architecture: String? { metadata["general.architecture"]?.stringValue }

    /// Value of `ARCH.suffix`, e.g. `arch("context_length")` -> `llama.context_length`.
    public func archKey(_ suffix: String) -> String { "\(architecture ?? "unknown").\(suffix)" }

    /// Total number of weights.
    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.elementCount } }
}
