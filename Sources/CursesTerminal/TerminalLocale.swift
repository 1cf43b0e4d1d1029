import CNcurses
import Glibc

/// The locale ncursesw needs: a UTF-8 codeset, or box lines, glyphs and sparkline blocks come
/// out as junk. Takes the environment's locale (`setlocale(LC_ALL, "")`), and when its codeset is
/// not UTF-8 (a bare "C" or "POSIX", as under many SSH and cron setups) switches only LC_CTYPE to
/// C.UTF-8, which exists on every modern glibc, leaving messages and number formats alone.
enum TerminalLocale {
    /// Sets the locale; returns the codeset in effect afterwards.
    @discardableResult
    static func configure() -> String {
        setlocale(LC_ALL, "")
        if isUTF8(codeset) { return codeset }
        for name in ["C.UTF-8", "C.utf8", "en_US.UTF-8"] where setlocale(LC_CTYPE, name) != nil {
            if isUTF8(codeset) { break }
        }
        return codeset
    }

    static var codeset: String {
        guard let text = nl_langinfo(nl_item(CODESET)) else { return "" }
        return String(cString: text)
    }

    static func isUTF8(_ codeset: String) -> Bool {
        let c = codeset.lowercased()
        return c == "utf-8" || c == "utf8"
    }
}
