/// Parses a GGUF image held in memory. Every read is bounds-checked against the buffer;
/// every failure is a `GGUFError` that says where.
struct GGUFParser {
    let bytes: UnsafeRawBufferPointer
    var pos = 0
    /// Refuse tensor types quantty cannot compute with (off for `inspect`, which only reads).
    var requireSupportedTypes = true

    init(_ bytes: UnsafeRawBufferPointer, requireSupportedTypes: Bool = true) {
        self.bytes = bytes
        self.requireSupportedTypes = requireSupportedTypes
    }

    var remaining: Int { bytes.count - pos }

    mutating func need(_ n: Int, _ what: @autoclosure () -> String) throws(GGUFError) {
        if n > remaining { throw .truncated(offset: pos, reading: what()) }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(GGUFError) -> T {
        try need(MemoryLayout<T>.size, what())
        let v = bytes.loadUnaligned(fromByteOffset: pos, as: T.self)
        pos += MemoryLayout<T>.size
        return T(littleEndian: v)
    }

    mutating func readString(_ what: @autoclosure () -> String) throws(GGUFError) -> String {
        let at = pos
        let n = try read(UInt64.self, what())
        guard n <= UInt64(remaining) else { throw .lengthPastEnd(offset: at, length: n, reading: what()) }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[pos ..< pos + Int(n)])
        guard let s = String(validating: slice, as: UTF8.self) else { throw .invalidUTF8(offset: pos, reading: what()) }
        pos += Int(n)
        return s
    }

    /// Deepest array nesting accepted (an array at depth `maxArrayDepth` is refused), shared
    /// with the writer so everything it writes reads back.
    static let maxArrayDepth = 8

    /// Largest tensor the reader accepts, in elements; also used by the writer.
    static let maxElements = 1 << 40

    /// Checks a tensor shape the way the reader does: 1 to 4 dimensions, each at least 1,
    /// element count below `maxElements`. Returns the element count.
    static func elementCount(of shape: [UInt64]) -> Int? {
        guard (1 ... 4).contains(shape.count) else { return nil }
        var elements = 1
        for raw in shape {
            guard raw >= 1, raw <= UInt64(Int32.max) * 64 else { return nil }
            let (e, o) = elements.multipliedReportingOverflow(by: Int(raw))
            guard !o, e < maxElements else { return nil }
            elements = e
        }
        return elements
    }

    mutating func readValue(type: GGUFValueType, key: String, depth: Int) throws(GGUFError) -> GGUFValue {
        // Built lazily: this runs once per array element (100k times for a vocabulary).
        func what() -> String { "value of '\(key)'" }
        switch type {
        case .uint8: return .uint8(try read(UInt8.self, what()))
        case .int8: return .int8(try read(Int8.self, what()))
        case .uint16: return .uint16(try read(UInt16.self, what()))
        case .int16: return .int16(try read(Int16.self, what()))
        case .uint32: return .uint32(try read(UInt32.self, what()))
        case .int32: return .int32(try read(Int32.self, what()))
        case .uint64: return .uint64(try read(UInt64.self, what()))
        case .int64: return .int64(try read(Int64.self, what()))
        case .float32: return .float32(Float(bitPattern: try read(UInt32.self, what())))
        case .float64: return .float64(Double(bitPattern: try read(UInt64.self, what())))
        case .bool:
            let at = pos
            let b = try read(UInt8.self, what())
            guard b <= 1 else { throw .invalidBool(offset: at, value: b, key: key) }
            return .bool(b == 1)
        case .string: return .string(try readString(what()))
        case .array:
            guard depth < Self.maxArrayDepth else { throw .nestingTooDeep(offset: pos, key: key) }
            let typeAt = pos
            let raw = try read(UInt32.self, "array type of '\(key)'")
            guard let elem = GGUFValueType(rawValue: raw) else { throw .invalidValueType(offset: typeAt, raw: raw, key: key) }
            let countAt = pos
            let count = try read(UInt64.self, "array length of '\(key)'")
            // Every element takes at least one byte (strings and arrays at least eight).
            let minSize = UInt64(elem.fixedSize ?? 8)
            guard count <= UInt64(remaining) / minSize else {
                throw .lengthPastEnd(offset: countAt, length: count, reading: "array '\(key)'")
            }
            return .array(elem, try readArray(of: elem, count: Int(count), key: key, depth: depth))
        }
    }

