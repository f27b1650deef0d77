/// How byte-level BPE cuts text into words before merging: llama.cpp's per-`tokenizer.ggml.pre`
/// regex lists (`LLAMA_VOCAB_PRE_TYPE_*`), written out by hand like its `unicode.cpp` splitters.
///
/// Each pass cuts every piece left by the previous pass; text between matches stays a piece.
/// No pass backtracks: each looks at a code point and its neighbours a bounded number of times,
/// so splitting is linear in the text.
public struct PreTokenizer: Sendable, Equatable {
    /// One split rule (one regex of llama.cpp's list).
    enum Pass: Sendable, Equatable {
        /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`
        case gpt2
        /// Llama 3's `(?i:'s|...)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,n}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
        /// (n = 3 for Llama 3, 1 for Qwen 2); with `marks`, Qwen 3.5's variant where letter runs
        /// take combining marks too (`[\p{L}\p{M}]+`, and `\p{M}` leaves the punctuation run).
        case llama3(maxDigits: Int, marks: Bool)
        /// `\p{N}`: every number character alone.
        case eachNumber
        /// `\p{N}+`
        case numberRuns
        /// `[\p{P}\$\+<=>\^~\|]+` (with `` ` `` too for Falcon).
        case punctuationRuns(backtick: Bool)
        /// `[0-9][0-9][0-9]`
        case asciiDigitTriples
        /// `[\r\n]`: every CR and LF alone.
        case eachLineBreak
        /// `\s?[CLASS]+`: a run of the class, with one whitespace character before it.
        case spaceAndRun(CharacterClass)
        /// `[CLASS]+`
        case runs(CharacterClass)
        /// `\s+$`: the whitespace that ends a piece.
        case trailingWhitespace
        /// `[^\n]+|[\n]+`: lines apart from the line feeds between them.
        case lineFeedRuns
    }

    public enum Family: String, Sendable {
        case `default`, gpt2, llama3, qwen2, qwen35, starcoder, falcon, deepseekLLM, deepseekCoder, gemma4
    }

    public let family: Family
    let passes: [Pass]
    /// llama.cpp turns `add_bos` on by default for Llama 3 style vocabularies.
    public let addsBOSByDefault: Bool
    /// Gemma 4: llama.cpp adds BOS even when `tokenizer.ggml.add_bos_token` says false.
    public let alwaysAddsBOS: Bool
    public let ignoresMerges: Bool
    public let cleansSpaces: Bool
    /// Tokens spell bytes in GPT-2's byte-to-character mapping (false for Gemma 4, whose tokens
    /// are plain UTF-8 with byte tokens `<0xXX>` as the fallback).
    public let byteEncoded: Bool
    /// Spaces become U+2581 before splitting, as SentencePiece writes them (Gemma 4).
    public let escapesSpaces: Bool

    static let `default` = PreTokenizer(family: .default, cleansSpaces: true)

    init(family: Family, addsBOS: Bool = false, ignoresMerges: Bool = false, cleansSpaces: Bool) {
        self.family = family
        self.addsBOSByDefault = addsBOS
        self.ignoresMerges = ignoresMerges
        self.cleansSpaces = cleansSpaces
        alwaysAddsBOS = family == .gemma4
        byteEncoded = family != .gemma4
        escapesSpaces = family == .gemma4
        switch family {
        case .default: passes = [.punctuationRuns(backtick: false), .gpt2, .numberRuns, .asciiDigitTriples]
        case .gpt2: passes = [.gpt2]
        case .llama3: passes = [.llama3(maxDigits: 3, marks: false)]
        case .qwen2: passes = [.llama3(maxDigits: 1, marks: false)]
        case .qwen35: passes = [.llama3(maxDigits: 1, marks: true)]
        case .starcoder: passes = [.eachNumber, .gpt2]
        case .falcon: passes = [.punctuationRuns(backtick: true), .gpt2, .asciiDigitTriples]
        case .deepseekLLM:
            passes = [.eachLineBreak, .spaceAndRun(.deepseekLetters), .spaceAndRun(.deepseekPunctuation),
                      .trailingWhitespace, .runs(.deepseekCJK), .numberRuns]
        case .deepseekCoder:
            passes = [.eachLineBreak, .spaceAndRun(.letters), .spaceAndRun(.punctuation), .runs(.deepseekCJK), .eachNumber]
        case .gemma4: passes = [.lineFeedRuns]
        }
    }

