import Catalog
import XCTest
@testable import TUI

final class StatsPanelTests: XCTestCase {
    static var sample: StatsSnapshot {
        var s = StatsSnapshot()
        s.modelName = "SmolLM2-360M-Instruct"
        s.level = "Q4_K_M"
        s.bitsPerWeight = 4.89
        s.fileBytes = 270 * 1 << 20
        s.threads = 2
        s.generationTPS = 41.2
        s.rollingTPS = 39.87
        s.promptTPS = 312
        s.timeToFirstToken = 0.18
        s.contextUsed = 512
        s.contextSize = 2048
        s.rssBytes = 420 * 1 << 20
        s.weightsBytes = 270 * 1 << 20
        s.kvCacheBytes = 40 * 1 << 20
        s.replyPerplexity = 5.214
        s.conversationPerplexity = 6.0
        return s
    }

    func testColumnSnapshot() {
        var g = CellGrid(width: 30, height: 28)
        StatsPanel(Self.sample).renderColumn(into: &g, area: g.bounds)
        XCTAssertEqual(g.text(), """
        │ Model
        │ SmolLM2-360M-Instruct
        │ level     Q4_K_M
        │ bpw       4.89
        │ file      270 MiB
        │ threads   2
        │
        │ Speed
        │ gen       41.2 tok/s
        │ rolling   39.9 tok/s
        │ prompt    312 tok/s
        │ first tok 180 ms
        │
        │ Context
        │ █████░░░░░░░░░░░░░ 512/2048
        │
        │ Memory
        │ rss       420 MiB
        │ weights   270 MiB
        │ kv cache  40.0 MiB
        │
        │ Perplexity
        │ reply     5.21
        │ chat      6.00
        │
        │
        │
        │
        """)
    }

    func testEmptyColumnShowsDashes() {
        var g = CellGrid(width: 30, height: 6)
        StatsPanel(StatsSnapshot()).renderColumn(into: &g, area: g.bounds)
        XCTAssertEqual(g.lines()[1], "│ name      none")
        XCTAssertEqual(g.lines()[2], "│ level     –")
    }

    func testCompactBarFitsWhatItCan() {
        var g = CellGrid(width: 60, height: 1)
        StatsPanel(Self.sample).renderBar(into: &g, area: g.bounds)
        XCTAssertEqual(g.text(), " SmolLM2-360M-Instruct Q4_K_M · 41.2 tok/s · ttft 180 ms")
        var wide = CellGrid(width: 120, height: 1)
        StatsPanel(Self.sample).renderBar(into: &wide, area: wide.bounds)
        XCTAssertEqual(wide.text(), " SmolLM2-360M-Instruct Q4_K_M · 41.2 tok/s · ttft 180 ms · ctx 512/2048 · rss 420 MiB · ppl 5.21 · prompt 312 tok/s")
    }
}

final class ModelPickerTests: XCTestCase {
    static let rows = [
        ModelRow(reference: .catalog(model: "smollm2-360m", level: nil), name: "SmolLM2 360M Instruct", architecture: "llama", parameters: "360M",
                 level: "Q8_0", sizeBytes: 386 << 20, bitsPerWeight: 8.5, isPresent: true),
        ModelRow(reference: .catalog(model: "smollm2-360m", level: nil), name: "SmolLM2 360M Instruct", architecture: "llama", parameters: "360M",
                 level: "Q4_K_M", sizeBytes: 259 << 20, bitsPerWeight: 5.7, isPresent: false),
        ModelRow(reference: .catalog(model: "qwen3-0.6b", level: nil), name: "Qwen3 0.6B", architecture: "qwen3", parameters: "0.6B",
                 level: "Q4_K_M", sizeBytes: nil, bitsPerWeight: nil, isPresent: false),
    ]

    func testSnapshot() {
        var p = ModelPicker(rows: Self.rows)
        p.move(1)
        var g = CellGrid(width: 76, height: 8)
        p.render(into: &g, area: g.bounds)
        XCTAssertEqual(g.text(), """
        ┌─ Models (F2) ────────────────────────────────────────────────────────────┐
        │filter:                                                                   │
        │name                       arch    params  level       size   bpw         │
        │SmolLM2 360M Instruct      llama   360M    Q8_0     386 MiB  8.50  present│
        │SmolLM2 360M Instruct      llama   360M    Q4_K_M   259 MiB  5.70  missing│
        │Qwen3 0.6B                 qwen3   0.6B    Q4_K_M         –     –  missing│
        │                                                                          │
        └──────────────────────────────────────────────────────────────────────────┘
        """)

        XCTAssertEqual(g.styleLine(4) { $0.bg == .selection ? "s" : "." },
                       "." + String(repeating: "s", count: 74) + ".")
        XCTAssertEqual(g.cursor?.x, 9)
    }

    func testTypeToFilterAndSelect() {
        var p = ModelPicker(rows: Self.rows)
        p.type("q4")
        XCTAssertEqual(p.visibleRows.count, 2)
        p.type(" qwen")
        XCTAssertEqual(p.visibleRows.map(\.id), ["qwen3-0.6b"])
        XCTAssertEqual(p.selected?.level, "Q4_K_M")
        p.move(5)
        XCTAssertEqual(p.selection, 0)
        p.type("zzz")
        XCTAssertNil(p.selected)
        var g = CellGrid(width: 60, height: 6)
        p.render(into: &g, area: g.bounds)
        XCTAssertEqual(g.lines()[3], "│" + Format.padRight("no model matches 'q4 qwenzzz'", 58) + "│")
        for _ in 0 ..< 10 { p.backspace() }
        XCTAssertEqual(p.filter, "")
        XCTAssertEqual(p.visibleRows.count, 3)
    }

