/// Byte-level BPE (llama.cpp's `llm_tokenizer_bpe_session`): pre-tokenize, map each byte to its
/// GPT-2 code point, then repeatedly merge the adjacent pair with the lowest merge rank.
/// Gemma 4's BPE is the same on plain UTF-8: spaces written U+2581, merging from characters, and
/// pieces that never became tokens spelled with byte tokens `<0xXX>`.
///
/// Strings are interned once: vocabulary tokens keep their ids, and merge sides or results that
/// are not tokens get ids past the vocabulary, so merging compares integers only.
struct BPEEncoder: Sendable {
    /// Tokens, then extra interned strings.
    private let table: TokenTable
    private let vocabularySize: Int
    /// (left id << 32 | right id) -> (rank, merged id).
    private let merges: [UInt64: MergeResult]
    /// Interned id of the one-character string standing for each byte (-1 if never seen).
    private let byteSymbol: [Int32]
    /// Without byte encoding: the token `<0xXX>` for each byte (-1 if absent).
    private let byteTokens: [Int32]
    private let preTokenizer: PreTokenizer
    private let ignoreMerges: Bool

    struct MergeResult: Sendable { var rank: Int32; var merged: Int32 }

    init(vocabulary v: Vocabulary) {
        var base = TokenTable(strings: v.tokens)
        var keys: [[UInt8]] = []   // interned strings past the vocabulary
        var extra: [[UInt8]: Int32] = [:]
        func intern(_ s: [UInt8]) -> Int32 {
            let id = base.lookup(s)
            if id >= 0 { return id }
            if let e = extra[s] { return e }
            let e = Int32(v.tokens.count + keys.count)
            keys.append(s)
            extra[s] = e
            return e
        }
        var merges: [UInt64: MergeResult] = [:]
        merges.reserveCapacity(v.merges.count)
        for (rank, m) in v.merges.enumerated() {
            let l = Array(m.left.utf8), r = Array(m.right.utf8)
            let li = intern(l), ri = intern(r), mi = intern(l + r)
            let key = UInt64(UInt32(bitPattern: li)) << 32 | UInt64(UInt32(bitPattern: ri))
            if merges[key] == nil { merges[key] = MergeResult(rank: Int32(rank), merged: mi) }
        }
        if !keys.isEmpty { base = TokenTable(strings: v.tokens, extra: keys) }
        self.table = base
        self.vocabularySize = v.tokens.count
        self.merges = merges
        self.byteSymbol = ByteLevel.byteToUTF8.map { base.lookup($0) }
        let hex = Array("0123456789ABCDEF".utf8)
        self.byteTokens = (0..<256).map { b in
            let id = base.lookup([0x3C, 0x30, 0x78, hex[b >> 4], hex[b & 15], 0x3E])   // <0xXX>
            return Int(id) < v.tokens.count ? id : -1
        }
        self.preTokenizer = v.preTokenizer
        self.ignoreMerges = v.ignoreMerges
    }

    /// Appends the tokens of one raw-text fragment.
    func encode(_ text: UnsafeBufferPointer<UInt8>, into output: inout [Int32]) {
        if let repaired = UTF8Scan.repaired(text) {
            repaired.withUnsafeBufferPointer { encode($0, into: &output) }
            return
        }
        if preTokenizer.escapesSpaces && text.contains(0x20) {
            var escaped: [UInt8] = []
            escaped.reserveCapacity(text.count + text.count / 2)
            for b in text {
                if b == 0x20 { escaped.append(contentsOf: [0xE2, 0x96, 0x81]) } else { escaped.append(b) }
            }
            escaped.withUnsafeBufferPointer { encode($0, into: &output) }
            return
        }
        var scratch = Scratch()
        for word in preTokenizer.split(text) {
            encodeWord(UnsafeBufferPointer(rebasing: text[word]), into: &output, scratch: &scratch)
        }
    }

    private struct Symbol {
        var start: Int32   // byte offset in the word
        var length: Int32  // bytes; 0 once merged away
        var id: Int32      // interned string id, -1 when unknown
        var prev: Int32
        var next: Int32
    }

    private struct Bigram {
        var rank: Int32
        var left: Int32
        var right: Int32
        var size: Int32
        var merged: Int32
        /// Lower rank first, then leftmost.
        @inline(__always) func before(_ o: Bigram) -> Bool { rank < o.rank || (rank == o.rank && left < o.left) }
    }

    private struct Scratch {
        var symbols: [Symbol] = []
        var heap: [Bigram] = []
        var encoded: [UInt8] = []
    }

