/// Turns what the terminal delivers (Unicode scalars, and keys ncurses already decoded)
/// into `KeyEvent`s: escape sequences ncurses leaves alone (Alt-Enter, bracketed paste
/// `ESC[200~` ... `ESC[201~`), mouse wheel reports (SGR `ESC[<64;x;yM`, X10 `ESC[M` and three
/// bytes) when curses does not decode them itself, control characters, and grapheme clusters (a combining mark
/// after a letter arrives as its own scalar; the input box joins them).
public struct KeyDecoder: Sendable {
    public enum Raw: Equatable, Sendable {
        case scalar(Unicode.Scalar)
        case key(KeyEvent)
    }

    /// Scalars read after an ESC, while deciding what the sequence is.
    private var pending: [Unicode.Scalar] = []

    public init() {}

    /// True while an escape sequence is incomplete: the reader should call `timeout()`
    /// if nothing more arrives soon.
    public var isPending: Bool { !pending.isEmpty }

    public mutating func feed(_ raw: Raw) -> [KeyEvent] {
        switch raw {
        case .key(let k):
            return flush() + [k]
        case .scalar(let s):
            if pending.isEmpty {
                if s.value == 0x1B { pending = [s]; return [] }
                return [Self.plain(s)]
            }
            pending.append(s)
            return resolve()
        }
    }

    /// Nothing followed: a lone ESC is the Escape key.
    public mutating func timeout() -> [KeyEvent] { flush() }

    private mutating func flush() -> [KeyEvent] {
        guard !pending.isEmpty else { return [] }
        let p = pending
        pending = []
        // ESC alone is Escape; anything else left over is dropped as noise except text.
        return [.escape] + p.dropFirst().filter { $0.value >= 0x20 }.map { Self.plain($0) }
    }

    /// Decides a sequence once it is complete (or clearly not one we know).
    private mutating func resolve() -> [KeyEvent] {
        let p = pending
        let second = p[1]
        switch second {
        case "\r", "\n":
            pending = []
            return [.altEnter]
        case "\u{1B}":
            pending = [second]   // ESC ESC: the first was Escape
            return [.escape]
        case "[" where p.count >= 3 && p[2] == "M":
            // X10 mouse: ESC [ M, then button, column and row, each a byte offset by 32.
            guard p.count >= 6 else { return [] }
            pending = []
            return Self.mouse(button: Int(p[3].value) - 32).map { [$0] } ?? []
        case "[", "O":
            guard p.count >= 3 else { return [] }
            let last = p[p.count - 1]
            // CSI sequences end with a byte in 0x40...0x7E; SS3 (ESC O x) is three long.
            if second == "O" || (0x40 ... 0x7E).contains(last.value) {
                pending = []
                let body = String(String.UnicodeScalarView(p.dropFirst(2)))
                return Self.sequence(second, body).map { [$0] } ?? []
            }
            if p.count > 16 { pending = []; return [] }   // runaway: drop
            return []
        default:
            // Alt+key: the key itself.
            pending = []
            return [Self.plain(second)]
        }
    }

    static func sequence(_ intro: Unicode.Scalar, _ body: String) -> KeyEvent? {
        if intro == "O" {
            switch body {
            case "P": return .function(1)
            case "Q": return .function(2)
            case "R": return .function(3)
            case "S": return .function(4)
            case "A": return .up
            case "B": return .down
            case "C": return .right
            case "D": return .left
            case "H": return .home
            case "F": return .end
            default: return nil
            }
        }
        if body.hasPrefix("<"), body.hasSuffix("M") || body.hasSuffix("m") {
            // SGR mouse: ESC [ < button ; column ; row, M (press) or m (release).
            let fields = body.dropFirst().dropLast().split(separator: ";")
            guard fields.count == 3, let b = Int(fields[0]), body.hasSuffix("M") else { return nil }
            return mouse(button: b)
        }
        switch body {
        case "200~": return .pasteBegin
        case "201~": return .pasteEnd
        case "A": return .up
        case "B": return .down
        case "C": return .right
        case "D": return .left
        case "H", "1~", "7~": return .home
        case "F", "4~", "8~": return .end
        case "5~": return .pageUp
        case "6~": return .pageDown
        case "3~": return .delete
        case "Z": return .backTab
        case "13;3u", "27;3;13~": return .altEnter
        case "11~": return .function(1)
        case "12~": return .function(2)
        case "13~": return .function(3)
        case "14~": return .function(4)
        case "15~": return .function(5)
        default: return nil
        }
    }

    /// The wheel from a mouse report's button code (shift, alt and ctrl bits ignored); clicks
    /// and motion are not used.
    static func mouse(button: Int) -> KeyEvent? {
        guard button >= 0 else { return nil }
        switch button & ~(4 | 8 | 16) {
        case 64: return .wheelUp
        case 65: return .wheelDown
        default: return nil
        }
    }

    /// A scalar outside any sequence.
    static func plain(_ s: Unicode.Scalar) -> KeyEvent {
        switch s.value {
        case 0x0D: return .enter
        case 0x0A: return .ctrlJ
        case 0x09: return .tab
        case 0x7F, 0x08: return .backspace
        case 0x1B: return .escape
        case 0x01 ... 0x1A: return .ctrl(Character(Unicode.Scalar(s.value + 0x60)!))
        default: return .character(Character(s))
        }
    }
}
