#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Writes GGUF v3 files laid out exactly like ggml's `gguf_write_out` (and gguf-py's
// GGUFWriter):
//
//   "GGUF" u32 version=3, u64 n_tensors, u64 n_kv
//   n_kv x   (string key, u32 type, value)        arrays: u32 elem type, u64 count, elems
//   n_tensors x (string name, u32 n_dims, u64 ne[n_dims], u32 ggml type, u64 offset)
//   zero padding to `alignment`                   <- data section starts here
//   tensor 0 bytes, zero padding to `alignment`   offset 0
//   tensor 1 bytes, zero padding to `alignment`   offset = previous offset + padded size
//   ...                                           (the last tensor is padded too)
//
// Strings are u64 length + UTF-8 bytes, no terminator. Everything is little-endian.
// `alignment` is `general.alignment` (a uint32) when present, else 32.

// MARK: - Errors

/// Everything the writer can refuse, each naming the key, tensor or path at fault.
public enum GGUFWriteError: Error, Equatable, CustomStringConvertible {
    case emptyKey
    case duplicateKey(String)
    /// An array holds an element whose type is not the array's element type.
    case mixedArray(key: String, expected: GGUFValueType, found: GGUFValueType)
    case nestingTooDeep(key: String)
    /// `general.alignment` must be a uint32 power of two between 1 and 65536.
    case badAlignment(GGUFValue)
    case badTensorName(String, reason: String)
    case duplicateTensor(String)
    case badShape(tensor: String, shape: [Int])
    case rowNotWholeBlocks(tensor: String, type: GGMLType, width: Int)
    case dataSizeMismatch(tensor: String, expected: Int, got: Int)
    /// The stream writer was handed a tensor it was not told about.
    case unknownTensor(String)
    case tensorWrittenTwice(String)
    case tensorsNotWritten([String])
    case alreadyFinished(path: String)
    case io(path: String, operation: String, reason: String)
    /// The output exists and is a device, FIFO, socket or folder: it is never replaced.
    case notARegularFile(path: String, kind: String)
    /// The output is the input file itself (same device and inode), under another path.
    case outputIsInput(output: String, input: String)

    public var description: String {
        switch self {
        case .emptyKey: return "metadata keys must not be empty"
        case .duplicateKey(let k): return "duplicate metadata key '\(k)'"
        case .mixedArray(let k, let e, let f): return "array '\(k)' of \(e) holds a \(f)"
        case .nestingTooDeep(let k): return "array '\(k)' nests deeper than \(GGUFParser.maxArrayDepth) levels"
        case .badAlignment(let v): return "general.alignment must be a uint32 power of two between 1 and 65536, not \(v)"
        case .badTensorName(let n, let r): return "bad tensor name '\(n)': \(r)"
        case .duplicateTensor(let n): return "duplicate tensor name '\(n)'"
        case .badShape(let n, let s): return "tensor '\(n)' has an invalid shape \(s) (1 to 4 dimensions, each at least 1)"
        case .rowNotWholeBlocks(let n, let t, let w):
            return "tensor '\(n)': row width \(w) is not a multiple of \(t)'s block size \(t.blockSize)"
        case .dataSizeMismatch(let n, let e, let g): return "tensor '\(n)' needs \(e) bytes of data, got \(g)"
        case .unknownTensor(let n): return "tensor '\(n)' was not declared when the file was started"
        case .tensorWrittenTwice(let n): return "tensor '\(n)' was already written"
        case .tensorsNotWritten(let n):
            return "\(n.count) tensor(s) never written: " + n.prefix(5).joined(separator: ", ") + (n.count > 5 ? ", ..." : "")
        case .alreadyFinished(let p): return "\(p) was already finished or cancelled"
        case .io(let p, let op, let r): return "cannot \(op) \(p): \(r)"
        case .notARegularFile(let p, let k): return "\(p) is \(k), not a regular file: quantty writes only regular files (give a new file's name)"
        case .outputIsInput(let o, let i): return "the output \(o) is the input \(i) (the same file): choose another file"
        }
    }
}

// MARK: - Tensor descriptions and layout