    private func encodeWord(_ word: UnsafeBufferPointer<UInt8>, into output: inout [Int32], scratch: inout Scratch) {
        if word.isEmpty { return }
        let byteEncoded = preTokenizer.byteEncoded
        if ignoreMerges {
            scratch.encoded.removeAll(keepingCapacity: true)
            if byteEncoded {
                for b in word { scratch.encoded.append(contentsOf: ByteLevel.byteToUTF8[Int(b)]) }
            } else {
                scratch.encoded.append(contentsOf: word)
            }
            let id = scratch.encoded.withUnsafeBufferPointer { table.lookup($0) }
            if id >= 0 && Int(id) < vocabularySize { output.append(id); return }
        }
        // Gemma 4: a run of line feeds that is a token stays whole (llama.cpp's PR 21343).
        if preTokenizer.family == .gemma4 && !word.contains(where: { $0 != 0x0A }) {
            let id = table.lookup(word)
            if id >= 0 && Int(id) < vocabularySize { output.append(id); return }
        }
        var symbols = scratch.symbols
        var heap = scratch.heap
        symbols.removeAll(keepingCapacity: true)
        heap.removeAll(keepingCapacity: true)
        defer { scratch.symbols = symbols; scratch.heap = heap }
        let n = word.count
        if byteEncoded {
            for i in 0..<n {
                symbols.append(Symbol(start: Int32(i), length: 1, id: byteSymbol[Int(word[i])],
                                      prev: Int32(i - 1), next: i + 1 == n ? -1 : Int32(i + 1)))
            }
        } else {
            // One symbol per UTF-8 character (a stray byte alone), as llama.cpp's `unicode_len_utf8`.
            var i = 0
            while i < n {
                let len = min(UTF8Scan.sequenceLength(word[i]), n - i)
                let idx = Int32(symbols.count)
                let id = table.lookup(UnsafeBufferPointer(rebasing: word[i..<(i + len)]))
                symbols.append(Symbol(start: Int32(i), length: Int32(len), id: id,
                                      prev: idx - 1, next: i + len == n ? -1 : idx + 1))
                i += len
            }
        }

        @inline(__always) func push(_ b: Bigram) {
            heap.append(b)
            var c = heap.count - 1
            while c > 0 {
                let p = (c - 1) / 2
                if heap[c].before(heap[p]) { heap.swapAt(c, p); c = p } else { break }
            }
        }
        @inline(__always) func pop() -> Bigram {
            let top = heap[0]
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                var p = 0
                let count = heap.count
                while true {
                    let l = 2 * p + 1, r = l + 1
                    var m = p
                    if l < count && heap[l].before(heap[m]) { m = l }
                    if r < count && heap[r].before(heap[m]) { m = r }
                    if m == p { break }
                    heap.swapAt(p, m)
                    p = m
                }
            }
            return top
        }
        @inline(__always) func tryAdd(_ l: Int32, _ r: Int32) {
            if l < 0 || r < 0 { return }
            let a = symbols[Int(l)].id, b = symbols[Int(r)].id
            if a < 0 || b < 0 { return }
            let key = UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
            guard let m = merges[key] else { return }
            push(Bigram(rank: m.rank, left: l, right: r,
                        size: symbols[Int(l)].length + symbols[Int(r)].length, merged: m.merged))
        }

        for i in 1..<max(symbols.count, 1) { tryAdd(Int32(i - 1), Int32(i)) }
        while !heap.isEmpty {
            let bg = pop()
            let l = Int(bg.left), r = Int(bg.right)
            // Outdated when either side has changed since the pair was queued.
            if symbols[l].length == 0 || symbols[r].length == 0 || symbols[l].length + symbols[r].length != bg.size {
                continue
            }
            symbols[l].length += symbols[r].length
            symbols[l].id = bg.merged
            symbols[r].length = 0
            symbols[l].next = symbols[r].next
            if symbols[r].next >= 0 { symbols[Int(symbols[r].next)].prev = bg.left }
            tryAdd(symbols[l].prev, bg.left)
            tryAdd(bg.left, symbols[l].next)
        }

        var i: Int32 = 0
        while i != -1 {
            let s = symbols[Int(i)]
            if s.id >= 0 && Int(s.id) < vocabularySize {
                output.append(s.id)
            } else if !byteEncoded {
                for k in Int(s.start)..<Int(s.start + s.length) where byteTokens[Int(word[k])] >= 0 {
                    output.append(byteTokens[Int(word[k])])
                }
            } else {
                // Not a token: llama.cpp looks up each byte of the byte-level text on its own.
                scratch.encoded.removeAll(keepingCapacity: true)
                for k in Int(s.start)..<Int(s.start + s.length) {
                    scratch.encoded.append(contentsOf: ByteLevel.byteToUTF8[Int(word[k])])
                }
                for c in scratch.encoded {
                    let id = table.lookup([c])
                    if id >= 0 && Int(id) < vocabularySize { output.append(id) }
                }
            }
            i = s.next
        }
    }
}
