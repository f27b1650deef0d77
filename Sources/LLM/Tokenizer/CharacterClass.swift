/// Character classes of the pre-tokenizer regexes that llama.cpp runs through `std::regex`
/// rather than a hand-written splitter (DeepSeek's), matched the way it matches them there.
///
/// llama.cpp hands `std::regex` the text with every non-ASCII whitespace character replaced by
/// U+000B, and, for a regex with `\p{..}`, every other non-ASCII character by one byte standing
/// for its category. So a non-ASCII space is never in a class, `\s` is ASCII whitespace plus
/// those, and `\p{L}` or `\p{P}` is the ASCII part of the category plus the non-ASCII rest.
enum CharacterClass: Sendable, Equatable {
    /// `\p{L}`
    case letters
    /// `\p{P}`
    case punctuation
    /// DeepSeek LLM's letter class `[A-Za-zµÀ-ÖØ-öø-ƺ...𞤀-𞥃]` (cased letters of many scripts).
    case deepseekLetters
    /// DeepSeek LLM's `[!-/:-~！-／：-～‘-‟　-。]` (ASCII punctuation and symbols with letters
    /// among them, fullwidth forms, quotation marks, CJK punctuation).
    case deepseekPunctuation
    /// DeepSeek's `[一-龥ࠀ-一가-퟿]`: U+0800 to U+9FA5 and the Hangul syllables.
    case deepseekCJK

    /// Whether a code point (with its flags) is in the class.
    @inline(__always)
    func contains(_ cp: UInt32, _ f: CodepointFlags) -> Bool {
        if cp > 0x7F && f.contains(.whitespace) { return false }   // replaced by U+000B
        switch self {
        case .letters:
            return cp < 0x80 ? (cp | 0x20) >= 0x61 && (cp | 0x20) <= 0x7A : f.contains(.letter)
        case .punctuation:
            if cp < 0x80 {
                switch cp {
                case 0x21...0x23, 0x25...0x2A, 0x2C...0x2F, 0x3A...0x3B, 0x3F...0x40, 0x5B...0x5D, 0x5F, 0x7B, 0x7D: return true
                default: return false
                }
            }
            return f.contains(.punctuation)
        case .deepseekLetters:
            return CharacterClass.inRanges(cp, CharacterClass.deepseekLetterRanges)
        case .deepseekPunctuation:
            switch cp {
            case 0x21...0x2F, 0x3A...0x7E, 0xFF01...0xFF0F, 0xFF1A...0xFF5E, 0x2018...0x201F, 0x3000...0x3002: return true
            default: return false
            }
        case .deepseekCJK:
            return (cp >= 0x0800 && cp <= 0x9FA5) || (cp >= 0xAC00 && cp <= 0xD7FF)
        }
    }

    /// `\s` as `std::regex` sees llama.cpp's substituted text.
    @inline(__always)
    static func isSpace(_ cp: UInt32, _ f: CodepointFlags) -> Bool {
        cp < 0x80 ? (cp == 0x20 || (cp >= 0x09 && cp <= 0x0D)) : f.contains(.whitespace)
    }

    /// Binary search in sorted, disjoint closed ranges.
    static func inRanges(_ cp: UInt32, _ ranges: [ClosedRange<UInt32>]) -> Bool {
        var lo = 0, hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if cp < ranges[mid].lowerBound { hi = mid } else if cp > ranges[mid].upperBound { lo = mid + 1 } else { return true }
        }
        return false
    }

    /// The ranges of `deepseekLetters`, in order, as written in llama.cpp's `llama-vocab.cpp`.
    static let deepseekLetterRanges: [ClosedRange<UInt32>] = [
        0x0041...0x005A, 0x0061...0x007A, 0x00B5...0x00B5, 0x00C0...0x00D6, 0x00D8...0x00F6, 0x00F8...0x01BA,
        0x01BC...0x01BF, 0x01C4...0x0293, 0x0295...0x02AF, 0x0370...0x0373, 0x0376...0x0376, 0x0377...0x0377,
        0x037B...0x037D, 0x037F...0x037F, 0x0386...0x0386, 0x0388...0x038A, 0x038C...0x038C, 0x038E...0x03A1,
        0x03A3...0x03F5, 0x03F7...0x0481, 0x048A...0x052F, 0x0531...0x0556, 0x10A0...0x10C5, 0x13A0...0x13F5,
        0x13F8...0x13FD, 0x1C90...0x1CBA, 0x1CBD...0x1CBF, 0x1D00...0x1D2B, 0x1D6B...0x1D77, 0x1D79...0x1D9A,
        0x1E00...0x1F15, 0x1F18...0x1F1D, 0x1F20...0x1F45, 0x1F48...0x1F4D, 0x1F50...0x1F57, 0x1F59...0x1F59,
        0x1F5B...0x1F5B, 0x1F5D...0x1F5D, 0x1F5F...0x1F7D, 0x1F80...0x1FB4, 0x1FB6...0x1FBC, 0x1FBE...0x1FBE,
        0x1FC2...0x1FC4, 0x1FC6...0x1FCC, 0x1FD0...0x1FD3, 0x1FD6...0x1FDB, 0x1FE0...0x1FEC, 0x1FF2...0x1FF4,
        0x1FF6...0x1FFC, 0x2102...0x2102, 0x2107...0x2107, 0x210A...0x2113, 0x2115...0x2115, 0x2119...0x211D,
        0x2124...0x2124, 0x2126...0x2126, 0x2128...0x2128, 0x212A...0x212D, 0x212F...0x2134, 0x2139...0x2139,
        0x213C...0x213F, 0x2145...0x2149, 0x214E...0x214E, 0x2183...0x2183, 0x2184...0x2184, 0x2C00...0x2C7B,
        0x2C7E...0x2CE4, 0x2CEB...0x2CEE, 0x2CF2...0x2CF2, 0x2CF3...0x2CF3, 0xA640...0xA66D, 0xA680...0xA69B,
        0xA722...0xA76F, 0xA771...0xA787, 0xA78B...0xA78E, 0xAB70...0xABBF, 0xFB00...0xFB06, 0xFB13...0xFB17,
        0xFF21...0xFF3A, 0xFF41...0xFF5A, 0x10400...0x1044F, 0x104B0...0x104D3, 0x104D8...0x104FB, 0x10C80...0x10CB2,
        0x10CC0...0x10CF2, 0x118A0...0x118DF, 0x1E900...0x1E943,
    ]
}
