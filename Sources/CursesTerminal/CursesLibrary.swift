import CNcurses

/// Facts about the linked ncursesw. The terminal backend (init, blit, keys, resize, restore)
/// arrives with the dashboard issue; this proves the system-library target links.
public enum CursesLibrary {
    /// The ncurses version string, e.g. "ncurses 6.4.20221231".
    public static var version: String {
        guard let text = curses_version() else { return "unknown" }
        return String(cString: text)
    }
}
