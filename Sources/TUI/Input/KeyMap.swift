/// Which screen has the keyboard.
public enum Mode: Equatable, Sendable {
    case chat, help, modelPicker, quantLevel, settings, chatList
}

/// Keys to actions, per mode. The one place that says what a key does; the help overlay
/// is generated from `KeyMap.help`.
public enum KeyMap {
    /// The action for `key` in `mode`. `inputEmpty` lets `?`, Home and End mean help and
    /// scrolling when there is nothing to edit; `pasting` makes Enter a newline.
    public static func action(for key: KeyEvent, mode: Mode, inputEmpty: Bool = true, pasting: Bool = false) -> Action? {
        // Keys that mean the same everywhere.
        switch key {
        case .ctrl("q"): return .quit
        case .resize(let w, let h): return .resize(width: w, height: h)
        case .pasteBegin: return .pasteBegin
        case .pasteEnd: return .pasteEnd
        default: break
        }
        if pasting {
            switch key {
            case .enter, .ctrlJ, .altEnter: return .insert("\n")
            case .tab: return .insert("\t")
            case .character(let c): return .insert(String(c))
            default: break
            }
        }
        switch mode {
        case .chat: return chat(key, inputEmpty: inputEmpty)
        case .help:
            switch key {
            case .escape, .function(1), .character("?"), .character("q"): return .close
            case .up: return .cursorUp
            case .down: return .cursorDown
            case .pageUp, .wheelUp: return .scroll(.pageUp)
            case .pageDown, .wheelDown: return .scroll(.pageDown)
            default: return nil
            }
        case .modelPicker, .quantLevel, .chatList:
            switch key {
            case .escape: return .close
            case .function(2) where mode == .modelPicker: return .close
            case .function(3) where mode == .quantLevel: return .close
            case .ctrl("o") where mode == .chatList: return .close
            case .enter: return .confirm
            case .up: return .cursorUp
            case .down: return .cursorDown
            case .pageUp, .wheelUp: return .scroll(.pageUp)
            case .pageDown, .wheelDown: return .scroll(.pageDown)
            case .home: return .scroll(.top)
            case .end: return .scroll(.bottom)
            case .backspace: return .backspace
            case .delete where mode == .chatList: return .delete
            case .character(let c) where mode == .modelPicker: return .insert(String(c))
            default: return nil
            }
        case .settings:
            switch key {
            case .escape, .function(5): return .close
            case .enter: return .confirm
            case .tab, .down: return .nextField
            case .backTab, .up: return .previousField
            case .backspace: return .backspace
            case .altEnter, .ctrlJ: return .insert("\n")
            case .character(let c): return .insert(String(c))
            default: return nil
            }
        }
    }

    static func chat(_ key: KeyEvent, inputEmpty: Bool) -> Action? {
        switch key {
        case .character("?") where inputEmpty: return .toggleHelp
        case .character(let c): return .insert(String(c))
        case .tab: return .insert("    ")
        case .enter: return .send
        case .altEnter, .ctrlJ: return .newline
        case .escape: return .stop
        case .ctrl("r"): return .regenerate
        case .ctrl("n"): return .newChat
        case .ctrl("o"): return .openChatList
        case .function(1): return .toggleHelp
        case .function(2): return .openModelPicker
        case .function(3): return .openQuantLevel
        case .function(4): return .openCompare
        case .function(5): return .openSettings
        case .left: return .cursorLeft
        case .right: return .cursorRight
        case .up: return .cursorUp
        case .down: return .cursorDown
        case .home: return inputEmpty ? .scroll(.top) : .cursorHome
        case .end: return inputEmpty ? .scroll(.bottom) : .cursorEnd
        case .backspace: return .backspace
        case .delete: return .delete
        case .pageUp: return .scroll(.pageUp)
        case .pageDown: return .scroll(.pageDown)
        case .wheelUp: return .scroll(.wheelUp)
        case .wheelDown: return .scroll(.wheelDown)
        default: return nil
        }
    }

    /// Every key, for the help overlay and the README.
    public static let help: [(keys: String, meaning: String)] = [
        ("Enter", "send the message"),
        ("Alt-Enter, Ctrl-J", "new line in the message"),
        ("←→↑↓ Home End", "move in the message"),
        ("↑↓ first/last line", "recall earlier messages"),
        ("PgUp PgDn, wheel", "scroll the chat"),
        ("Home End, no input", "top / bottom of the chat"),
        ("Esc", "stop the reply; close a window"),
        ("Ctrl-R", "regenerate the last reply"),
        ("Ctrl-N", "new chat"),
        ("Ctrl-O", "chat list (Del deletes)"),
        ("F1, ? (no input)", "this help"),
        ("F2", "model picker (type to filter)"),
        ("F3", "quantization level"),
        ("F4", "compare levels"),
        ("F5", "settings"),
        ("Ctrl-Z", "suspend (fg resumes)"),
        ("Ctrl-Q", "quit"),
    ]
}
