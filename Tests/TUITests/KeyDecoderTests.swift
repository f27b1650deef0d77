import XCTest
@testable import TUI

final class KeyDecoderTests: XCTestCase {
    func decode(_ s: String, thenTimeout: Bool = true) -> [KeyEvent] {
        var d = KeyDecoder()
        var out: [KeyEvent] = []
        for u in s.unicodeScalars { out += d.feed(.scalar(u)) }
        if thenTimeout { out += d.timeout() }
        return out
    }

    func testPlainTextAndControls() {
        XCTAssertEqual(decode("a中"), [.character("a"), .character("中")])
        XCTAssertEqual(decode("\r\n\t\u{7F}"), [.enter, .ctrlJ, .tab, .backspace])
        XCTAssertEqual(decode("\u{12}\u{11}\u{0E}\u{0F}"), [.ctrl("r"), .ctrl("q"), .ctrl("n"), .ctrl("o")])
    }

    func testEscapeAloneAltEnterAndPaste() {
        XCTAssertEqual(decode("\u{1B}"), [.escape])
        XCTAssertEqual(decode("\u{1B}\r"), [.altEnter])
        XCTAssertEqual(decode("\u{1B}[200~a\rb\u{1B}[201~"), [.pasteBegin, .character("a"), .enter, .character("b"), .pasteEnd])
        XCTAssertEqual(decode("\u{1B}\u{1B}"), [.escape, .escape])
    }

    func testSequencesKeypadMissed() {
        XCTAssertEqual(decode("\u{1B}[A\u{1B}[5~\u{1B}OP\u{1B}[15~\u{1B}[Z"), [.up, .pageUp, .function(1), .function(5), .backTab])
        XCTAssertEqual(decode("\u{1B}[13;3u"), [.altEnter])
        XCTAssertEqual(decode("\u{1B}[99~x"), [.character("x")])   // unknown: dropped
    }

    func testMouseWheelReports() {
        // SGR (1006): wheel up and down, with and without ctrl; press only, clicks ignored.
        XCTAssertEqual(decode("\u{1B}[<64;10;5M\u{1B}[<65;10;5M"), [.wheelUp, .wheelDown])
        XCTAssertEqual(decode("\u{1B}[<80;1;1M"), [.wheelUp])
        XCTAssertEqual(decode("\u{1B}[<0;3;4M\u{1B}[<0;3;4m\u{1B}[<64;3;4m"), [])
        // X10: ESC [ M and three bytes (wheel up is 32 + 64 = "`"); the bytes never leak as text.
        XCTAssertEqual(decode("\u{1B}[M`!!\u{1B}[Ma!!x"), [.wheelUp, .wheelDown, .character("x")])
        XCTAssertEqual(decode("\u{1B}[M !!"), [])
    }

    func testWheelScrollsTheChat() {
        var s = AppState(width: 100, height: 24)
        _ = s.reduce(.backend(.modelLoaded(AppStateTests.model)))
        for i in 0 ..< 40 { s.chat.append(ChatPaneMessage(role: .user, text: "line \(i)"), width: 60) }
        s.chat.scroll(.bottom, width: s.layout.chat.width, height: s.layout.chat.height)
        s.status = nil
        XCTAssertFalse(s.render().text().contains("line 0\n"))
        let bottom = s.render().text()
        for k in decode("\u{1B}[<64;10;5M\u{1B}[<64;10;5M\u{1B}[<64;10;5M") { _ = s.handle(k) }
        let up = s.render().text()
        XCTAssertNotEqual(up, bottom, "the wheel scrolls the chat up")
        for k in decode("\u{1B}[<65;10;5M\u{1B}[<65;10;5M\u{1B}[<65;10;5M") { _ = s.handle(k) }
        XCTAssertEqual(s.render().text(), bottom, "and back down")
    }

    func testDecodedKeysPassThroughAndEndAPendingEscape() {
        var d = KeyDecoder()
        XCTAssertEqual(d.feed(.scalar("\u{1B}")), [])
        XCTAssertTrue(d.isPending)
        XCTAssertEqual(d.feed(.key(.down)), [.escape, .down])
        XCTAssertFalse(d.isPending)
    }

    func testCombiningMarkTypedAloneJoinsTheCluster() {
        var b = InputBox()
        for k in decode("e\u{301}x") { if case .character(let c) = k { b.insert(String(c)) } }
        XCTAssertEqual(b.lines[0].count, 2)
        XCTAssertEqual(b.text, "e\u{301}x")
        var f = InputBox()
        for u in "🇫🇷".unicodeScalars { f.insert(String(Character(u))) }
        XCTAssertEqual(f.lines[0].count, 1)
    }

    func testAttributesMatchNcursesBits() {
        XCTAssertEqual(Terminal.attributes(.bold), 0x200000)
        XCTAssertEqual(Terminal.attributes([.reverse, .underline]), 0x60000)
    }
}
