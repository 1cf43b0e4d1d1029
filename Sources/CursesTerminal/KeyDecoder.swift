import CNcurses
import DashboardKit

/// Curses key codes to `Key`. Kept apart from the backend so the mapping reads as a table.
enum KeyDecoder {
    /// A character `wget_wch` returned as text: Enter, Tab, Esc and Backspace arrive as control
    /// characters in cbreak mode, everything printable as itself.
    static func character(_ code: UInt32) -> Key? {
        switch code {
        case 0x0D, 0x0A: return .enter
        case 0x09: return .tab
        case 0x1B: return .escape
        case 0x08, 0x7F: return .backspace
        default:
            guard let scalar = Unicode.Scalar(code) else { return nil }
            return .character(Character(scalar))
        }
    }

    /// A function key code (`KEY_*`).
    static func function(_ code: Int32) -> Key? {
        switch code {
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case KEY_PPAGE: return .pageUp
        case KEY_NPAGE: return .pageDown
        case KEY_HOME: return .home
        case KEY_END: return .end
        case KEY_ENTER: return .enter
        case KEY_BACKSPACE: return .backspace
        case KEY_DC: return .delete
        case KEY_BTAB: return .backTab
        default:
            for n in 1...12 where code == tt_key_f(Int32(n)) { return .function(n) }
            return nil
        }
    }
}
