/// GPT-2's reversible byte <-> Unicode mapping: printable Latin-1 bytes map to themselves,
/// the other 68 bytes to U+0100 and up, so every byte-level BPE token is printable text.
enum ByteLevel {
    /// Code point standing for each byte.
    static let byteToScalar: [UInt32] = {
        var map = [UInt32](repeating: 0, count: 256)
        var assigned = [Bool](repeating: false, count: 256)
        for b in 0x21...0x7E { map[b] = UInt32(b); assigned[b] = true }
        for b in 0xA1...0xAC { map[b] = UInt32(b); assigned[b] = true }
        for b in 0xAE...0xFF { map[b] = UInt32(b); assigned[b] = true }
        var n: UInt32 = 0
        for b in 0..<256 where !assigned[b] { map[b] = 256 + n; n += 1 }
        return map
    }()

    /// The byte a code point stands for, or nil when it is not in the mapping.
    static func byte(for scalar: UInt32) -> UInt8? {
        if scalar < 0x100 {
            let b = Int(scalar)
            if (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b) { return UInt8(b) }
            return nil
        }
        return scalarToByte[scalar]
    }

    private static let scalarToByte: [UInt32: UInt8] = {
        var m: [UInt32: UInt8] = [:]
        for b in 0..<256 where byteToScalar[b] >= 0x100 { m[byteToScalar[b]] = UInt8(b) }
        return m
    }()

    /// UTF-8 of the code point standing for each byte.
    static let byteToUTF8: [[UInt8]] = byteToScalar.map { Array(String(Unicode.Scalar($0)!).utf8) }

    /// Decodes a byte-level token text back to raw bytes. Characters outside the mapping are
    /// written as llama.cpp does, `[UNK_BYTE_0x..]`.
    static func decode(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for s in text.unicodeScalars {
            if let b = byte(for: s.value) {
                out.append(b)
            } else {
                out.append(contentsOf: Array("[UNK_BYTE_0x".utf8))
                for c in String(s).utf8 { out.append(contentsOf: Array(hex2(c).utf8)) }
                out.append(contentsOf: Array(text.utf8))
                out.append(UInt8(ascii: "]"))
            }
        }
        return out
    }

    private static func hex2(_ b: UInt8) -> String {
        let d = Array("0123456789abcdef".utf8)
        return String(decoding: [d[Int(b >> 4)], d[Int(b & 15)]], as: UTF8.self)
    }
}