    /// The elements of an array whose type and count are read: strings and fixed-size numbers
    /// packed (see `GGUFArray`), nested arrays as values.
    mutating func readArray(of elem: GGUFValueType, count: Int, key: String, depth: Int) throws(GGUFError) -> GGUFArray {
        func what() -> String { "value of '\(key)'" }
        switch elem {
        case .array:
            var out = [GGUFValue]()
            out.reserveCapacity(count)
            for _ in 0 ..< count { out.append(try readValue(type: elem, key: key, depth: depth + 1)) }
            return GGUFArray(out)
        case .string:
            var text = [UInt8]()
            var ends = [UInt32]()
            ends.reserveCapacity(count)
            for _ in 0 ..< count {
                let at = pos
                let n = try read(UInt64.self, what())
                guard n <= UInt64(remaining) else { throw .lengthPastEnd(offset: at, length: n, reading: what()) }
                let slice = UnsafeRawBufferPointer(rebasing: bytes[pos ..< pos + Int(n)])
                guard UTF8Check.isValid(slice) else { throw .invalidUTF8(offset: pos, reading: what()) }
                text.append(contentsOf: slice)
                pos += Int(n)
                // Past 4 GiB of text the packed offsets would overflow: keep values instead (never
                // seen in a real file, but the reader takes whatever fits the format).
                guard text.count <= Int(UInt32.max) else {
                    pos = at
                    var values = PackedStrings(bytes: text, ends: ends).map(GGUFValue.string)
                    for _ in ends.count ..< count { values.append(.string(try readString(what()))) }
                    return GGUFArray(values)
                }
                ends.append(UInt32(text.count))
            }
            return GGUFArray(storage: .strings(PackedStrings(bytes: text, ends: ends)))
        default:
            let size = elem.fixedSize ?? 1
            try need(count * size, what())
            let raw = UnsafeRawBufferPointer(rebasing: bytes[pos ..< pos + count * size])
            if elem == .bool, let bad = raw.firstIndex(where: { $0 > 1 }) {
                throw .invalidBool(offset: pos + bad, value: raw[bad], key: key)
            }
            pos += count * size
            return GGUFArray(storage: .scalars(elem, Array(raw)))
        }
    }

