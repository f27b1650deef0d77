import Foundation

/// JSON text for the commands' `--json`. JSON has no NaN or infinity, and `JSONEncoder`
/// throws on them after all the work is done; here they are written as `null` and counted, so
/// the command can say so (issue 13, finding 4).
enum JSONText {
    /// Strings that stand for NaN and the infinities while encoding; no real value is one.
    static let markers = ["\u{1}quantty-nan\u{1}", "\u{1}quantty-inf\u{1}", "\u{1}quantty--inf\u{1}"]

    /// Pretty JSON with sorted keys, and how many non-finite numbers became `null`.
    static func encode<T: Encodable>(_ value: T) throws -> (json: String, nonFinite: Int) {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: markers[1], negativeInfinity: markers[2], nan: markers[0])
        var json = String(decoding: try enc.encode(value), as: UTF8.self)
        var count = 0
        for m in markers {
            // The encoder escapes the control characters: match the quoted, escaped form.
            let quoted = String(decoding: try JSONEncoder().encode(m), as: UTF8.self)
            let parts = json.components(separatedBy: quoted)
            count += parts.count - 1
            json = parts.joined(separator: "null")
        }
        return (json, count)
    }
}
