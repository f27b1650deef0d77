/// Turns generated ids into text as they arrive.
///
/// Pieces can end inside a UTF-8 character (byte-level BPE splits CJK and emoji across tokens;
/// SentencePiece falls back to byte tokens such as `<0xE2>`), so bytes of an unfinished
/// character are held back until the next piece completes them. Every returned chunk is
/// therefore whole characters; bytes that can never form a character come out as U+FFFD.
/// The concatenation of all chunks plus `flush()` equals `Tokenizer.decode` of the same ids
/// (with `removeSpecial: true`), except for BPE vocabularies that clean spaces.
public struct StreamingDecoder: Sendable {
    public let tokenizer: Tokenizer
    public let renderSpecial: Bool
    private var pending: [UInt8] = []
    private var atStart = true

    public init(tokenizer: Tokenizer, renderSpecial: Bool = false) {
        self.tokenizer = tokenizer
        self.renderSpecial = renderSpecial
    }

    /// Appends one token; returns the text that is now complete (possibly empty).
    public mutating func feed(_ id: Int32) -> String {
        let v = tokenizer.vocabulary
        if atStart && v.addBOS && id == v.bos && !renderSpecial {
            // A leading BOS is dropped, and SentencePiece keeps the space that follows it.
            atStart = false
            return ""
        }
        var p = tokenizer.piece(for: id, renderSpecial: renderSpecial)
        if atStart {
            if v.addSpacePrefix && p.first == 0x20 { p = p.dropFirst() }
            atStart = false
        }
        pending.append(contentsOf: p)
        let cut = StreamingDecoder.completePrefixLength(pending)
        if cut == 0 { return "" }
        let text = String(decoding: pending[..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        return text
    }

    /// Appends several tokens.
    public mutating func feed<S: Sequence>(_ ids: S) -> String where S.Element == Int32 {
        var s = ""
        for id in ids { s += feed(id) }
        return s
    }

    /// Returns whatever is held back (an unfinished character becomes U+FFFD) and starts over.
    public mutating func flush() -> String {
        let text = String(decoding: pending, as: UTF8.self)
        pending.removeAll()
        atStart = true
        return text
    }

    /// Bytes of an unfinished character at the end, waiting for the next piece.
    public var pendingByteCount: Int { pending.count }

    /// Length of the longest prefix that does not end inside a character which could still be
    /// completed. Invalid bytes do not hold anything back: decoding shows them as U+FFFD.
    static func completePrefixLength(_ b: [UInt8]) -> Int {
        let n = b.count
        // The last lead byte lies at most 3 bytes from the end.
        var i = n - 1
        var back = 0
        while i >= 0 && back < 4 {
            let c = b[i]
            if c & 0xC0 != 0x80 {  // a lead byte (or ASCII)
                let need = UTF8Scan.sequenceLength(c)
                guard c >= 0xC2 && c <= 0xF4 && need > n - i else { return n }  // complete, ASCII, or invalid
                // Incomplete: hold it only if what is there is a valid start of a character.
                var ok = true
                for k in (i + 1)..<n {
                    let (lo, hi) = StreamingDecoder.allowedRange(lead: c, index: k - i)
                    if b[k] < lo || b[k] > hi { ok = false; break }
                }
                return ok ? i : n
            }
            i -= 1
            back += 1
        }
        return n
    }

    /// Allowed range of continuation byte `index` (1-based) after `lead` (RFC 3629).
    private static func allowedRange(lead: UInt8, index: Int) -> (UInt8, UInt8) {
        if index == 1 {
            switch lead {
            case 0xE0: return (0xA0, 0xBF)
            case 0xED: return (0x80, 0x9F)
            case 0xF0: return (0x90, 0xBF)
            case 0xF4: return (0x80, 0x8F)
            default: return (0x80, 0xBF)
            }
        }
        return (0x80, 0xBF)
    }
}
