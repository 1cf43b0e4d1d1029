/// One input event, terminal-independent: the backend translates curses key codes and mouse
/// reports into these, and `Dashboard.handle` is tested with them directly.
public enum Key: Sendable, Equatable {
    /// A printable character, or a control character such as "\u{0C}" (Ctrl-L).
    case character(Character)
    case up, down, left, right
    case pageUp, pageDown, home, end
    case enter, escape, tab, backTab, backspace, delete
    /// F1…F12.
    case function(Int)
    /// Left button pressed at a 0-based cell.
    case click(x: Int, y: Int)
    case wheelUp(x: Int, y: Int)
    case wheelDown(x: Int, y: Int)
    /// The terminal is now `width`×`height` cells.
    case resize(width: Int, height: Int)

    /// Ctrl plus a letter, as terminals send it.
    public static func control(_ letter: Character) -> Key {
        let code = (letter.asciiValue ?? 64) & 0x1F
        return .character(Character(Unicode.Scalar(code)))
    }
}
