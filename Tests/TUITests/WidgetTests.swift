import Catalog
import Foundation
import XCTest
@testable import TUI

/// Every widget through the one `Widget` shape: it draws inside the rectangle it is given and
/// leaves every other cell of the grid as it was.
final class WidgetTests: XCTestCase {
    func widgets() -> [(String, any Widget)] {
        let chat = ChatPane(messages: [ChatPaneMessage(role: .user, text: "hello there, a line long enough to wrap twice or more"),
                                       ChatPaneMessage(role: .assistant, text: "**hi** `code`\n- a list item")])
        var comparison = Comparison(levels: ["Q8_0", "Q4_1"])
        comparison.columns[0].text = "a reply in the first column that wraps"
        let rows = [ModelRow(reference: .catalog(model: "m", level: "Q8_0"), name: "M", architecture: "llama", parameters: "135M",
                             level: "Q8_0", sizeBytes: 138 << 20, bitsPerWeight: 8.5, isPresent: true)]
        let now = Date()
        return [
            ("ChatPane", chat),
            ("Comparison", comparison),
            ("HelpOverlay", HelpOverlay(entries: KeyMap.help)),
            ("SettingsForm", SettingsForm(ChatSettings(), modelContext: 2048)),
            ("StatusLine", StatusLine(keys: [("F1", "help"), ("^Q", "quit")], message: "a status message")),
            ("ChatList", ChatList(chats: [ChatSummary(id: 1, title: "a chat", model: "M Q8_0", created: now, updated: now)])),
            ("InputBox", InputBox(text: "some typed text that is longer than the box is wide")),
            ("ModelPicker", ModelPicker(rows: rows)),
            ("StatsPanel", StatsPanel(StatsSnapshot())),
            ("TooSmallNotice", TooSmallNotice()),
        ]
    }

    func testEveryWidgetDrawsOnlyInsideItsArea() {
        for area in [Rect(x: 5, y: 3, width: 40, height: 14), Rect(x: 2, y: 20, width: 70, height: 1)] {
            for (name, widget) in widgets() {
                var grid = CellGrid(width: 80, height: 24)
                grid.fill(grid.bounds, style: .plain, with: "#")
                widget.render(into: &grid, area: area)
                var inside = 0
                for y in 0 ..< grid.height {
                    for x in 0 ..< grid.width {
                        let cell = grid[x, y]
                        if x >= area.x, x < area.maxX, y >= area.y, y < area.maxY {
                            if cell.text != "#" { inside += 1 }
                        } else {
                            XCTAssertEqual(cell.text, "#", "\(name) drew at (\(x),\(y)) outside \(area)")
                        }
                    }
                }
                // A framed widget has no room in one line; in the larger area every one draws.
                if area.height > 1 { XCTAssertGreaterThan(inside, 0, "\(name) drew nothing in \(area)") }
            }
        }
    }

    func testStatsPanelPicksColumnOrBarByHeight() {
        var column = CellGrid(width: 30, height: 20), bar = CellGrid(width: 80, height: 1)
        var expectedColumn = column, expectedBar = bar
        let panel = StatsPanel(StatsSnapshot())
        panel.render(into: &column, area: column.bounds)
        panel.renderColumn(into: &expectedColumn, area: expectedColumn.bounds)
        panel.render(into: &bar, area: bar.bounds)
        panel.renderBar(into: &expectedBar, area: expectedBar.bounds)
        XCTAssertEqual(column, expectedColumn)
        XCTAssertEqual(bar, expectedBar)
    }
}
