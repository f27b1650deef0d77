import Foundation
import XCTest
@testable import TUI

final class ThemeTests: XCTestCase {
    static let themesDir = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("themes").path

    func testShippedThemesParseAndDarkMatchesTheBuiltIn() throws {
        let dark = try Theme.load(file: Self.themesDir + "/dark.toml")
        XCTAssertEqual(dark, Theme.dark)
        for name in ["light", "high-contrast"] {
            let t = try Theme.load(file: Self.themesDir + "/\(name).toml")
            XCTAssertEqual(t.name, name)
        }
    }

    func testShippedThemesSetEveryRoleWithAComment() throws {
        for name in ["dark", "light", "high-contrast"] {
            let text = try String(contentsOfFile: Self.themesDir + "/\(name).toml", encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for role in ColorRole.allCases {
                guard let i = lines.firstIndex(where: { $0.hasPrefix(role.rawValue + " = ") }) else {
                    XCTFail("\(name): no \(role.rawValue)"); continue
                }
                XCTAssertTrue(lines[i - 1].hasPrefix("# "), "\(name): \(role.rawValue) has no comment")
            }
        }
    }

    func testColourForms() {
        XCTAssertEqual(TerminalColor(text: "red"), .ansi(1))
        XCTAssertEqual(TerminalColor(text: "bright_blue"), .ansi(12))
        XCTAssertEqual(TerminalColor(text: "default"), .terminalDefault)
        XCTAssertEqual(TerminalColor(text: "208"), .indexed(208))
        XCTAssertEqual(TerminalColor(text: "#ff8000"), .rgb(255, 128, 0))
        XCTAssertNil(TerminalColor(text: "256"))
        XCTAssertNil(TerminalColor(text: "#12345"))
        XCTAssertNil(TerminalColor(text: "bright_pink"))
    }

    func testMappingDown() {
        XCTAssertEqual(TerminalColor.rgb(255, 0, 0).index(for: .c256), 196)
        XCTAssertEqual(TerminalColor.rgb(0x30, 0x30, 0x30).index(for: .c256), 236)   // grey ramp
        XCTAssertEqual(TerminalColor.rgb(0, 0x5f, 0x87).index(for: .c256), 24)
        XCTAssertEqual(TerminalColor.rgb(250, 10, 10).index(for: .c8), 1)
        XCTAssertEqual(TerminalColor.indexed(196).index(for: .c8), 1)
        XCTAssertEqual(TerminalColor.indexed(21).index(for: .c8), 4)
        XCTAssertEqual(TerminalColor.ansi(9).index(for: .c8), 1)
        XCTAssertEqual(TerminalColor.ansi(9).index(for: .c256), 9)
        XCTAssertEqual(TerminalColor.terminalDefault.index(for: .c256), -1)
        XCTAssertEqual(TerminalColor.indexed(196).index(for: .none), -1)
    }

    func testNoColor() {
        XCTAssertEqual(ColorMode.detect(colors: 256, environment: ["NO_COLOR": "1"]), .none)
        XCTAssertEqual(ColorMode.detect(colors: 256, environment: ["NO_COLOR": ""]), .c256)
        XCTAssertEqual(ColorMode.detect(colors: 8, environment: [:]), .c8)
        XCTAssertEqual(ColorMode.detect(colors: 0, environment: [:]), .none)
        let r = Theme.dark.resolve(Style(fg: .selectionText, bg: .selection), mode: .none)
        XCTAssertEqual(r.fg, -1); XCTAssertEqual(r.bg, -1)
        XCTAssertTrue(r.attributes.contains(.reverse))
        XCTAssertFalse(Theme.dark.resolve(.plain, mode: .none).attributes.contains(.reverse))
    }

    func testPartialThemeTakesDefaultsForMissingRoles() throws {
        let t = try Theme.parse(text: "[colors]\ntext = \"white\"\n", file: "mine.toml")
        XCTAssertEqual(t.name, "mine")
        XCTAssertEqual(t[.text], .ansi(7))
        XCTAssertEqual(t[.error], Theme.dark[.error])
    }

    func testErrorsNameFileLineAndKey() {
        func error(_ text: String) -> ThemeError? {
            do { _ = try Theme.parse(text: text, file: "bad.toml"); return nil } catch { return error }
        }
        XCTAssertEqual(error("name = \"x\"\n[colors]\ntext = 1\nborder = \"purple\"\n")?.description,
                       "bad.toml:4: key 'colors.border': not a colour: \"purple\" (use a name like \"blue\" or \"bright_red\", a number 0-255, or \"#rrggbb\")")
        let unknown = error("[colors]\n\n# c\nshiny = 3\n")
        XCTAssertEqual(unknown?.line, 4)
        XCTAssertEqual(unknown?.key, "colors.shiny")
        XCTAssertEqual(error("[colors]\ntext = 300\n")?.line, 2)
        XCTAssertEqual(error("colours = 1\n")?.key, "colours")
        let syntax = error("[colors]\ntext = = 3\n")
        XCTAssertEqual(syntax?.line, 2)
        XCTAssertEqual(syntax?.file, "bad.toml")
    }

    func testLoadFallsBackToTheDefault() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quantty-themes-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "[colors]\ntext = \"nope\"\n".write(toFile: dir + "/broken.toml", atomically: true, encoding: .utf8)
        try "[colors]\ntext = \"red\"\n".write(toFile: dir + "/red.toml", atomically: true, encoding: .utf8)

        let (broken, e1) = Theme.load(named: "broken", directories: [dir])
        XCTAssertEqual(broken, .dark)
        XCTAssertEqual(e1?.file, dir + "/broken.toml")
        XCTAssertEqual(e1?.line, 2)
        XCTAssertEqual(e1?.key, "colors.text")

        let (missing, e2) = Theme.load(named: "nosuch", directories: [dir])
        XCTAssertEqual(missing, .dark)
        XCTAssertEqual(e2?.message, "no such theme (known: broken, red)")

        XCTAssertEqual(Theme.load(named: "red", directories: [dir]).theme[.text], .ansi(1))
        XCTAssertNil(Theme.load(named: "dark", directories: [dir]).error)   // built in
        XCTAssertEqual(Theme.load(named: "light", directories: [Self.themesDir]).theme.name, "light")
        XCTAssertNil(Theme.load(named: nil, directories: []).error)
    }
}
