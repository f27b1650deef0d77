// The passes llama.cpp runs through `std::regex` (DeepSeek's lists) or its newline splitter
// (Gemma 4's), written out: a leftmost, non-overlapping search in each piece, where matches and
// the gaps between them become pieces (its `unicode_regex_split_stl`).
extension PreTokenizer {
    /// `\s?[CLASS]+`: at each position, one whitespace character then a run of the class, or a
    /// run of the class alone (the optional space is tried first, as the regex engine does).
    static func splitSpaceAndRun(_ cps: UnsafeBufferPointer<UInt32>, _ fl: UnsafeBufferPointer<CodepointFlags>,
                                 _ offsets: [Int], _ cls: CharacterClass) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(offsets.count * 2)
        var start = 0
        for off in offsets {
            let end = start + off
            var gap = start
            var p = start
            while p < end {
                var q: Int
                if p + 1 < end && CharacterClass.isSpace(cps[p], fl[p]) && cls.contains(cps[p + 1], fl[p + 1]) {
                    q = p + 2
                } else if cls.contains(cps[p], fl[p]) {
                    q = p + 1
                } else {
                    p += 1
                    continue
                }
                while q < end && cls.contains(cps[q], fl[q]) { q += 1 }
                if p > gap { out.append(p - gap) }
                out.append(q - p)
                p = q
                gap = q
            }
            if end > gap { out.append(end - gap) }
            start = end
        }
        return out
    }

    /// `\s+$`: the whitespace run that ends a piece becomes a piece of its own.
    static func splitTrailingWhitespace(_ cps: UnsafeBufferPointer<UInt32>, _ fl: UnsafeBufferPointer<CodepointFlags>,
                                        _ offsets: [Int]) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(offsets.count + 1)
        var start = 0
        for off in offsets {
            let end = start + off
            var p = end
            while p > start && CharacterClass.isSpace(cps[p - 1], fl[p - 1]) { p -= 1 }
            if p > start { out.append(p - start) }
            if end > p { out.append(end - p) }
            start = end
        }
        return out
    }

    /// `[^\n]+|[\n]+` (llama.cpp's `unicode_regex_split_custom_newlines`): runs of line feeds
    /// apart from runs of anything else.
    static func splitLineFeedRuns(_ cps: UnsafeBufferPointer<UInt32>, _ offsets: [Int]) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(offsets.count * 2)
        var start = 0
        for off in offsets {
            let end = start + off
            var p = start
            while p < end {
                let isLF = cps[p] == 0x0A
                let runStart = p
                while p < end && (cps[p] == 0x0A) == isLF { p += 1 }
                out.append(p - runStart)
            }
            start = end
        }
        return out
    }
}
