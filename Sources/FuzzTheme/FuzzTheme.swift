// libFuzzer target: theme files -> Theme (as `Theme.load` reads them), every role in every
// colour mode, and colour text -> TerminalColor -> text. Built by `make fuzz` only.
import FuzzSupport
import TUI


@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let text = String(validating: UnsafeBufferPointer(start: data, count: size), as: UTF8.self) else { return 0 }
    if let c = TerminalColor(text: text) {
        precondition(TerminalColor(text: c.description) == c, "colour \(c) does not read back")
    }
    let theme: Theme
    do { theme = try Theme.parse(text: text, file: "fuzz/theme.toml") } catch {
        blackHole(error.description)
        return 0
    }
    for role in ColorRole.allCases {
        let c = theme[role]
        precondition(TerminalColor(text: c.description) == c, "colour \(c) does not read back")
        for mode in [ColorMode.none, .c8, .c256] {
            let i = c.index(for: mode)
            precondition(i >= -1 && i <= 255)
            blackHole(theme.resolve(Style(fg: role, bg: role), mode: mode))
        }
    }
    return 0
}

// SwiftPM links this executable's `main` as `FuzzTheme_main`: libFuzzer's driver takes over.
@_cdecl("FuzzTheme_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
