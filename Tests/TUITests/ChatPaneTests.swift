import XCTest
@testable import TUI

final class MarkdownTests: XCTestCase {
    func testInlineCodeAndBold() {
        let lines = Markdown.lines("use `ls` and **bold** here", width: 40)
        XCTAssertEqual(lines.map(\.plainText), ["use ls and bold here"])
        let marks = String(lines[0].map { sc -> Character in
            sc.style.fg == .inlineCode ? "c" : sc.style.attributes.contains(.bold) ? "B" : "."
        })
        XCTAssertEqual(marks, "....cc.....BBBB.....")
    }

    func testUnclosedMarkersStayLiteral() {
        XCTAssertEqual(Markdown.lines("a **b and `c", width: 40).map(\.plainText), ["a **b and `c"])
    }

    func testListsHangTheirContinuation() {
        let text = "- first item is long enough to wrap\n1. one\n12. twelve"
        XCTAssertEqual(Markdown.lines(text, width: 20).map(\.plainText), [
            "• first item is long",
            "  enough to wrap",
            "1. one",
            "12. twelve",
        ])
    }

    func testCodeBlockKeepsSpacesAndFillsBackground() {
        let text = "see:\n```swift\n  let x = 1\n```\nok"
        let lines = Markdown.lines(text, width: 14)
        XCTAssertEqual(lines.map(\.plainText), ["see:", "```swift      ", "  let x = 1   ", "```           ", "ok"])
        XCTAssertTrue(lines[2].allSatisfy { $0.style.bg == .codeBackground && $0.style.fg == .code })
        XCTAssertEqual(lines[4][0].style, .plain)
    }
}

final class ChatPaneTests: XCTestCase {
    func render(_ pane: ChatPane, _ w: Int, _ h: Int) -> String {
        var g = CellGrid(width: w, height: h)
        pane.render(into: &g, area: g.bounds)
        return g.text()
    }

    func testConversationSnapshot() {
        var pane = ChatPane()
        pane.append(ChatPaneMessage(role: .user, text: "What is 中文?"), width: 30)
        pane.appendToken("It is", width: 30)
        pane.appendToken(" **Chinese** text.", width: 30)
        pane.finishReply(ReplyFooter(level: "Q4_K_M", tokens: 5, tokensPerSecond: 41.234, perplexity: 3.5), width: 30)
        XCTAssertEqual(render(pane, 30, 8), """
        you
          What is 中文?

        assistant
          It is Chinese text.
          Q4_K_M · 5 tokens · 41.2
          tok/s · ppl 3.50

        """)
    }

    func testStreamingShowsCursorAndFollowsTheEnd() {
        var pane = ChatPane()
        pane.append(ChatPaneMessage(role: .user, text: "count"), width: 20)
        for i in 1 ... 6 { pane.appendToken("\(i)\n", width: 20) }
        XCTAssertEqual(render(pane, 20, 4), "  4\n  5\n  6\n  ▍")
        XCTAssertTrue(pane.messages.last!.isStreaming)
    }

    func testScrollingPagesAndStaysPutWhileStreaming() {
        var pane = ChatPane()
        pane.append(ChatPaneMessage(role: .assistant, text: (1 ... 20).map(String.init).joined(separator: "\n")), width: 10)
        // 21 lines: the label and 20 numbers; a 5-line view shows 16...20.
        XCTAssertEqual(render(pane, 10, 5), "  16\n  17\n  18\n  19\n  20")
        pane.scroll(.pageUp, width: 10, height: 5)       // a page is height - 1 = 4 lines
        XCTAssertEqual(pane.scrollOffset, 4)
        XCTAssertTrue(render(pane, 10, 5).hasPrefix("  12\n  13\n  14\n  15"))
        pane.append(ChatPaneMessage(role: .user, text: "more"), width: 10)   // +3 lines below
        XCTAssertEqual(pane.scrollOffset, 7)
        XCTAssertTrue(render(pane, 10, 5).hasPrefix("  12\n"))
        pane.scroll(.top, width: 10, height: 5)
        XCTAssertTrue(render(pane, 10, 5).hasPrefix("assistant\n  1\n"))
        pane.scroll(.wheelDown, width: 10, height: 5)
        XCTAssertTrue(render(pane, 10, 5).hasPrefix("  3\n"))
        pane.scroll(.bottom, width: 10, height: 5)
        XCTAssertEqual(pane.scrollOffset, 0)
        pane.scroll(.pageDown, width: 10, height: 5)
        XCTAssertEqual(pane.scrollOffset, 0)
        pane.scroll(.wheelUp, width: 10, height: 5)
        XCTAssertEqual(pane.scrollOffset, 3)
    }

    func testNoticeAndEmptyHint() {
        XCTAssertTrue(render(ChatPane(), 40, 4).hasPrefix("Type a message and press Enter. F1 for"))
        let pane = ChatPane(messages: [ChatPaneMessage(role: .notice, text: "loaded SmolLM2 Q8_0")])
        XCTAssertEqual(render(pane, 40, 2), "· loaded SmolLM2 Q8_0\n")
    }
}
