import Foundation

/// Number formatting shared by widgets: fixed and locale-independent.
enum Format {
    static func fixed(_ v: Double, _ digits: Int) -> String {
        String(format: "%.\(digits)f", locale: nil, v)
    }

    /// A rate with sensible precision: 3 significant-ish digits.
    static func rate(_ v: Double) -> String {
        if v >= 100 { return fixed(v, 0) }
        if v >= 10 { return fixed(v, 1) }
        return fixed(v, 2)
    }

    /// Bytes in binary units: "512 KiB", "1.5 GiB".
    static func bytes(_ b: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(b)
        var u = 0
        while v >= 1024, u < units.count - 1 { v /= 1024; u += 1 }
        if u == 0 { return "\(b) B" }
        return (v >= 100 ? fixed(v, 0) : v >= 10 ? fixed(v, 1) : fixed(v, 2)) + " " + units[u]
    }

    /// Seconds as "0.18 s" or "12 ms".
    static func seconds(_ s: Double) -> String {
        s < 1 ? fixed(s * 1000, 0) + " ms" : fixed(s, 2) + " s"
    }

    /// A string cut to `width` columns, with "…" when cut.
    static func truncate(_ s: String, _ width: Int) -> String {
        guard DisplayWidth.of(s) > width else { return s }
        guard width > 0 else { return "" }
        var out = ""
        var w = 0
        for c in s {
            let cw = DisplayWidth.of(c)
            if w + cw > width - 1 { break }
            out.append(c); w += cw
        }
        return out + "…"
    }

    /// `s` padded with spaces on the right (or cut) to exactly `width` columns.
    static func padRight(_ s: String, _ width: Int) -> String {
        let t = truncate(s, width)
        return t + String(repeating: " ", count: max(0, width - DisplayWidth.of(t)))
    }

    /// `s` padded on the left to `width` columns.
    static func padLeft(_ s: String, _ width: Int) -> String {
        let t = truncate(s, width)
        return String(repeating: " ", count: max(0, width - DisplayWidth.of(t))) + t
    }
}
