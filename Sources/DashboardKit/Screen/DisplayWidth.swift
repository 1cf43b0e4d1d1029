/// How many terminal columns a character occupies: 0, 1 or 2.
///
/// The backend draws with ncurses, which asks the C library's `wcwidth`; the Screen must agree
/// with it or every cell after a wide character lands one column off. Exact agreement for every
/// code point is impossible without the C tables, so this covers what thrifttop can meet: CJK and
/// Hangul (wide), emoji with emoji presentation (wide), combining marks and zero-width joiners
/// (zero), and everything else one column. The node-state glyphs (●◐◔◌◍✖) and box and block
/// characters are one column, as in glibc.
public enum DisplayWidth {
    /// The columns `character` takes; control characters count as one because the Screen replaces
    /// them with a visible stand-in rather than letting them reach the terminal.
    public static func of(_ character: Character) -> Int {
        let scalars = character.unicodeScalars
        guard let first = scalars.first else { return 0 }
        // An emoji presentation selector (VS16) turns a text symbol into a wide emoji.
        if scalars.count > 1, scalars.contains(where: { $0.value == 0xFE0F }) { return 2 }
        return of(first)
    }

    /// The columns of a whole string, as the Screen would lay it out.
    public static func of(_ text: some StringProtocol) -> Int {
        // Printable ASCII, nearly every name and number, is one column a byte: skip grapheme
        // breaking, which costs far more than the table lookup (1,000-node tables measure this).
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text.utf8.count }
        return text.reduce(0) { $0 + of($1) }
    }

    static func of(_ scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v < 0x300 { return 1 }  // ASCII and Latin, the common case, before any table lookup
        // Box drawing, blocks and geometric shapes (rules, sparklines, state glyphs) are drawn
        // every frame; all are narrow but two emoji squares.
        if (0x2500...0x25FF).contains(v) { return v == 0x25FD || v == 0x25FE ? 2 : 1 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if v == 0x200B || (0x1160...0x11FF).contains(v) { return 0 }
        if scalar.properties.isEmojiPresentation { return 2 }
        for range in wideRanges where range.contains(v) { return 2 }
        return 1
    }

    /// East Asian Wide and Fullwidth blocks (Unicode 15, coalesced to blocks).
    private static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x2329...0x232A, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF,
        0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF,
        0xFE10...0xFE19, 0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
        0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
    ]
}
