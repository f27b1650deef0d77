/// The elements of a GGUF array value.
///
/// Arrays read from a file keep strings and numbers packed: a 262,144-token vocabulary is one
/// byte buffer and an end-offset table (about 3 MiB), not 262,144 enum values (about 20 MiB,
/// resident for as long as the file is open). Arrays built in code keep the values they were
/// given, mixed types included, so the writer can still refuse a mixed array by name.
/// Elements read back as `GGUFValue`s either way; equality compares elements.
public struct GGUFArray: Sendable, Equatable, RandomAccessCollection, ExpressibleByArrayLiteral {
    enum Storage: Sendable {
        case values([GGUFValue])
        /// Already checked to be valid UTF-8.
        case strings(PackedStrings)
        /// Little-endian elements of a fixed-size type, back to back; bools already checked 0 or 1.
        case scalars(GGUFValueType, [UInt8])
    }

    let storage: Storage

    public init(_ values: [GGUFValue]) { storage = .values(values) }
    public init(arrayLiteral elements: GGUFValue...) { storage = .values(elements) }
    init(storage: Storage) { self.storage = storage }

    public var startIndex: Int { 0 }
    public var endIndex: Int {
        switch storage {
        case .values(let v): return v.count
        case .strings(let p): return p.count
        case .scalars(let t, let bytes): return bytes.count / (t.fixedSize ?? 1)
        }
    }

    public subscript(i: Int) -> GGUFValue {
        switch storage {
        case .values(let v):
            return v[i]
        case .strings(let p):
            return .string(p[i])
        case .scalars(let t, let bytes):
            return bytes.withUnsafeBytes { Self.scalar(t, $0, at: i * (t.fixedSize ?? 1)) }
        }
    }

    /// Every element as a string, or nil when one is not a string. An array read from a file
    /// hands out its own storage.
    public func strings() -> PackedStrings? {
        if case .strings(let p) = storage { return p }
        let s = compactMap(\.stringValue)
        return s.count == count ? PackedStrings(s) : nil
    }

    /// Every element as a Float (any numeric type), or nil when one is not a number.
    public func floats() -> [Float]? {
        if case .scalars(.float32, let bytes) = storage {
            return [Float](unsafeUninitializedCapacity: bytes.count / 4) { out, n in
                bytes.withUnsafeBytes { raw in
                    for i in 0 ..< bytes.count / 4 {
                        out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                    }
                }
                n = bytes.count / 4
            }
        }
        let d = compactMap(\.doubleValue)
        return d.count == count ? d.map(Float.init) : nil
    }

    /// Every element as an Int (integer types and bools), or nil when one is not an integer
    /// or does not fit.
    public func ints() -> [Int]? {
        if case .scalars(.int32, let bytes) = storage {
            return bytes.withUnsafeBytes { raw in
                (0 ..< bytes.count / 4).map { Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self))) }
            }
        }
        let v = compactMap(\.intValue)
        return v.count == count ? v : nil
    }

    public static func == (a: GGUFArray, b: GGUFArray) -> Bool { a.elementsEqual(b) }

    static func scalar(_ t: GGUFValueType, _ raw: UnsafeRawBufferPointer, at o: Int) -> GGUFValue {
        func load<T: FixedWidthInteger>(_: T.Type) -> T { T(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: T.self)) }
        switch t {
        case .uint8: return .uint8(load(UInt8.self))
        case .int8: return .int8(load(Int8.self))
        case .uint16: return .uint16(load(UInt16.self))
        case .int16: return .int16(load(Int16.self))
        case .uint32: return .uint32(load(UInt32.self))
        case .int32: return .int32(load(Int32.self))
        case .uint64: return .uint64(load(UInt64.self))
        case .int64: return .int64(load(Int64.self))
        case .float32: return .float32(Float(bitPattern: load(UInt32.self)))
        case .float64: return .float64(Double(bitPattern: load(UInt64.self)))
        case .bool: return .bool(load(UInt8.self) != 0)
        case .string, .array: preconditionFailure("not a fixed-size type: \(t)")
        }
    }
}
