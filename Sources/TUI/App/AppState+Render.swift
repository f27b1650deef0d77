/// Drawing the whole screen from the state.
extension AppState {
    /// The screen as a grid: layout, widgets, then the overlay of the current mode.
    public func render() -> CellGrid {
        var grid = CellGrid(width: width, height: height)
        let l = layout
        guard l.kind != .tooSmall else { Layout.renderTooSmall(into: &grid); return grid }

        chat.render(into: &grid, area: chatArea)
        if let area = compareArea, let comparison {
            grid.put(String(repeating: "┄", count: area.width), x: area.x, y: area.y - 1, style: Style(fg: .border))
            comparison.render(into: &grid, area: area)
        }
        grid.put(String(repeating: "─", count: l.separator.width), x: l.separator.x, y: l.separator.y, style: Style(fg: .border))
        if l.kind == .wide {
            StatsPanel(stats).renderColumn(into: &grid, area: l.stats)
        } else {
            StatsPanel(stats).renderBar(into: &grid, area: l.stats)
        }
        input.render(into: &grid, area: l.input, focused: mode == .chat,
                     placeholder: model == nil ? "F2 picks a model" : "Message · Enter sends · Alt-Enter new line")
        StatusLine(keys: statusKeys, message: statusMessage?.0, tone: statusMessage?.1 ?? .normal)
            .render(into: &grid, area: l.status)

        let overlay = overlayArea
        switch mode {
        case .chat: break
        case .help: HelpOverlay(entries: KeyMap.help, offset: helpOffset).render(into: &grid, area: overlay)
        case .modelPicker: picker.render(into: &grid, area: overlay)
        case .quantLevel: quantPicker.render(into: &grid, area: Frame.centered(in: overlay, width: overlay.width, height: 12),
                                                 title: ModelPicker.levelsTitle)
        case .settings: settingsForm?.render(into: &grid, area: overlay)
        case .chatList: chatList.render(into: &grid, area: overlay)
        }
        if mode == .help { grid.cursor = nil }
        return grid
    }

    /// Compare mode's columns, under the chat, when a comparison is on screen.
    var compareArea: Rect? {
        let c = layout.chat
        guard comparison != nil, c.height >= 10 else { return nil }
        let h = max(6, c.height * 3 / 5)
        return Rect(x: c.x, y: c.maxY - h, width: c.width, height: h)
    }

    /// The chat pane: the layout's, less the compare columns and their separator.
    var chatArea: Rect {
        let c = layout.chat
        guard let a = compareArea else { return c }
        return Rect(x: c.x, y: c.y, width: c.width, height: max(1, c.height - a.height - 1))
    }

    /// Where overlays (help, pickers, forms) go: the screen less a margin and the status line.
    var overlayArea: Rect { Rect(x: 2, y: 1, width: width - 4, height: height - 2) }

    var statusMessage: (String, StatusLine.Tone)? {
        if let status { return (status.message, status.tone) }
        if isGenerating { return ("generating…", .normal) }
        if let loading { return ("loading \(loading.name)…", .normal) }
        if let historyOff { return ("history off (nothing is saved): \(historyOff)", .warning) }
        if historyWaiting > 0 { return ("history: \(historyWaiting) change(s) wait for a lock another program holds; nothing is lost", .warning) }
        return nil
    }

    var statusKeys: [(key: String, label: String)] {
        switch mode {
        case .chat:
            var k: [(key: String, label: String)] = [("Enter", "send")]
            if isGenerating { k.append(("Esc", "stop")) }
            if compareMode { k.append(("F4", "compare on")) }
            k += [("F1", "help"), ("F2", "model"), ("F3", "level"), ("F5", "settings"), ("^O", "chats"), ("^N", "new"), ("^Q", "quit")]
            return k
        case .help: return [("Esc", "close")]
        case .modelPicker: return [("↑↓", "select"), ("Enter", "load"), ("Esc", "close")]
        case .quantLevel: return [("↑↓", "select"), ("Enter", "switch, keep the chat"), ("Esc", "close")]
        case .settings: return [("Tab", "next"), ("Enter", "apply"), ("Esc", "cancel")]
        case .chatList: return [("↑↓", "select"), ("Enter", "open"), ("Del", "delete"), ("Esc", "close")]
        }
    }
}
