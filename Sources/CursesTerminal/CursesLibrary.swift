import CNcurses

/// Facts about the linked ncursesw, for `--version` output and bug reports.
public enum CursesLibrary {
    /// The ncurses version string, e.g. "ncurses 6.4.20221231".
    public static var version: String {
        guard let text = curses_version() else { return "unknown" }
        return String(cString: text)
    }
}