    /// The rules for a `tokenizer.ggml.pre` name, or nil when we do not implement it.
    public init?(name: String) {
        switch name {
        case "default":
            self.init(family: .default, cleansSpaces: true)
        case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano":
            self.init(family: .llama3, addsBOS: true, ignoresMerges: true, cleansSpaces: true)
        case "dbrx", "smaug-bpe":
            self.init(family: .llama3, cleansSpaces: true)
        case "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0",
             "mellum", "modern-bert", "mpt", "olmo", "jais", "exaone4":
            self.init(family: .gpt2, cleansSpaces: true)
        case "trillion", "granite-docling":
            self.init(family: .gpt2, cleansSpaces: false)
        case "starcoder", "refact", "codeshell", "exaone", "minerva-7b", "mellum2":
            self.init(family: .starcoder, cleansSpaces: true)
        case "smollm", "command-r":
            self.init(family: .starcoder, cleansSpaces: false)
        case "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "hunyuan", "solar-open":
            self.init(family: .qwen2, cleansSpaces: false)
        case "qwen35":
            self.init(family: .qwen35, cleansSpaces: false)
        case "stablelm2", "megrez":
            self.init(family: .qwen2, cleansSpaces: true)
        case "falcon":
            self.init(family: .falcon, cleansSpaces: true)
        case "deepseek-llm":
            self.init(family: .deepseekLLM, cleansSpaces: false)
        case "deepseek-coder":
            self.init(family: .deepseekCoder, cleansSpaces: false)
        case "gemma4", "granite-embed-multi-311m":
            self.init(family: .gemma4, cleansSpaces: true)
        default:
            return nil
        }
    }

    // MARK: - Splitting

    /// Cuts UTF-8 `text` into words; returns byte ranges covering `text` in order.
    func split(_ text: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        // Decode to code points, remembering where each starts (invalid bytes become U+FFFD).
        var cps: [UInt32] = []
        var starts: [Int] = []
        cps.reserveCapacity(text.count)
        starts.reserveCapacity(text.count + 1)
        var i = 0
        while i < text.count {
            starts.append(i)
            let (cp, len) = UTF8Scan.decode(text, at: i)
            cps.append(cp)
            i += len
        }
        starts.append(text.count)
        let flags = cps.map { CodepointFlags.of($0) }
        var offsets = [cps.count]
        if cps.isEmpty { return [] }
        cps.withUnsafeBufferPointer { c in
            flags.withUnsafeBufferPointer { f in
                for pass in passes {
                    switch pass {
                    case .gpt2: offsets = PreTokenizer.splitGPT2(c, f, offsets)
                    case .llama3(let n, let marks):
                        offsets = PreTokenizer.splitLlama3(c, f, offsets, maxDigits: n, marks: marks)
                    case .eachNumber:
                        offsets = PreTokenizer.splitClass(c, f, offsets, runs: false, PreTokenizer.isNumber)
                    case .numberRuns:
                        offsets = PreTokenizer.splitClass(c, f, offsets, runs: true, PreTokenizer.isNumber)
                    case .punctuationRuns(let bt):
                        offsets = PreTokenizer.splitClass(c, f, offsets, runs: true) { cp, fl in
                            PreTokenizer.isPunctuationRunChar(cp, fl, backtick: bt)
                        }
                    case .asciiDigitTriples: offsets = PreTokenizer.splitDigitTriples(c, offsets)
                    case .eachLineBreak:
                        offsets = PreTokenizer.splitClass(c, f, offsets, runs: false) { cp, _ in cp == 0x0D || cp == 0x0A }
                    case .spaceAndRun(let cls): offsets = PreTokenizer.splitSpaceAndRun(c, f, offsets, cls)
                    case .runs(let cls):
                        offsets = PreTokenizer.splitClass(c, f, offsets, runs: true) { cp, fl in cls.contains(cp, fl) }
                    case .trailingWhitespace: offsets = PreTokenizer.splitTrailingWhitespace(c, f, offsets)
                    case .lineFeedRuns: offsets = PreTokenizer.splitLineFeedRuns(c, offsets)
                    }
                }
            }
        }
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(offsets.count)
        var s = 0
        for o in offsets {
            ranges.append(starts[s]..<starts[s + o])
            s += o
        }
        return ranges
    }

    private static let outOfRange: UInt32 = 0xFFFF_FFFF