/// A tensor to be written: its name, shape in ggml order (`shape[0]` is the row width) and type.
public struct GGUFTensorSpec: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    public let type: GGMLType
    /// Bytes of tensor data (without padding).
    public let byteCount: Int

    /// Validates the tensor the way the reader will: a name of 1 to 63 UTF-8 bytes (ggml's
    /// limit), 1 to 4 dimensions each at least 1, rows of whole blocks.
    public init(name: String, shape: [Int], type: GGMLType) throws(GGUFWriteError) {
        guard !name.isEmpty else { throw .badTensorName(name, reason: "empty") }
        guard name.utf8.count < 64 else { throw .badTensorName(name, reason: "\(name.utf8.count) bytes, ggml allows at most 63") }
        guard shape.allSatisfy({ $0 >= 1 }),
              let elements = GGUFParser.elementCount(of: shape.map { UInt64($0) }) else {
            throw .badShape(tensor: name, shape: shape)
        }
        guard shape[0] % type.blockSize == 0 else { throw .rowNotWholeBlocks(tensor: name, type: type, width: shape[0]) }
        guard let bytes = type.byteCount(elements: elements) else { throw .badShape(tensor: name, shape: shape) }
        self.name = name
        self.shape = shape
        self.type = type
        self.byteCount = bytes
    }
}

/// Where everything goes in a file: the encoded header (padded to the data section) and each
/// tensor's offset within the data section.
struct GGUFLayout {
    var header: [UInt8]
    var alignment: Int
    /// Tensor infos in declaration order, offsets relative to the data section.
    var tensors: [GGUFTensorInfo]
    /// Bytes of the data section, padding included.
    var dataSize: Int
    var fileSize: Int { header.count + dataSize }

    init(metadata: [(key: String, value: GGUFValue)], tensors specs: [GGUFTensorSpec]) throws(GGUFWriteError) {
        var seen = Set<String>()
        var alignment = 32
        for (key, value) in metadata {
            guard !key.isEmpty else { throw .emptyKey }
            guard seen.insert(key).inserted else { throw .duplicateKey(key) }
            try Self.check(value, key: key, depth: 0)
            if key == "general.alignment" {
                guard case .uint32(let a) = value, a > 0, a <= 65536, a & (a - 1) == 0 else { throw .badAlignment(value) }
                alignment = Int(a)
            }
        }
        var names = Set<String>()
        var infos: [GGUFTensorInfo] = []
        var offset = 0
        for s in specs {
            guard names.insert(s.name).inserted else { throw .duplicateTensor(s.name) }
            infos.append(GGUFTensorInfo(name: s.name, shape: s.shape, type: s.type, offset: offset, byteCount: s.byteCount))
            offset += Self.pad(s.byteCount, alignment)
        }

        var w = ByteWriter()
        w.bytes.append(contentsOf: [0x47, 0x47, 0x55, 0x46])  // "GGUF"
        w.u32(3)
        w.u64(UInt64(specs.count))
        w.u64(UInt64(metadata.count))
        for (key, value) in metadata {
            w.string(key)
            w.u32(value.type.rawValue)
            w.value(value)
        }
        for t in infos {
            w.string(t.name)
            w.u32(UInt32(t.shape.count))
            for d in t.shape { w.u64(UInt64(d)) }
            w.u32(t.type.rawValue)
            w.u64(UInt64(t.offset))
        }
        w.bytes.append(contentsOf: repeatElement(0, count: Self.pad(w.bytes.count, alignment) - w.bytes.count))

        self.header = w.bytes
        self.alignment = alignment
        self.tensors = infos
        self.dataSize = offset
    }

    static func pad(_ n: Int, _ alignment: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    private static func check(_ value: GGUFValue, key: String, depth: Int) throws(GGUFWriteError) {
        guard case .array(let elem, let items) = value else { return }
        guard depth < GGUFParser.maxArrayDepth else { throw .nestingTooDeep(key: key) }
        for item in items {
            guard item.type == elem else { throw .mixedArray(key: key, expected: elem, found: item.type) }
            try check(item, key: key, depth: depth + 1)
        }
    }
}

/// `Array.withUnsafeBytes` with a typed error (the standard library's only rethrows `any Error`).
private func withBytes(_ a: [UInt8], _ body: (UnsafeRawBufferPointer) throws(GGUFWriteError) -> Void) throws(GGUFWriteError) {
    var failure: GGUFWriteError?
    a.withUnsafeBytes { b in
        do throws(GGUFWriteError) { try body(b) } catch { failure = error }
    }
    if let failure { throw failure }
}

/// Little-endian encoder for header fields.
private struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func int<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }
    mutating func u32(_ v: UInt32) { int(v) }
    mutating func u64(_ v: UInt64) { int(v) }
    mutating func string(_ s: String) {
        u64(UInt64(s.utf8.count))
        bytes.append(contentsOf: s.utf8)
    }

    /// The value's payload (its type tag is written by the caller).
    mutating func value(_ v: GGUFValue) {
        switch v {
        case .uint8(let x): int(x)
        case .int8(let x): int(x)
        case .uint16(let x): int(x)
        case .int16(let x): int(x)
        case .uint32(let x): int(x)
        case .int32(let x): int(x)
        case .uint64(let x): int(x)
        case .int64(let x): int(x)
        case .float32(let x): int(x.bitPattern)
        case .float64(let x): int(x.bitPattern)
        case .bool(let b): int(UInt8(b ? 1 : 0))
        case .string(let s): string(s)
        case .array(let elem, let items):
            u32(elem.rawValue)
            u64(UInt64(items.count))
            for item in items { value(item) }
        }
    }
}

