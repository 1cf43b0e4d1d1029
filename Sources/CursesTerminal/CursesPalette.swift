import CNcurses
import DashboardKit

/// Theme styles as curses attributes and colour pairs. Pairs are made on first use, one per
/// distinct (foreground, background) after the 256 → 16 → 8 fallback for this terminal's
/// `COLORS`, and cached with the attributes per cell style, so a frame costs dictionary lookups.
struct CursesPalette {
    private let theme: Theme
    private let colorCount: Int
    private let pairLimit: Int
    private var pairs: [PairKey: Int16] = [:]
    private var cache: [CellStyle: (attr_t, Int16)] = [:]

    private struct PairKey: Hashable {
        var foreground: Int
        var background: Int
    }

    init(theme: Theme, colorCount: Int, pairLimit: Int) {
        self.theme = theme
        self.colorCount = colorCount
        self.pairLimit = pairLimit
    }

    mutating func attributes(_ style: CellStyle) -> (attr_t, Int16) {
        if let known = cache[style] { return known }
        let resolved = theme.resolve(style)
        var attributes = tt_a_normal()
        if resolved.bold { attributes |= tt_a_bold() }
        if resolved.reverse { attributes |= tt_a_reverse() }
        if resolved.underline { attributes |= tt_a_underline() }
        if resolved.dim { attributes |= tt_a_dim() }
        let (fg, bg) = resolved.colors(colorCount: colorCount)
        let pair = self.pair(PairKey(foreground: fg.cursesNumber, background: bg.cursesNumber))
        cache[style] = (attributes, pair)
        return (attributes, pair)
    }

    private mutating func pair(_ key: PairKey) -> Int16 {
        if key.foreground < 0 && key.background < 0 { return 0 }  // pair 0: the terminal's own colours
        if let known = pairs[key] { return known }
        let number = pairs.count + 1
        guard number < min(pairLimit, Int(Int16.max)) else { return 0 }
        init_pair(Int16(number), Int16(key.foreground), Int16(key.background))
        pairs[key] = Int16(number)
        return Int16(number)
    }
}
