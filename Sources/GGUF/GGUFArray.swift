/// The elements of a GGUF array value.
///
/// Arrays read from a file keep strings and numbers packed: a 262,144-token vocabulary is one
/// byte buffer and an end-offset table (about 3 MiB), not 262,144 enum values (about 20 MiB,
/// resident for as long as the file is open). Arrays built in code keep the values they were
/// given, mixed types included, so the writer can still refuse a mixed array by name.
/// Elements read back as `GGUFValue`s either way; equality compares elements.
public struct GGUFArray: Sendable, Equatable, RandomAccessCollection, ExpressibleByArrayLiteral {
    /// Where the elements are: one object, so a `GGUFValue.array` holds a single reference
    /// (as it did when it held `[GGUFValue]`). Stored inline, the wide payload would leave
    /// `GGUFValue` room to keep its case in the spare bits of a buffer pointer, where
    /// LeakSanitizer does not see a pointer and reports a live file's arrays as leaked.
    final class Storage: Sendable {
        enum Kind: Sendable { case values, strings, scalars }
        let kind: Kind
        let values: [GGUFValue]
        /// `.strings`: already checked to be valid UTF-8.
        let strings: PackedStrings
        /// `.scalars`: little-endian elements of `scalarType` back to back; bools already 0 or 1.
        let scalarType: GGUFValueType
        let raw: [UInt8]

        private init(_ kind: Kind, values: [GGUFValue] = [], strings: PackedStrings = PackedStrings(bytes: [], ends: []),
                     scalarType: GGUFValueType = .uint8, raw: [UInt8] = []) {
            self.kind = kind
            self.values = values
            self.strings = strings
            self.scalarType = scalarType
            self.raw = raw
        }

        static func values(_ v: [GGUFValue]) -> Storage { Storage(.values, values: v) }
        static func strings(_ p: PackedStrings) -> Storage { Storage(.strings, strings: p) }
        static func scalars(_ t: GGUFValueType, _ raw: [UInt8]) -> Storage { Storage(.scalars, scalarType: t, raw: raw) }
    }

    let storage: Storage

    public init(_ values: [GGUFValue]) { storage = .values(values) }
    public init(arrayLiteral elements: GGUFValue...) { storage = .values(elements) }
    init(storage: Storage) { self.storage = storage }

    public var startIndex: Int { 0 }
    public var endIndex: Int {
        switch storage.kind {
        case .values: return storage.values.count
        case .strings: return storage.strings.count
        case .scalars: return storage.raw.count / (storage.scalarType.fixedSize ?? 1)
        }
    }

    public subscript(i: Int) -> GGUFValue {
        switch storage.kind {
        case .values:
            return storage.values[i]
        case .strings:
            return .string(storage.strings[i])
        case .scalars:
            let t = storage.scalarType
            return storage.raw.withUnsafeBytes { Self.scalar(t, $0, at: i * (t.fixedSize ?? 1)) }
        }
    }

    /// Every element as a string, or nil when one is not a string. An array read from a file
    /// hands out its own storage.
    public func strings() -> PackedStrings? {
        if storage.kind == .strings { return storage.strings }
        let s = compactMap(\.stringValue)
        return s.count == count ? PackedStrings(s) : nil
    }

    /// Every element as a Float (any numeric type), or nil when one is not a number.
    public func floats() -> [Float]? {
        if storage.kind == .scalars, storage.scalarType == .float32 {
            return storage.raw.withUnsafeBytes { raw in
                (0 ..< raw.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            }
        }
        let d = compactMap(\.doubleValue)
        return d.count == count ? d.map(Float.init) : nil
    }

    /// Every element as an Int (integer types and bools), or nil when one is not an integer
    /// or does not fit.
    public func ints() -> [Int]? {
        if storage.kind == .scalars, storage.scalarType == .int32 {
            return storage.raw.withUnsafeBytes { raw in
                (0 ..< raw.count / 4).map { Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self))) }
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
