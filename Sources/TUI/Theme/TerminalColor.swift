/// A colour as a theme file writes it.
public enum TerminalColor: Hashable, Sendable, CustomStringConvertible {
    /// The terminal's own foreground or background.
    case terminalDefault
    /// One of the 16 ANSI colours (0-7 normal, 8-15 bright).
    case ansi(Int)
    /// An xterm 256-colour index.
    case indexed(Int)
    case rgb(UInt8, UInt8, UInt8)

    static let names = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]

    /// Parses a name (`red`, `bright_blue`, `default`), a number 0-255 (as text), or `#rrggbb`.
    public init?(text: String) {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t == "default" || t == "none" { self = .terminalDefault; return }
        if t == "gray" || t == "grey" { self = .ansi(8); return }
        if let i = Self.names.firstIndex(of: t) { self = .ansi(i); return }
        for prefix in ["bright_", "bright-", "bright "] where t.hasPrefix(prefix) {
            guard let i = Self.names.firstIndex(of: String(t.dropFirst(prefix.count))) else { return nil }
            self = .ansi(8 + i); return
        }
        if let n = Int(t) { guard (0 ... 255).contains(n) else { return nil }; self = .indexed(n); return }
        if t.hasPrefix("#"), t.count == 7, let v = UInt32(t.dropFirst(), radix: 16) {
            self = .rgb(UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)); return
        }
        return nil
    }

    public var description: String {
        switch self {
        case .terminalDefault: "default"
        case .ansi(let i): i < 8 ? Self.names[i] : "bright_" + Self.names[i - 8]
        case .indexed(let i): "\(i)"
        case .rgb(let r, let g, let b): "#" + [r, g, b].map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        }
    }

    // MARK: - Mapping down

    /// The colour index to use with `mode`: -1 for the terminal default (and always when
    /// colour is off), else 0-255 (256 colours) or 0-7 (8 colours).
    public func index(for mode: ColorMode) -> Int {
        switch (self, mode) {
        case (_, .none), (.terminalDefault, _): return -1
        case (.ansi(let i), .c256): return i
        case (.ansi(let i), .c8): return i % 8
        case (.indexed(let i), .c256): return i
        case (.indexed(let i), .c8): return i < 16 ? i % 8 : Self.nearest8(Self.rgb(of: i))
        case (.rgb(let r, let g, let b), .c256): return Self.nearest256(r, g, b)
        case (.rgb(let r, let g, let b), .c8): return Self.nearest8((Int(r), Int(g), Int(b)))
        }
    }

    /// xterm's 6x6x6 cube levels.
    static let cube = [0, 95, 135, 175, 215, 255]
    /// xterm's 16 base colours.
    static let base16: [(Int, Int, Int)] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
    ]

    /// The RGB value of a 256-colour index.
    static func rgb(of i: Int) -> (Int, Int, Int) {
        if i < 16 { return base16[i] }
        if i >= 232 { let v = 8 + (i - 232) * 10; return (v, v, v) }
        let c = i - 16
        return (cube[c / 36], cube[c / 6 % 6], cube[c % 6])
    }

    static func distance(_ a: (Int, Int, Int), _ b: (Int, Int, Int)) -> Int {
        let dr = a.0 - b.0, dg = a.1 - b.1, db = a.2 - b.2
        return dr * dr + dg * dg + db * db
    }

    /// The nearest of the cube and grey ramp (16-255), by RGB distance.
    static func nearest256(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int {
        let c = (Int(r), Int(g), Int(b))
        func level(_ v: Int) -> Int { cube.indices.min(by: { abs(cube[$0] - v) < abs(cube[$1] - v) })! }
        let cubeIndex = 16 + 36 * level(c.0) + 6 * level(c.1) + level(c.2)
        let grey = (c.0 + c.1 + c.2) / 3
        let greyIndex = 232 + min(23, max(0, (grey - 3) / 10))
        return distance(c, rgb(of: cubeIndex)) <= distance(c, rgb(of: greyIndex)) ? cubeIndex : greyIndex
    }

    /// The nearest of the 8 basic colours.
    static func nearest8(_ c: (Int, Int, Int)) -> Int {
        (0 ..< 8).min(by: { distance(c, base16[$0]) < distance(c, base16[$1]) })!
    }
}

/// How many colours the terminal shows.
public enum ColorMode: Sendable, Equatable {
    case none, c8, c256

    /// From the terminal's colour count and the environment: `NO_COLOR` (set and not
    /// empty) turns colour off.
    public static func detect(colors: Int, environment: [String: String]) -> ColorMode {
        if let v = environment["NO_COLOR"], !v.isEmpty { return .none }
        if colors >= 256 { return .c256 }
        if colors >= 8 { return .c8 }
        return .none
    }
}
