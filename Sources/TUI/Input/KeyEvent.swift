/// A key press (or mouse wheel, paste bracket, resize) as the terminal edge decodes it.
public enum KeyEvent: Hashable, Sendable {
    /// A printable grapheme cluster (already decoded from UTF-8).
    case character(Character)
    case enter
    /// Alt-Enter (ESC then CR).
    case altEnter
    /// Ctrl-J (LF), which terminals send apart from Enter (CR).
    case ctrlJ
    case tab, backTab
    case up, down, left, right
    case pageUp, pageDown, home, end
    case backspace, delete
    /// F1 ... F12.
    case function(Int)
    case escape
    /// Ctrl with a letter, lower case: `.ctrl("r")`.
    case ctrl(Character)
    case wheelUp, wheelDown
    /// Bracketed paste: everything between these two is pasted text, taken literally.
    case pasteBegin, pasteEnd
    case resize(width: Int, height: Int)
}
