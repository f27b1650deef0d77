/// Splits text around special tokens written in it, with llama.cpp's `tokenizer_st_partition`
/// semantics: special tokens are tried longest first, each cutting every occurrence out of the
/// text pieces left so far. CONTROL and UNKNOWN tokens count only with `parseSpecial`;
/// USER_DEFINED tokens always do.
struct SpecialTokenMatcher: Sendable {
    enum Fragment: Equatable {
        case text(Range<Int>)
        case token(Int32)
    }

    /// Candidates, longest first (ties by id).
    private let ordered: [Int32]
    /// Rank of each candidate in `ordered`.
    private let rank: [Int32: Int]
    private let isParseOnly: [Int32: Bool]
    private let texts: [Int32: [UInt8]]
    /// Candidates' bytes, for finding which of them occur in a text at all.
    private let table: TokenTable
    private let tableIDs: [Int32]
    /// Distinct candidate lengths per first byte, longest first.
    private let lengthsByFirstByte: [[Int]]

    init(vocabulary v: Vocabulary) {
        var ids: [Int32] = []
        for (i, t) in v.types.prefix(v.tokens.count).enumerated() where t == .control || t == .userDefined || t == .unknown {
            ids.append(Int32(i))
        }
        var texts: [Int32: [UInt8]] = [:]
        for id in ids { texts[id] = Array(v.tokens[Int(id)].utf8) }
        ids.sort { a, b in
            let la = texts[a]!.count, lb = texts[b]!.count
            return la != lb ? la > lb : a < b
        }
        ordered = ids
        var rank: [Int32: Int] = [:]
        for (i, id) in ids.enumerated() { rank[id] = i }
        self.rank = rank
        var parseOnly: [Int32: Bool] = [:]
        for id in ids { parseOnly[id] = v.types[Int(id)] != .userDefined }
        isParseOnly = parseOnly
        self.texts = texts
        table = TokenTable(keys: ids.map { texts[$0]! })
        tableIDs = ids
        var lengths = [Set<Int>](repeating: [], count: 256)
        for id in ids { if let f = texts[id]!.first { lengths[Int(f)].insert(texts[id]!.count) } }
        lengthsByFirstByte = lengths.map { $0.sorted(by: >) }
    }

    var isEmpty: Bool { ordered.isEmpty }

    /// Cuts `text` into raw-text ranges and special tokens, in order.
    func partition(_ text: UnsafeBufferPointer<UInt8>, parseSpecial: Bool) -> [Fragment] {
        if text.isEmpty { return [] }
        if ordered.isEmpty { return [.text(0..<text.count)] }
        // Which candidates occur anywhere? Only those can cut a fragment.
        var present = Set<Int32>()
        for i in 0..<text.count {
            for len in lengthsByFirstByte[Int(text[i])] where i + len <= text.count {
                let k = table.lookup(UnsafeBufferPointer(rebasing: text[i..<(i + len)]))
                if k >= 0 {
                    let id = tableIDs[Int(k)]
                    if parseSpecial || !isParseOnly[id]! { present.insert(id) }
                }
            }
        }
        var fragments: [Fragment] = [.text(0..<text.count)]
        if present.isEmpty { return fragments }
        for id in present.sorted(by: { rank[$0]! < rank[$1]! }) {
            let needle = texts[id]!
            var next: [Fragment] = []
            next.reserveCapacity(fragments.count + 4)
            for f in fragments {
                guard case .text(let r) = f else { next.append(f); continue }
                var s = r.lowerBound
                while let m = find(needle, in: text, from: s, to: r.upperBound) {
                    if m > s { next.append(.text(s..<m)) }
                    next.append(.token(id))
                    s = m + needle.count
                }
                if s < r.upperBound { next.append(.text(s..<r.upperBound)) }
            }
            fragments = next
        }
        return fragments
    }

    private func find(_ needle: [UInt8], in text: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
        let n = needle.count
        guard n > 0, to - from >= n else { return nil }
        let first = needle[0]
        var i = from
        while i + n <= to {
            if text[i] == first {
                var k = 1
                while k < n && text[i + k] == needle[k] { k += 1 }
                if k == n { return i }
            }
            i += 1
        }
        return nil
    }
}
