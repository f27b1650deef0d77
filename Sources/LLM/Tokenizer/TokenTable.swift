/// An immutable hash table from byte strings to ids, built once per vocabulary.
///
/// Keys live back to back in one byte array; lookups take a pointer and a length, so the
/// tokenizers never build a `String` to ask whether a slice of text is a token.
struct TokenTable: Sendable {
    /// All keys concatenated. Key `i` is `bytes[offsets[i] ..< offsets[i + 1]]`.
    private let bytes: [UInt8]
    private let offsets: [Int32]
    /// Open addressing, linear probing; -1 marks an empty slot. Values are key indices.
    private let slots: [Int32]
    private let mask: Int

    /// Number of keys.
    var count: Int { offsets.count - 1 }

    /// Builds the table. When a key repeats, the first index wins.
    init<S: Sequence>(keys: S) where S.Element == [UInt8] {
        var bytes: [UInt8] = []
        var offsets: [Int32] = [0]
        for k in keys {
            bytes.append(contentsOf: k)
            offsets.append(Int32(bytes.count))
        }
        let n = offsets.count - 1
        var cap = 16
        while cap < n * 2 { cap <<= 1 }
        var slots = [Int32](repeating: -1, count: cap)
        let mask = cap - 1
        bytes.withUnsafeBufferPointer { b in
            for i in 0..<n {
                let s = Int(offsets[i]), e = Int(offsets[i + 1])
                let key = UnsafeBufferPointer(rebasing: b[s..<e])
                var h = Int(truncatingIfNeeded: TokenTable.hash(key)) & mask
                var duplicate = false
                while slots[h] >= 0 {
                    let j = Int(slots[h])
                    let js = Int(offsets[j]), je = Int(offsets[j + 1])
                    if je - js == e - s && TokenTable.equal(key, UnsafeBufferPointer(rebasing: b[js..<je])) {
                        duplicate = true
                        break
                    }
                    h = (h + 1) & mask
                }
                if !duplicate { slots[h] = Int32(i) }
            }
        }
        self.bytes = bytes
        self.offsets = offsets
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
        return bytes.withUnsafeBufferPointer { b in
            while true {
                let j = Int(slots[h])
                if j < 0 { return -1 }
                let js = Int(offsets[j]), je = Int(offsets[j + 1])
                if je - js == key.count && TokenTable.equal(key, UnsafeBufferPointer(rebasing: b[js..<je])) {
                    return Int32(j)
                }
                h = (h + 1) & mask
            }
        }
    }

    func lookup(_ key: [UInt8]) -> Int32 { key.withUnsafeBufferPointer { lookup($0) } }
    func lookup(_ key: String) -> Int32 { lookup(Array(key.utf8)) }

    /// The bytes of key `i`.
    func key(_ i: Int) -> ArraySlice<UInt8> { bytes[Int(offsets[i])..<Int(offsets[i + 1])] }
}