    // `\p{N}` as llama.cpp's collapsed-regex fallback sees it.
    static func isNumber(_ cp: UInt32, _ f: CodepointFlags) -> Bool {
        cp < 128 ? (cp >= 0x30 && cp <= 0x39) : (f.contains(.number) && !f.contains(.whitespace))
    }

    static func isPunctuationRunChar(_ cp: UInt32, _ f: CodepointFlags, backtick: Bool) -> Bool {
        if cp < 128 {
            switch UInt8(cp) {
            case 0x21...0x23, 0x25...0x2A, 0x2C...0x2F, 0x3A...0x3B, 0x3F...0x40, 0x5B...0x5D, 0x5F, 0x7B, 0x7D:
                return true  // ASCII \p{P}
            case UInt8(ascii: "$"), UInt8(ascii: "+"), UInt8(ascii: "<"), UInt8(ascii: "="), UInt8(ascii: ">"),
                 UInt8(ascii: "^"), UInt8(ascii: "~"), UInt8(ascii: "|"):
                return true
            case UInt8(ascii: "`"): return backtick
            default: return false
            }
        }
        return f.contains(.punctuation) && !f.contains(.whitespace)
    }

    /// Pieces made of characters in a class (each alone, or maximal runs); the gaps stay pieces.
    static func splitClass(_ cps: UnsafeBufferPointer<UInt32>, _ fl: UnsafeBufferPointer<CodepointFlags>,
                           _ offsets: [Int], runs: Bool,
                           _ inClass: (UInt32, CodepointFlags) -> Bool) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(offsets.count * 2)
        var start = 0
        for off in offsets {
            let end = start + off
            var gap = start
            var p = start
            while p < end {
                if inClass(cps[p], fl[p]) {
                    if p > gap { out.append(p - gap) }
                    var q = p + 1
                    if runs { while q < end && inClass(cps[q], fl[q]) { q += 1 } }
                    out.append(q - p)
                    p = q
                    gap = q
                } else {
                    p += 1
                }
            }
            if end > gap { out.append(end - gap) }
            start = end
        }
        return out
    }

    static func splitDigitTriples(_ cps: UnsafeBufferPointer<UInt32>, _ offsets: [Int]) -> [Int] {
        @inline(__always) func digit(_ c: UInt32) -> Bool { c >= 0x30 && c <= 0x39 }
        var out: [Int] = []
        out.reserveCapacity(offsets.count)
        var start = 0
        for off in offsets {
            let end = start + off
            var gap = start
            var p = start
            while p < end {
                if p + 3 <= end && digit(cps[p]) && digit(cps[p + 1]) && digit(cps[p + 2]) {
                    if p > gap { out.append(p - gap) }
                    out.append(3)
                    p += 3
                    gap = p
                } else {
                    p += 1
                }
            }
            if end > gap { out.append(end - gap) }
            start = end
        }
        return out
    }

