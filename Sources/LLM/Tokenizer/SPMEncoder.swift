/// SentencePiece BPE (llama.cpp's `llm_tokenizer_spm_session`): start from UTF-8 characters and
/// repeatedly merge the adjacent pair whose concatenation is the highest-scoring token; pieces
/// that never became tokens fall back to byte tokens `<0xXX>`.
struct SPMEncoder: Sendable {
    private let table: TokenTable
    private let scores: [Float]
    /// Token for each byte: `<0xXX>`, else the one-byte token, else unk (-1 if none).
    private let byteTokens: [Int32]

    init(vocabulary v: Vocabulary) {
        table = TokenTable(strings: v.tokens)
        scores = v.scores
        let hex = Array("0123456789ABCDEF".utf8)
        var bt = [Int32](repeating: -1, count: 256)
        for b in 0..<256 {
            let name: [UInt8] = [0x3C, 0x30, 0x78, hex[b >> 4], hex[b & 15], 0x3E]  // <0xXX>
            var id = table.lookup(name)
            if id < 0 { id = table.lookup([UInt8(b)]) }
            if id < 0 { id = v.unk ?? -1 }
            bt[b] = id
        }
        byteTokens = bt
    }

    private struct Symbol {
        var start: Int32
        var length: Int32
        var prev: Int32
        var next: Int32
    }

    private struct Bigram {
        var score: Float
        var left: Int32
        var right: Int32
        var size: Int32
        /// Higher score first, then leftmost.
        @inline(__always) func before(_ o: Bigram) -> Bool { score > o.score || (score == o.score && left < o.left) }
    }

    /// Appends the tokens of `text`, which must already have spaces escaped as U+2581.
    func encode(_ text: UnsafeBufferPointer<UInt8>, into output: inout [Int32]) {
        if text.isEmpty { return }
        var symbols: [Symbol] = []
        symbols.reserveCapacity(text.count)
        var offs = 0
        while offs < text.count {
            let len = min(UTF8Scan.sequenceLength(text[offs]), text.count - offs)
            let idx = Int32(symbols.count)
            symbols.append(Symbol(start: Int32(offs), length: Int32(len), prev: idx - 1,
                                  next: offs + len == text.count ? -1 : idx + 1))
            offs += len
        }
        var heap: [Bigram] = []
        heap.reserveCapacity(symbols.count)

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
            let s = Int(symbols[Int(l)].start)
            let size = Int(symbols[Int(l)].length + symbols[Int(r)].length)
            let id = table.lookup(UnsafeBufferPointer(rebasing: text[s..<(s + size)]))
            if id < 0 { return }
            push(Bigram(score: scores[Int(id)], left: l, right: r, size: Int32(size)))
        }

        for i in 1..<max(symbols.count, 1) { tryAdd(Int32(i - 1), Int32(i)) }
        while !heap.isEmpty {
            let bg = pop()
            let l = Int(bg.left), r = Int(bg.right)
            if symbols[l].length == 0 || symbols[r].length == 0 || symbols[l].length + symbols[r].length != bg.size {
                continue
            }
            symbols[l].length += symbols[r].length
            symbols[r].length = 0
            symbols[l].next = symbols[r].next
            if symbols[r].next >= 0 { symbols[Int(symbols[r].next)].prev = bg.left }
            tryAdd(symbols[l].prev, bg.left)
            tryAdd(bg.left, symbols[l].next)
        }

        var i: Int32 = 0
        while i != -1 {
            let s = symbols[Int(i)]
            let range = Int(s.start)..<Int(s.start + s.length)
            let id = table.lookup(UnsafeBufferPointer(rebasing: text[range]))
            if id >= 0 {
                output.append(id)
            } else {
                for k in range where byteTokens[Int(text[k])] >= 0 { output.append(byteTokens[Int(text[k])]) }
            }
            i = s.next
        }
    }
}