// MARK: - In-memory writer

/// Builds a GGUF v3 file from metadata (kept in insertion order) and tensors with their data.
///
/// ```swift
/// var w = GGUFWriter()
/// w["general.architecture"] = .string("llama")
/// try w.addTensor(name: "output_norm.weight", shape: [576], type: .f32, data: bytes)
/// try w.write(to: "model.gguf")          // atomic: path.tmp-<pid>, then rename
/// let image = try w.serialized()         // or the whole file in memory
/// ```
/// For tensors produced one at a time, use `GGUFStreamWriter`.
public struct GGUFWriter: Sendable {
    /// Metadata in file order.
    public private(set) var metadata: [(key: String, value: GGUFValue)] = []
    /// Tensors in file order.
    public private(set) var tensors: [GGUFTensorSpec] = []
    private var data: [[UInt8]] = []
    private var tensorNames = Set<String>()

    public init() {}

    /// A writer holding all of `file`'s metadata, in order, and no tensors.
    public init(metadataOf file: GGUFFile) {
        metadata = file.metadataKeys.map { ($0, file.metadata[$0]!) }
    }

    /// Gets, replaces (in place, keeping its position), appends, or with `nil` removes a key.
    public subscript(key: String) -> GGUFValue? {
        get { metadata.first(where: { $0.key == key })?.value }
        set {
            let i = metadata.firstIndex(where: { $0.key == key })
            switch (i, newValue) {
            case (let i?, let v?): metadata[i].value = v
            case (let i?, nil): metadata.remove(at: i)
            case (nil, let v?): metadata.append((key, v))
            case (nil, nil): break
            }
        }
    }

    /// Data alignment: `general.alignment` when it is a uint32, else 32.
    public var alignment: Int {
        if case .uint32(let a)? = self["general.alignment"] { return Int(a) }
        return 32
    }

    /// Adds a tensor with its data (exactly `spec.byteCount` bytes).
    public mutating func addTensor(_ spec: GGUFTensorSpec, data bytes: [UInt8]) throws(GGUFWriteError) {
        guard bytes.count == spec.byteCount else {
            throw .dataSizeMismatch(tensor: spec.name, expected: spec.byteCount, got: bytes.count)
        }
        guard tensorNames.insert(spec.name).inserted else { throw .duplicateTensor(spec.name) }
        tensors.append(spec)
        data.append(bytes)
    }

    /// Adds a tensor with its data; see `GGUFTensorSpec.init` for what is checked.
    public mutating func addTensor(name: String, shape: [Int], type: GGMLType, data bytes: [UInt8]) throws(GGUFWriteError) {
        try addTensor(GGUFTensorSpec(name: name, shape: shape, type: type), data: bytes)
    }

    /// Adds a tensor, copying its data from `bytes` (for example a view into another `GGUFFile`).
    public mutating func addTensor(name: String, shape: [Int], type: GGMLType,
                                   bytes: UnsafeRawBufferPointer) throws(GGUFWriteError) {
        try addTensor(GGUFTensorSpec(name: name, shape: shape, type: type), data: Array(bytes))
    }

    /// The whole file in memory.
    public func serialized() throws(GGUFWriteError) -> [UInt8] {
        let layout = try GGUFLayout(metadata: metadata, tensors: tensors)
        var out = layout.header
        out.reserveCapacity(layout.fileSize)
        for (info, bytes) in zip(layout.tensors, data) {
            out.append(contentsOf: bytes)
            out.append(contentsOf: repeatElement(0, count: GGUFLayout.pad(info.byteCount, layout.alignment) - info.byteCount))
        }
        return out
    }

    /// Writes the file atomically: to `path.tmp-<pid>`, flushed, then renamed over `path`.
    /// On any error the temporary file is removed and `path` is left as it was.
    public func write(to path: String) throws(GGUFWriteError) {
        let stream = try GGUFStreamWriter(path: path, metadata: metadata, tensors: tensors)
        for (spec, bytes) in zip(tensors, data) {
            try withBytes(bytes) { (b) throws(GGUFWriteError) in try stream.write(spec.name, bytes: b) }
        }
        try stream.finish()
    }
}