    /// llama.cpp's `unicode_regex_split_custom_gpt2`.
    static func splitGPT2(_ cps: UnsafeBufferPointer<UInt32>, _ fl: UnsafeBufferPointer<CodepointFlags>,
                          _ offsets: [Int]) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(offsets.count * 4)
        var start = 0
        for off in offsets {
            let ini = start, end = start + off
            start = end
            @inline(__always) func cpt(_ p: Int) -> UInt32 { p >= ini && p < end ? cps[p] : outOfRange }
            @inline(__always) func flags(_ p: Int) -> CodepointFlags { p >= ini && p < end ? fl[p] : [] }
            var prevEnd = ini
            @inline(__always) func add(_ e: Int) -> Int {
                let len = e - prevEnd
                if len > 0 { out.append(len) }
                prevEnd = e
                return len
            }
            var pos = ini
            while pos < end {
                let c = cpt(pos)
                let f = flags(pos)
                if c == 0x27 && pos + 1 < end {  // 's 't 're 've 'm 'll 'd
                    let n = cpt(pos + 1)
                    if n == 0x73 || n == 0x74 || n == 0x6D || n == 0x64 { pos += add(pos + 2); continue }
                    if pos + 2 < end {
                        let nn = cpt(pos + 2)
                        if (n == 0x72 && nn == 0x65) || (n == 0x76 && nn == 0x65) || (n == 0x6C && nn == 0x6C) {
                            pos += add(pos + 3); continue
                        }
                    }
                }
                var f2 = c == 0x20 ? flags(pos + 1) : f
                if f2.contains(.letter) {  // ' ?\p{L}+'
                    if c == 0x20 { pos += 1 }
                    while f2.contains(.letter) { pos += 1; f2 = flags(pos) }
                    _ = add(pos); continue
                }
                if f2.contains(.number) {  // ' ?\p{N}+'
                    if c == 0x20 { pos += 1 }
                    while f2.contains(.number) { pos += 1; f2 = flags(pos) }
                    _ = add(pos); continue
                }
                let wln: CodepointFlags = [.whitespace, .letter, .number]
                if f2.isDisjoint(with: wln) && !f2.isEmpty {  // ' ?[^\s\p{L}\p{N}]+'
                    if c == 0x20 { pos += 1 }
                    while f2.isDisjoint(with: wln) && !f2.isEmpty { pos += 1; f2 = flags(pos) }
                    _ = add(pos); continue
                }
                var nws = 0
                while flags(pos + nws).contains(.whitespace) { nws += 1 }
                if nws > 1 && cpt(pos + nws) != outOfRange {  // '\s+(?!\S)'
                    pos += nws - 1
                    _ = add(pos); continue
                }
                if nws > 0 { pos += nws; _ = add(pos); continue }  // '\s+'
                pos += 1
                _ = add(pos)
            }
        }
        return out
    }

    /// llama.cpp's `unicode_regex_split_custom_llama3`, with the digit group length as a parameter
    /// (`_qwen2` is the same with 1); with `marks`, its `_qwen35` (combining marks join letters).
    static func splitLlama3(_ cps: UnsafeBufferPointer<UInt32>, _ fl: UnsafeBufferPointer<CodepointFlags>,
                            _ offsets: [Int], maxDigits: Int, marks: Bool) -> [Int] {
        let word: CodepointFlags = marks ? [.letter, .mark] : .letter
        let wln: CodepointFlags = marks ? [.whitespace, .letter, .mark, .number] : [.whitespace, .letter, .number]
        var out: [Int] = []
        out.reserveCapacity(offsets.count * 4)
        var start = 0
        @inline(__always) func lower(_ c: UInt32) -> UInt32 { (c >= 0x41 && c <= 0x5A) ? c + 0x20 : c }
        for off in offsets {
            let ini = start, end = start + off
            start = end
            @inline(__always) func cpt(_ p: Int) -> UInt32 { p >= ini && p < end ? cps[p] : outOfRange }
            @inline(__always) func flags(_ p: Int) -> CodepointFlags { p >= ini && p < end ? fl[p] : [] }
            var prevEnd = ini
            @inline(__always) func add(_ e: Int) -> Int {
                let len = e - prevEnd
                if len > 0 { out.append(len) }
                prevEnd = e
                return len
            }
            var pos = ini
            while pos < end {
                let c = cpt(pos)
                let f = flags(pos)
                if c == 0x27 && pos + 1 < end {  // (?i:'s|'t|'re|'ve|'m|'ll|'d)
                    let n = lower(cpt(pos + 1))
                    if n == 0x73 || n == 0x74 || n == 0x6D || n == 0x64 { pos += add(pos + 2); continue }
                    if pos + 2 < end {
                        let nn = lower(cpt(pos + 2))
                        if (n == 0x72 && nn == 0x65) || (n == 0x76 && nn == 0x65) || (n == 0x6C && nn == 0x6C) {
                            pos += add(pos + 3); continue
                        }
                    }
                }
                // [^\r\n\p{L}\p{N}]?\p{L}+ (or [\p{L}\p{M}]+)
                if !(c == 0x0D || c == 0x0A || f.contains(.number)) {
                    if !f.isDisjoint(with: word) || !flags(pos + 1).isDisjoint(with: word) {
                        pos += 1
                        while !flags(pos).isDisjoint(with: word) { pos += 1 }
                        _ = add(pos); continue
                    }
                }
                // \p{N}{1,n}
                if f.contains(.number) {
                    var first = pos
                    while flags(pos).contains(.number) {
                        pos += 1
                        if pos - first >= maxDigits { _ = add(pos); first = pos }
                    }
                    _ = add(pos); continue
                }
                // ' ?[^\s\p{L}\p{N}]+[\r\n]*' (and not \p{M} either with marks)
                var f2 = c == 0x20 ? flags(pos + 1) : f
                if f2.isDisjoint(with: wln) && !f.isEmpty {
                    if c == 0x20 { pos += 1 }
                    while f2.isDisjoint(with: wln) && !f2.isEmpty { pos += 1; f2 = flags(pos) }
                    var c2 = cpt(pos)
                    while c2 == 0x0D || c2 == 0x0A { pos += 1; c2 = cpt(pos) }
                    _ = add(pos); continue
                }
                var nws = 0
                var lastNewlineEnd = 0
                while flags(pos + nws).contains(.whitespace) {
                    let c2 = cpt(pos + nws)
                    if c2 == 0x0D || c2 == 0x0A { lastNewlineEnd = pos + nws + 1 }
                    nws += 1
                }
                if lastNewlineEnd > 0 { pos = lastNewlineEnd; _ = add(pos); continue }  // \s*[\r\n]+
                if nws > 1 && cpt(pos + nws) != outOfRange {  // \s+(?!\S)
                    pos += nws - 1
                    _ = add(pos); continue
                }
                if nws > 0 { pos += nws; _ = add(pos); continue }  // \s+
                pos += 1
                _ = add(pos)
            }
        }
        return out
    }
}

