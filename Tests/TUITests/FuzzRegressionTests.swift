import XCTest
@testable import TUI

/// Inputs found by `make fuzz` (FuzzTheme), minimized, each with the fix it needed.
final class ThemeFuzzRegressionTests: XCTestCase {
    /// FuzzTheme crash (the same toml++ assertion FuzzCatalog found): a theme file starting
    /// `[~` aborted quantty. Fix: `Theme.parse` runs Catalog's `TOMLPrecheck` first.
    func testTableHeaderThatCannotStartAKeyIsAnErrorNotAnAbort() {
        for bytes: [UInt8] in [[0x5B, 0x7E], Array("name = \"x\"\n[\u{1}colors]\n".utf8)] {
            let text = String(decoding: bytes, as: UTF8.self)
            XCTAssertThrowsError(try Theme.parse(text: text, file: "t.toml")) { e in
                XCTAssertTrue((e as? ThemeError)?.message.contains("header must start with a key") ?? false, "\(e)")
            }
        }
    }
}