// MARK: - Streaming writer

/// Writes a GGUF file whose tensors arrive one at a time, never holding more than one.
///
/// The header, with every tensor's offset computed from its shape and type, is written when
/// the writer is created; each `write` then puts one tensor's bytes at its offset (in any
/// order). `finish` checks that every tensor was written, flushes, and renames the temporary
/// file `path.tmp-<pid>` over `path`. A writer dropped or cancelled before `finish` removes
/// its temporary file, so an interrupted quantization leaves no half-written model behind.
public final class GGUFStreamWriter {
    /// The file that `finish` produces.
    public let path: String
    /// Where the bytes go until `finish`.
    public let temporaryPath: String
    /// Tensor infos in file order; offsets are relative to the data section.
    public let tensors: [GGUFTensorInfo]
    /// Byte offset of the data section in the file.
    public let dataOffset: Int
    public let alignment: Int
    /// Size of the finished file.
    public let fileSize: Int

    private var fd: Int32
    private var index: [String: Int] = [:]
    private var written: [Bool]

    /// Creates `path.tmp-<pid>` exclusively (see `SafeOutput`), sizes it and writes the header.
    /// Throws when `path` exists and is not a regular file.
    public init(path: String, metadata: [(key: String, value: GGUFValue)], tensors specs: [GGUFTensorSpec]) throws(GGUFWriteError) {
        let layout = try GGUFLayout(metadata: metadata, tensors: specs)
        self.path = path
        let existing = try SafeOutput.checkTarget(path)
        let (fd, temporaryPath) = try SafeOutput.createTemporary(for: path, keepingModeOf: existing)
        self.fd = fd
        self.temporaryPath = temporaryPath
        self.tensors = layout.tensors
        self.dataOffset = layout.header.count
        self.alignment = layout.alignment
        self.fileSize = layout.fileSize
        self.written = Array(repeating: false, count: specs.count)
        for (i, t) in layout.tensors.enumerated() { index[t.name] = i }

        // Padding is whatever the file holds where nothing is written: ftruncate gives zeros.
        guard ftruncate(fd, off_t(fileSize)) == 0 else {
            let e = Self.lastError()
            cancel()
            throw .io(path: temporaryPath, operation: "size", reason: e)
        }
        do {
            try withBytes(layout.header) { (b) throws(GGUFWriteError) in try pwriteAll(b, at: 0) }
        } catch {
            cancel()
            throw error
        }
    }

    deinit { if fd >= 0 { cancel() } }

    /// Writes one declared tensor's data (exactly its `byteCount` bytes).
    public func write(_ name: String, bytes: UnsafeRawBufferPointer) throws(GGUFWriteError) {
        guard fd >= 0 else { throw .alreadyFinished(path: path) }
        guard let i = index[name] else { throw .unknownTensor(name) }
        guard !written[i] else { throw .tensorWrittenTwice(name) }
        let info = tensors[i]
        guard bytes.count == info.byteCount else {
            throw .dataSizeMismatch(tensor: name, expected: info.byteCount, got: bytes.count)
        }
        try pwriteAll(bytes, at: dataOffset + info.offset)
        written[i] = true
    }

    /// Writes one declared tensor's data.
    public func write(_ name: String, data: [UInt8]) throws(GGUFWriteError) {
        try withBytes(data) { (b) throws(GGUFWriteError) in try write(name, bytes: b) }
    }

    /// Checks every tensor was written, flushes to disk and renames the file into place.
    public func finish() throws(GGUFWriteError) {
        guard fd >= 0 else { throw .alreadyFinished(path: path) }
        let missing = zip(tensors, written).filter { !$1 }.map(\.0.name)
        guard missing.isEmpty else { throw .tensorsNotWritten(missing) }
        guard fsync(fd) == 0 else {
            let e = Self.lastError()
            cancel()
            throw .io(path: temporaryPath, operation: "flush", reason: e)
        }
        close(fd)
        fd = -1
        do { _ = try SafeOutput.checkTarget(path) } catch {
            unlink(temporaryPath)
            throw error
        }
        guard rename(temporaryPath, path) == 0 else {
            let e = Self.lastError()
            unlink(temporaryPath)
            throw .io(path: path, operation: "rename \(temporaryPath) to", reason: e)
        }
    }

    /// Abandons the file: closes and removes the temporary file. Safe to call twice.
    public func cancel() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
        unlink(temporaryPath)
    }

    private func pwriteAll(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(GGUFWriteError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let e = n < 0 ? Self.lastError() : "short write"
                cancel()
                throw .io(path: temporaryPath, operation: "write", reason: e)
            }
            done += n
        }
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}
