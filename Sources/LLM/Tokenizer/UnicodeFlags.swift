/// Unicode classes the pre-tokenizers test, as llama.cpp's `unicode_cpt_flags` (general
/// category groups plus the White_Space property).
struct CodepointFlags: OptionSet, Sendable {
    let rawValue: UInt8
    static let number      = CodepointFlags(rawValue: 1 << 0)  // \p{N}
    static let letter      = CodepointFlags(rawValue: 1 << 1)  // \p{L}
    static let separator   = CodepointFlags(rawValue: 1 << 2)  // \p{Z}
    static let mark        = CodepointFlags(rawValue: 1 << 3)  // \p{M}
    static let punctuation = CodepointFlags(rawValue: 1 << 4)  // \p{P}
    static let symbol      = CodepointFlags(rawValue: 1 << 5)  // \p{S}
    static let control     = CodepointFlags(rawValue: 1 << 6)  // \p{C}, including unassigned
    static let whitespace  = CodepointFlags(rawValue: 1 << 7)  // \s (White_Space)

    /// Flags of a code point; empty only for values past U+10FFFF (llama.cpp's "undefined").
    @inline(__always)
    static func of(_ cp: UInt32) -> CodepointFlags {
        if cp < 0x10000 { return bmpFlags[Int(cp)] }
        return compute(cp)
    }

    static func compute(_ cp: UInt32) -> CodepointFlags {
        guard cp <= 0x10FFFF else { return [] }
        guard let s = Unicode.Scalar(cp) else { return .control }  // surrogates: Cs
        var f: CodepointFlags
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: f = .letter
        case .decimalNumber, .letterNumber, .otherNumber: f = .number
        case .spaceSeparator, .lineSeparator, .paragraphSeparator: f = .separator
        case .nonspacingMark, .spacingMark, .enclosingMark: f = .mark
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: f = .punctuation
        case .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol: f = .symbol
        default: f = .control
        }
        if s.properties.isWhitespace { f.insert(.whitespace) }
        return f
    }
}

/// Flags for the Basic Multilingual Plane, computed once on first use.
private let bmpFlags: [CodepointFlags] = (0..<0x10000).map { CodepointFlags.compute(UInt32($0)) }
