import GGUF

/// An immutable hash table from byte strings to ids, built once per vocabulary.
///
/// Keys live back to back in one byte array (a vocabulary's own `PackedStrings`, shared, when
/// there are no extra keys); lookups take a pointer and a length, so the tokenizers never
/// build a `String` to ask whether a slice of text is a token.
struct TokenTable: Sendable {
    private let keys: PackedStrings
    /// Open addressing, linear probing; -1 marks an empty slot. Values are key indices.
    private let slots: [Int32]
    private let mask: Int

    /// Number of keys.
    var count: Int { keys.count }

    /// Builds the table. When a key repeats, the first index wins.
    init(keys: [[UInt8]]) {
        self.init(packed: PackedStrings(utf8: keys))
    }

    /// Builds the table on `strings` (sharing their storage), then `extra` keys.
    init(strings: PackedStrings, extra: [[UInt8]] = []) {
        if extra.isEmpty {
            self.init(packed: strings)
        } else {
            self.init(packed: PackedStrings(utf8: strings.indices.lazy.map { strings.bytes[strings.range($0)] } + extra.lazy.map { $0[...] }))
        }
    }

    private init(packed keys: PackedStrings) {
        let n = keys.count
        var cap = 16
        while cap < n * 2 { cap <<= 1 }
        var slots = [Int32](repeating: -1, count: cap)
        let mask = cap - 1
        keys.bytes.withUnsafeBufferPointer { b in
            for i in 0..<n {
                let r = keys.range(i)
                let key = UnsafeBufferPointer(rebasing: b[r])
                var h = Int(truncatingIfNeeded: TokenTable.hash(key)) & mask
                var duplicate = false
                while slots[h] >= 0 {
                    let j = Int(slots[h])
                    if TokenTable.equal(key, UnsafeBufferPointer(rebasing: b[keys.range(j)])) {
                        duplicate = true
                        break
                    }
                    h = (h + 1) & mask
                }
                if !duplicate { slots[h] = Int32(i) }
            }
        }
        self.keys = keys
        self.slots = slots
        self.mask = mask
    }

    @inline(__always)
    static func hash(_ p: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for c in p { h = (h ^ UInt64(c)) &* 0x0000_0100_0000_01b3 }
        return h ^ (h >> 29)
    }

    @inline(__always)
    static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        if a.count != b.count { return false }
        for i in 0..<a.count where a[i] != b[i] { return false }
        return true
    }

    /// The id of `key`, or -1.
    func lookup(_ key: UnsafeBufferPointer<UInt8>) -> Int32 {
        var h = Int(truncatingIfNeeded: TokenTable.hash(key)) & mask
        return keys.bytes.withUnsafeBufferPointer { b in
            while true {
                let j = Int(slots[h])
                if j < 0 { return -1 }
                if TokenTable.equal(key, UnsafeBufferPointer(rebasing: b[keys.range(j)])) {
                    return Int32(j)
                }
                h = (h + 1) & mask
            }
        }
    }

    func lookup(_ key: [UInt8]) -> Int32 { key.withUnsafeBufferPointer { lookup($0) } }
    func lookup(_ key: String) -> Int32 { lookup(Array(key.utf8)) }

    /// The bytes of key `i`.
    func key(_ i: Int) -> ArraySlice<UInt8> { keys.bytes[keys.range(i)] }
}