/// Small UTF-8 helpers shared by the tokenizers and the streaming decoder.
enum UTF8Scan {
    /// Sequence length from the lead byte, as llama.cpp's `unicode_len_utf8`.
    @inline(__always)
    static func sequenceLength(_ lead: UInt8) -> Int {
        switch lead >> 4 {
        case 0xC, 0xD: return 2
        case 0xE: return 3
        case 0xF: return 4
        default: return 1
        }
    }

    /// The bytes llama.cpp's pre-tokenizer passes on for `text`, when they differ from it: it
    /// decodes to code points and encodes each word again, so a byte that is not UTF-8 becomes
    /// U+FFFD and an overlong form its shortest one. Nil when `text` comes back as it is.
    static func repaired(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        @inline(__always) func length(_ cp: UInt32) -> Int { cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4 }
        var i = 0
        var clean = true
        while i < text.count {
            if text[i] < 0x80 { i += 1; continue }
            let (cp, len) = decode(text, at: i)
            if len != length(cp) { clean = false; break }
            i += len
        }
        if clean { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count + 8)
        i = 0
        while i < text.count {
            let (cp, len) = decode(text, at: i)
            switch cp {   // llama.cpp's unicode_cpt_to_utf8, surrogates included
            case ..<0x80: out.append(UInt8(cp))
            case ..<0x800: out += [UInt8(0xC0 | cp >> 6), UInt8(0x80 | cp & 0x3F)]
            case ..<0x10000: out += [UInt8(0xE0 | cp >> 12), UInt8(0x80 | cp >> 6 & 0x3F), UInt8(0x80 | cp & 0x3F)]
            case ...0x10FFFF:
                out += [UInt8(0xF0 | cp >> 18), UInt8(0x80 | cp >> 12 & 0x3F), UInt8(0x80 | cp >> 6 & 0x3F), UInt8(0x80 | cp & 0x3F)]
            default: out.append(contentsOf: text[i..<(i + len)])   // past Unicode: kept as written
            }
            i += len
        }
        return out
    }

    /// Decodes one code point at `i` (U+FFFD and one byte when invalid), like llama.cpp.
    static func decode(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> (UInt32, Int) {
        let c0 = b[i]
        if c0 < 0x80 { return (UInt32(c0), 1) }
        @inline(__always) func cont(_ k: Int) -> Bool { i + k < b.count && (b[i + k] & 0xC0) == 0x80 }
        if c0 & 0x40 == 0 { return (0xFFFD, 1) }
        if c0 & 0x20 == 0 {
            guard cont(1) else { return (0xFFFD, 1) }
            return ((UInt32(c0 & 0x1F) << 6) | UInt32(b[i + 1] & 0x3F), 2)
        }
        if c0 & 0x10 == 0 {
            guard cont(1), cont(2) else { return (0xFFFD, 1) }
            return ((UInt32(c0 & 0x0F) << 12) | (UInt32(b[i + 1] & 0x3F) << 6) | UInt32(b[i + 2] & 0x3F), 3)
        }
        if c0 & 0x08 == 0 {
            guard cont(1), cont(2), cont(3) else { return (0xFFFD, 1) }
            return ((UInt32(c0 & 0x07) << 18) | (UInt32(b[i + 1] & 0x3F) << 12)
                    | (UInt32(b[i + 2] & 0x3F) << 6) | UInt32(b[i + 3] & 0x3F), 4)
        }
        return (0xFFFD, 1)
    }
}
