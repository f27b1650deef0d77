import XCTest
@testable import TUI

final class DisplayWidthTests: XCTestCase {
    func testASCIIAndLatin() {
        XCTAssertEqual(DisplayWidth.of("a" as Character), 1)
        XCTAssertEqual(DisplayWidth.of("é" as Character), 1)
        XCTAssertEqual(DisplayWidth.of("hello"), 5)
    }

    func testCJKAndFullwidth() {
        XCTAssertEqual(DisplayWidth.of("中" as Character), 2)
        XCTAssertEqual(DisplayWidth.of("日本語"), 6)
        XCTAssertEqual(DisplayWidth.of("한" as Character), 2)
        XCTAssertEqual(DisplayWidth.of("Ａ" as Character), 2)  // FULLWIDTH A
        XCTAssertEqual(DisplayWidth.of("ｱ" as Character), 1)  // HALFWIDTH KATAKANA
        XCTAssertEqual(DisplayWidth.of("\u{3000}" as Character), 2)  // ideographic space
    }

    func testEmoji() {
        XCTAssertEqual(DisplayWidth.of("😀" as Character), 2)
        XCTAssertEqual(DisplayWidth.of("👍🏽" as Character), 2)          // skin tone modifier
        XCTAssertEqual(DisplayWidth.of("👨‍👩‍👧" as Character), 2)      // ZWJ family
        XCTAssertEqual(DisplayWidth.of("🇫🇷" as Character), 2)          // flag
        XCTAssertEqual(DisplayWidth.of("❤️" as Character), 2)          // text default + VS16
        XCTAssertEqual(DisplayWidth.of("❤" as Character), 1)           // text default alone
    }

    func testCombiningAndZeroWidth() {
        XCTAssertEqual(DisplayWidth.of("e\u{301}" as Character), 1)
        XCTAssertEqual(DisplayWidth.of("\u{301}" as Character), 0)
        XCTAssertEqual(DisplayWidth.of("\u{200B}" as Character), 0)
        XCTAssertEqual(DisplayWidth.of("\u{200D}" as Character), 0)
        XCTAssertEqual(DisplayWidth.of("a\u{301}\u{302}b"), 2)
    }

    func testTableIsSortedAndDisjoint() {
        for (a, b) in zip(DisplayWidth.wideRanges, DisplayWidth.wideRanges.dropFirst()) {
            XCTAssertLessThan(a.upperBound, b.lowerBound, "\(a) before \(b)")
        }
    }
}

final class CellGridTests: XCTestCase {
    func testPutAndText() {
        var g = CellGrid(width: 10, height: 2)
        g.put("hello", x: 1, y: 0, style: .plain)
        XCTAssertEqual(g.text(), " hello\n")
        XCTAssertEqual(g.lines(trimmingTrailing: false), [" hello    ", "          "])
    }

    func testWideCharactersTakeTwoColumns() {
        var g = CellGrid(width: 6, height: 1)
        let end = g.put("中文x", x: 0, y: 0, style: .plain)
        XCTAssertEqual(end, 5)
        XCTAssertEqual(g[0, 0].width, 2)
        XCTAssertTrue(g[1, 0].isContinuation)
        XCTAssertEqual(g[4, 0].text, "x")
        XCTAssertEqual(g.line(0), "中文x")
    }

    func testWideCharacterAtRightEdgeIsNotSplit() {
        var g = CellGrid(width: 5, height: 1)
        g.put("abcd中", x: 0, y: 0, style: .plain)
        XCTAssertEqual(g.lines(trimmingTrailing: false), ["abcd "])
    }

    func testOverwritingHalfAWideCharacterBlanksTheOtherHalf() {
        var g = CellGrid(width: 4, height: 1)
        g.put("中中", x: 0, y: 0, style: .plain)
        g.put("x", x: 1, y: 0, style: .plain)   // lands on the continuation of the first
        XCTAssertEqual(g.lines(trimmingTrailing: false), [" x中"])
        g.put("y", x: 2, y: 0, style: .plain)   // lands on the head of the second
        XCTAssertEqual(g.lines(trimmingTrailing: false), [" xy "])
    }

    func testCombiningMarkJoinsPreviousCell() {
        var g = CellGrid(width: 4, height: 1)
        g.put("e\u{301}x", x: 0, y: 0, style: .plain)
        XCTAssertEqual(g[0, 0].text, "e\u{301}")
        XCTAssertEqual(g[1, 0].text, "x")
    }

    func testClip() {
        var g = CellGrid(width: 8, height: 2)
        g.put("abcdefgh", x: 2, y: 1, style: .plain, clip: Rect(x: 2, y: 0, width: 3, height: 2))
        XCTAssertEqual(g.text(), "\n  cde".replacingOccurrences(of: "cde", with: "abc"))
        g.put("zzz", x: 0, y: 5, style: .plain)  // off-grid: ignored
    }

    func testFillAndStyles() {
        var g = CellGrid(width: 4, height: 1)
        g.fill(Rect(x: 1, y: 0, width: 2, height: 1), style: Style().with(.bold))
        XCTAssertEqual(g.styleLine(0) { $0.attributes.contains(.bold) ? "B" : "." }, ".BB.")
    }
}

final class TextWrapTests: XCTestCase {
    func testWordWrap() {
        XCTAssertEqual(TextWrap.wrap("the quick brown fox jumps", width: 10),
                       ["the quick", "brown fox", "jumps"])
    }

    func testLongWordIsHardBroken() {
        XCTAssertEqual(TextWrap.wrap("abcdefghijkl xy", width: 5), ["abcde", "fghij", "kl xy"])
    }

    func testNewlinesAndEmptyLines() {
        XCTAssertEqual(TextWrap.wrap("a\n\nb", width: 5), ["a", "", "b"])
        XCTAssertEqual(TextWrap.wrap("", width: 5), [""])
    }

    func testSpacesAtBreakAreDropped() {
        XCTAssertEqual(TextWrap.wrap("abcd efgh", width: 4), ["abcd", "efgh"])
        XCTAssertEqual(TextWrap.wrap("ab   cd", width: 4), ["ab", "cd"])
    }

    func testWideCharactersStayWhole() {
        // 5 columns: two CJK characters (4 cols) fit, the third moves down whole.
        XCTAssertEqual(TextWrap.wrap("中文字符", width: 5), ["中文", "字符"])
        XCTAssertEqual(TextWrap.wrap("a中文字", width: 4), ["a中", "文字"])
        for line in TextWrap.wrap("日本語のテキストを折り返す😀テスト", width: 7) {
            XCTAssertLessThanOrEqual(DisplayWidth.of(line), 7)
        }
    }

    func testCombiningMarksDoNotCount() {
        XCTAssertEqual(TextWrap.wrap("e\u{301}e\u{301}e\u{301} x", width: 3), ["e\u{301}e\u{301}e\u{301}", "x"])
    }
}

final class TextWrapMoreTests: XCTestCase {
    func testRunsOfSpacesAtABreak() {
        XCTAssertEqual(TextWrap.wrap("ab      cd", width: 4), ["ab", "cd"])
    }

    func testStylesSurviveWrapping() {
        let bold = Style().with(.bold)
        let text = [StyledChar]("aa ", style: .plain) + [StyledChar]("bbb", style: bold)
        let lines = TextWrap.wrap(text, width: 4)
        XCTAssertEqual(lines.map(\.plainText), ["aa", "bbb"])
        XCTAssertEqual(lines[1].map(\.style), [bold, bold, bold])
    }
}