    /// Parses the header, metadata and tensor infos, and validates the tensor layout.
    mutating func parse() throws(GGUFError) -> (version: UInt32, metadata: [(String, GGUFValue)],
                                                tensors: [GGUFTensorInfo], alignment: Int, dataOffset: Int) {
        let magic = try read(UInt32.self, "magic")
        guard magic == 0x4655_4747 else { throw .badMagic(found: magic) }
        let version = try read(UInt32.self, "version")
        guard version == 2 || version == 3 else { throw .unsupportedVersion(version) }
        let countAt = pos
        let tensorCount = try read(UInt64.self, "tensor count")
        let kvAt = pos
        let kvCount = try read(UInt64.self, "metadata count")
        // A key-value pair takes at least 13 bytes, a tensor info at least 28.
        guard kvCount <= UInt64(remaining) / 13 else { throw .lengthPastEnd(offset: kvAt, length: kvCount, reading: "metadata count") }

        var metadata: [(String, GGUFValue)] = []
        var seen = Set<String>()
        for i in 0 ..< Int(kvCount) {
            let at = pos
            let key = try readString("key of metadata entry \(i)")
            guard seen.insert(key).inserted else { throw .duplicateKey(key, offset: at) }
            let typeAt = pos
            let raw = try read(UInt32.self, "type of '\(key)'")
            guard let type = GGUFValueType(rawValue: raw) else { throw .invalidValueType(offset: typeAt, raw: raw, key: key) }
            metadata.append((key, try readValue(type: type, key: key, depth: 0)))
        }

        // ggml insists on a uint32 here; so do we (a bool or a float would otherwise pass as 1).
        var alignment = 32
        if let (_, a) = metadata.first(where: { $0.0 == "general.alignment" }) {
            guard case .uint32(let v) = a else { throw .wrongType(key: "general.alignment", expected: "uint32", found: a.type) }
            guard v > 0, v <= 65536, v & (v - 1) == 0 else { throw .badAlignment(UInt64(v)) }
            alignment = Int(v)
        }

        guard tensorCount <= UInt64(remaining) / 28 else {
            throw .lengthPastEnd(offset: countAt, length: tensorCount, reading: "tensor count")
        }
        // Offsets are checked against the data section once its start is known.
        var pending: [(name: String, shape: [Int], type: GGMLType, offset: UInt64, size: Int)] = []
        pending.reserveCapacity(Int(tensorCount))
        var names = Set<String>()
        for i in 0 ..< Int(tensorCount) {
            let name = try readString("name of tensor \(i)")
            guard names.insert(name).inserted else { throw .duplicateTensor(name) }
            let nDims = try read(UInt32.self, "dimension count of '\(name)'")
            guard nDims >= 1, nDims <= 4 else { throw .tooManyDimensions(tensor: name, count: nDims) }
            var dims: [UInt64] = []
            for d in 0 ..< Int(nDims) { dims.append(try read(UInt64.self, "dimension \(d) of '\(name)'")) }
            guard let elements = Self.elementCount(of: dims) else { throw .dimensionOverflow(tensor: name) }
            let shape = dims.map { Int($0) }
            let rawType = try read(UInt32.self, "type of '\(name)'")
            guard let type = GGMLType(rawValue: rawType) else { throw .unknownTensorType(tensor: name, raw: rawType) }
            guard type.isSupported || !requireSupportedTypes else { throw .unsupportedTensorType(tensor: name, type: type) }
            guard shape[0] % type.blockSize == 0 else { throw .rowNotWholeBlocks(tensor: name, type: type, width: shape[0]) }
            let offset = try read(UInt64.self, "data offset of '\(name)'")
            guard offset % UInt64(alignment) == 0 else {
                throw .misalignedTensor(tensor: name, offset: offset, alignment: alignment)
            }
            guard let size = type.byteCount(elements: elements) else { throw .dimensionOverflow(tensor: name) }
            pending.append((name, shape, type, offset, size))
        }

        let dataOffset = (pos + alignment - 1) / alignment * alignment
        let dataSize = max(0, bytes.count - dataOffset)
        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(pending.count)
        for t in pending {
            guard t.offset <= UInt64(dataSize), t.size <= dataSize - Int(t.offset) else {
                let (end, o) = t.offset.addingReportingOverflow(UInt64(t.size))
                throw .tensorOutOfBounds(tensor: t.name, end: o ? .max : end, dataSize: dataSize)
            }
            tensors.append(GGUFTensorInfo(name: t.name, shape: t.shape, type: t.type, offset: Int(t.offset), byteCount: t.size))
        }
        let sorted = tensors.sorted { $0.offset < $1.offset }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.offset + a.byteCount > b.offset && a.byteCount > 0 {
            throw .tensorsOverlap(a.name, b.name)
        }
        return (version, metadata, tensors, alignment, dataOffset)
    }
}

/// UTF-8 well-formedness (Unicode 15, table 3-7), the rule `String(validating:)` applies,
/// without building a `String`: the reader checks every vocabulary entry with it.
enum UTF8Check {
    static func isValid(_ b: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        let n = b.count
        while i < n {
            let c0 = b[i]
            if c0 < 0x80 { i += 1; continue }
            func cont(_ k: Int) -> Bool { i + k < n && b[i + k] & 0xC0 == 0x80 }
            switch c0 {
            case 0xC2 ... 0xDF:
                guard cont(1) else { return false }
                i += 2
            case 0xE0 ... 0xEF:
                guard cont(1), cont(2) else { return false }
                let c1 = b[i + 1]
                if c0 == 0xE0 && c1 < 0xA0 { return false }   // overlong
                if c0 == 0xED && c1 > 0x9F { return false }   // surrogates
                i += 3
            case 0xF0 ... 0xF4:
                guard cont(1), cont(2), cont(3) else { return false }
                let c1 = b[i + 1]
                if c0 == 0xF0 && c1 < 0x90 { return false }   // overlong
                if c0 == 0xF4 && c1 > 0x8F { return false }   // past U+10FFFF
                i += 4
            default:
                return false
            }
        }
        return true
    }
}
