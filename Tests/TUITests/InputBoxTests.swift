import XCTest
@testable import TUI

final class InputBoxTests: XCTestCase {
    func testInsertBackspaceDelete() {
        var b = InputBox()
        b.insert("héllo")
        b.left(); b.left()
        b.backspace()
        XCTAssertEqual(b.text, "hélo")
        b.delete()
        XCTAssertEqual(b.text, "héo")
        b.home(); b.delete()
        XCTAssertEqual(b.text, "éo")
        b.end(); b.insert("!")
        XCTAssertEqual(b.text, "éo!")
    }

    func testNewlineAndJoiningLines() {
        var b = InputBox()
        b.insert("ab")
        b.left()
        b.newline()
        XCTAssertEqual(b.text, "a\nb")
        XCTAssertEqual(b.row, 1); XCTAssertEqual(b.col, 0)
        b.backspace()
        XCTAssertEqual(b.text, "ab")
        b.end(); b.insert("\nc"); b.up(); b.end(); b.delete()
        XCTAssertEqual(b.text, "abc")
    }

    func testPasteKeepsLinesAsIs() {
        var b = InputBox()
        b.insert("func f() {\n    return 1\n}")
        XCTAssertEqual(b.lines.count, 3)
        XCTAssertEqual(b.text, "func f() {\n    return 1\n}")
        var c = InputBox()
        c.insert("a\r\nb")
        XCTAssertEqual(c.text, "a\nb")
    }

    func testGraphemeMovementOverEmojiAndCombining() {
        var b = InputBox()
        b.insert("a👨‍👩‍👧e\u{301}")
        XCTAssertEqual(b.col, 3)
        b.left(); b.backspace()
        XCTAssertEqual(b.text, "ae\u{301}")
    }

    func testUpDownKeepDisplayColumnAcrossCJK() {
        var b = InputBox(text: "abcdef\n中文字\nxy")
        // Cursor at the end of "xy" (column 2); up lands after 中 (column 2).
        b.up()
        XCTAssertEqual(b.row, 1); XCTAssertEqual(b.col, 1)
        b.end()                               // column 6
        b.up()
        XCTAssertEqual(b.row, 0); XCTAssertEqual(b.col, 6)
        b.left()                              // column 5: inside 字 below, so it lands before it
        b.down()
        XCTAssertEqual(b.row, 1); XCTAssertEqual(b.col, 2)
        b.down()                              // goal column 4 kept; "xy" is shorter
        XCTAssertEqual(b.row, 2); XCTAssertEqual(b.col, 2)
    }

    func testHistoryRecallKeepsTheDraft() {
        var b = InputBox()
        b.insert("first"); _ = b.submit()
        b.insert("second\nline"); _ = b.submit()
        XCTAssertEqual(b.history, ["first", "second\nline"])
        b.insert("draft")
        b.up()
        XCTAssertEqual(b.text, "second\nline")
        b.up()                                 // moves within the recalled text first
        XCTAssertEqual(b.row, 0)
        b.up()
        XCTAssertEqual(b.text, "first")
        b.up()
        XCTAssertEqual(b.text, "first")
        b.down()
        XCTAssertEqual(b.text, "second\nline")
        b.down()
        XCTAssertEqual(b.text, "draft")
    }

    func testRenderGrowsThenScrollsWithTheCursor() {
        var b = InputBox()
        XCTAssertEqual(b.preferredRows(width: 12), 1)
        b.insert("1\n2\n3\n4\n5\n6\n7")
        XCTAssertEqual(b.preferredRows(width: 12), InputBox.maxVisibleRows)
        var g = CellGrid(width: 12, height: 3)
        b.render(into: &g, area: g.bounds)
        XCTAssertEqual(g.text(), "↑ 5\n  6\n  7")
        XCTAssertEqual(g.cursor?.x, 3); XCTAssertEqual(g.cursor?.y, 2)
    }

    func testRenderWrapsCJKByWidth() {
        let b = InputBox(text: "中文中文中文")   // 12 columns into 7 (9 minus the prompt)
        var g = CellGrid(width: 9, height: 2)
        b.render(into: &g, area: g.bounds)
        XCTAssertEqual(g.text(), "› 中文中\n  文中文")
        XCTAssertEqual(g.cursor?.x, 8); XCTAssertEqual(g.cursor?.y, 1)
    }

    func testPlaceholder() {
        var g = CellGrid(width: 20, height: 1)
        InputBox().render(into: &g, area: g.bounds, placeholder: "Type here")
        XCTAssertEqual(g.text(), "› Type here")
        XCTAssertEqual(g.cursor?.x, 2)
    }
}
