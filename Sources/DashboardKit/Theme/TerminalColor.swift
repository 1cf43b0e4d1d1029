/// A colour as a theme names it: the terminal's default, or an xterm palette index 0…255.
///
/// Names map to the first 16 indexes ("red" = 1, "bright-red" = 9); "#rrggbb" maps to the nearest
/// index of the xterm 256-colour palette, because curses draws palette indexes, not RGB.
public enum TerminalColor: Sendable, Hashable, CustomStringConvertible {
    case `default`
    case indexed(Int)

    public static let names = [
        "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
        "bright-black", "bright-red", "bright-green", "bright-yellow",
        "bright-blue", "bright-magenta", "bright-cyan", "bright-white",
    ]

    /// Parses a name, "default", "#rrggbb" or a decimal index given as text; nil if it is none.
    public init?(name: String) {
        let lower = name.lowercased()
        if lower == "default" || lower == "none" {
            self = .default
        } else if let index = Self.names.firstIndex(of: lower) {
            self = .indexed(index)
        } else if lower == "grey" || lower == "gray" {
            self = .indexed(8)
        } else if lower.hasPrefix("#"), lower.count == 7, let rgb = Int(lower.dropFirst(), radix: 16) {
            self = .indexed(Self.nearestIndex(red: rgb >> 16 & 0xFF, green: rgb >> 8 & 0xFF, blue: rgb & 0xFF))
        } else if let index = Int(lower), (0...255).contains(index) {
            self = .indexed(index)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .default: "default"
        case let .indexed(i): i < 16 ? Self.names[i] : String(i)
        }
    }

    /// The colour to use on a terminal with `colorCount` colours: itself when the terminal has it,
    /// else `fallback` (the theme's explicit 8-colour choice), else the nearest of the 8 basic
    /// colours. Below 8 colours there is no colour at all (attributes only).
    public func resolved(colorCount: Int, fallback: TerminalColor? = nil) -> TerminalColor {
        guard case let .indexed(index) = self else { return .default }
        if colorCount < 8 { return .default }
        if index < colorCount && (colorCount >= 256 || index < 16) { return self }
        // The theme's own 8-colour choice, "default" included (no colour on small terminals).
        if let fallback { return fallback.cursesNumber < colorCount ? fallback : .default }
        if index >= 8 && index < 16 { return colorCount >= 16 ? self : .indexed(index - 8) }
        let (r, g, b) = Self.rgb(index)
        return .indexed(Self.nearestBasic(red: r, green: g, blue: b))
    }

    /// The curses colour number: -1 for the terminal's default.
    public var cursesNumber: Int {
        if case let .indexed(i) = self { return i }
        return -1
    }

    // MARK: - the xterm palette

    /// The RGB of an xterm palette index (xterm's own defaults for 0…15).
    public static func rgb(_ index: Int) -> (Int, Int, Int) {
        switch index {
        case 0..<16: return basic16[index]
        case 16..<232:
            let i = index - 16
            return (cubeLevels[i / 36], cubeLevels[i / 6 % 6], cubeLevels[i % 6])
        default:
            let level = 8 + 10 * (min(index, 255) - 232)
            return (level, level, level)
        }
    }

    static func nearestBasic(red: Int, green: Int, blue: Int) -> Int {
        nearest(red, green, blue, in: 0..<8)
    }

    static func nearestIndex(red: Int, green: Int, blue: Int) -> Int {
        // Skip 0…15: terminals redefine them, the cube and grey ramp are stable.
        nearest(red, green, blue, in: 16..<256)
    }

    private static func nearest(_ r: Int, _ g: Int, _ b: Int, in candidates: Range<Int>) -> Int {
        candidates.min { a, b2 in distance(rgb(a), (r, g, b)) < distance(rgb(b2), (r, g, b)) } ?? 7
    }

    private static func distance(_ a: (Int, Int, Int), _ b: (Int, Int, Int)) -> Int {
        let dr = a.0 - b.0, dg = a.1 - b.1, db = a.2 - b.2
        return dr * dr + dg * dg + db * db
    }

    private static let cubeLevels = [0, 95, 135, 175, 215, 255]
    private static let basic16: [(Int, Int, Int)] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
    ]
}