    func testLoadingLine() {
        var p = ModelPicker(rows: Self.rows)
        p.loading = ("Qwen3 0.6B", 0.42)
        var g = CellGrid(width: 60, height: 8)
        p.render(into: &g, area: g.bounds)
        XCTAssertEqual(g.lines()[6], "│" + Format.padRight("loading Qwen3 0.6B… 42%", 58) + "│")
    }
}

final class OverlayTests: XCTestCase {
    func testHelpListsEntries() {
        var g = CellGrid(width: 40, height: 8)
        HelpOverlay(entries: [("Enter", "send"), ("Ctrl-Q", "quit")]).render(into: &g, area: g.bounds)
        XCTAssertEqual(g.lines(), [
            "",
            "          ┌─ Keys ───────────┐",
            "          │ Enter   send     │",
            "          │ Ctrl-Q  quit     │",
            "          │                  │",
            "          │ Esc or F1 closes │",
            "          └──────────────────┘",
            "",
        ])
    }

    func testStatusLineDropsKeysThatDoNotFit() {
        var g = CellGrid(width: 40, height: 1)
        StatusLine(keys: [("F1", "help"), ("F2", "model"), ("F5", "settings"), ("^Q", "quit")],
                   message: "generating…").render(into: &g, area: g.bounds)
        XCTAssertEqual(g.text(), " F1 help  F2 model          generating…")
    }

    func testSettingsValidation() {
        var f = SettingsForm(ChatSettings())
        XCTAssertEqual(f.value(.temperature), "0.7")
        XCTAssertEqual(f.apply(), ChatSettings())
        f.setValue(.temperature, "hot")
        f.setValue(.topP, "1.5")
        f.setValue(.seed, "42")
        XCTAssertNil(f.apply())
        XCTAssertEqual(f.errors[.temperature], "not a number")
        XCTAssertEqual(f.errors[.topP], "must be 0 to 1")
        XCTAssertNil(f.errors[.seed])
        XCTAssertEqual(f.focus, .temperature)
        f.setValue(.temperature, "0")
        f.setValue(.topP, "0.9")
        let s = f.apply()
        XCTAssertEqual(s?.temperature, 0)
        XCTAssertEqual(s?.seed, 42)
        f.setValue(.contextLength, "100")
        XCTAssertNil(f.apply())
        XCTAssertEqual(f.errors[.contextLength], "must be 128 to 131072")
    }

    func testSettingsFormEditingAndRender() {
        var settings = ChatSettings()
        settings.contextLength = 4096
        var f = SettingsForm(settings, modelContext: 2048)
        f.type("Be brief.")
        f.move(-1)
        XCTAssertEqual(f.focus, .contextLength)
        f.backspace()
        XCTAssertEqual(f.value(.contextLength), "409")
        var g = CellGrid(width: 70, height: 22)
        f.render(into: &g, area: g.bounds)
        let lines = g.lines()
        XCTAssertTrue(lines[2].contains("  system prompt   Be brief."), lines[2])
        XCTAssertTrue(lines[16].contains("▸ context length  409"), lines[16])
        XCTAssertTrue(lines[17].contains("128 to 131072; empty: the model's (2048)"), lines[17])
    }

    func testEmptyContextLengthMeansTheModels() {
        var settings = ChatSettings()
        settings.contextLength = 4096
        var f = SettingsForm(settings)
        XCTAssertEqual(f.apply()?.contextLength, 4096)
        f.setValue(.contextLength, " ")
        XCTAssertEqual(f.apply(), ChatSettings())
        XCTAssertNil(ChatSettings().contextLength)
        XCTAssertEqual(SettingsForm(ChatSettings()).value(.contextLength), "")
    }
}

final class LayoutTests: XCTestCase {
    func testWide() {
        let l = Layout(width: 120, height: 30, inputRows: 2)
        XCTAssertEqual(l.kind, .wide)
        XCTAssertEqual(l.stats, Rect(x: 90, y: 0, width: 30, height: 29))
        XCTAssertEqual(l.input, Rect(x: 0, y: 27, width: 90, height: 2))
        XCTAssertEqual(l.separator, Rect(x: 0, y: 26, width: 90, height: 1))
        XCTAssertEqual(l.chat, Rect(x: 1, y: 0, width: 88, height: 26))
        XCTAssertEqual(l.status, Rect(x: 0, y: 29, width: 120, height: 1))
    }

    func testCompact() {
        let l = Layout(width: 80, height: 20)
        XCTAssertEqual(l.kind, .compact)
        XCTAssertEqual(l.input, Rect(x: 0, y: 18, width: 80, height: 1))
        XCTAssertEqual(l.stats, Rect(x: 0, y: 17, width: 80, height: 1))
        XCTAssertEqual(l.chat.height, 16)
    }

    func testTooSmall() {
        XCTAssertEqual(Layout(width: 59, height: 40).kind, .tooSmall)
        XCTAssertEqual(Layout(width: 60, height: 15).kind, .tooSmall)
        XCTAssertEqual(Layout(width: 60, height: 16).kind, .compact)
        var g = CellGrid(width: 40, height: 6)
        Layout.renderTooSmall(into: &g)
        XCTAssertEqual(g.text(), "\n\n           terminal too small\n        (need 60x16, have 40x6)\n\n")
    }
}

final class SettingsCompactTests: XCTestCase {
    func testEveryFieldShowsOnTheSmallestScreen() {
        var s = AppState(width: 60, height: 16)
        _ = s.handle(.function(5))
        for _ in 0 ..< 7 { _ = s.handle(.tab) }
        let lines = s.render().lines()
        XCTAssertTrue(lines.contains { $0.contains("▸ context length") }, lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains { $0.contains("  system prompt") })
        XCTAssertTrue(lines.contains { $0.contains("128 to 131072") })
    }
}
