/// Strings stored back to back in one UTF-8 buffer with an end-offset table: a vocabulary of
/// 262,144 tokens in about 3 MiB, with no allocation per string.
///
/// A file's string arrays are read into this form once; the tokenizer then shares the same
/// buffers (copy-on-write) instead of making a `String` per token.
public struct PackedStrings: Sendable, Equatable, RandomAccessCollection {
    /// All strings' UTF-8, concatenated.
    public let bytes: [UInt8]
    /// String `i` ends at `ends[i]` and starts where string `i - 1` ends (0 for the first).
    public let ends: [UInt32]

    init(bytes: [UInt8], ends: [UInt32]) {
        self.bytes = bytes
        self.ends = ends
    }

    public init<S: Sequence>(_ strings: S) where S.Element == String {
        self.init(utf8: strings.lazy.map { $0.utf8 })
    }

    /// Packs byte sequences (each expected to be UTF-8; reading one back as a `String` repairs it).
    /// Traps past 4 GiB of text.
    public init<S: Sequence, B: Sequence>(utf8 items: S) where S.Element == B, B.Element == UInt8 {
        var bytes: [UInt8] = []
        var ends: [UInt32] = []
        for s in items {
            bytes.append(contentsOf: s)
            ends.append(UInt32(bytes.count))
        }
        self.init(bytes: bytes, ends: ends)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { ends.count }

    /// Byte range of string `i` in `bytes`.
    @inline(__always)
    public func range(_ i: Int) -> Range<Int> { (i == 0 ? 0 : Int(ends[i - 1])) ..< Int(ends[i]) }

    public subscript(i: Int) -> String { String(decoding: bytes[range(i)], as: UTF8.self) }

    /// UTF-8 length of string `i`.
    public func utf8Count(_ i: Int) -> Int { range(i).count }
}
