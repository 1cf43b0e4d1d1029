/// How one theme role looks: colours for 256-colour terminals, optional explicit choices for
/// 8-colour ones, and attributes. Attributes are what a monochrome theme (and `NO_COLOR`) has
/// left, so every role that matters has one there.
public struct RoleStyle: Sendable, Hashable {
    public var foreground: TerminalColor
    public var background: TerminalColor
    public var foreground8: TerminalColor?
    public var background8: TerminalColor?
    public var bold: Bool
    public var reverse: Bool
    public var underline: Bool
    public var dim: Bool

    public init(
        foreground: TerminalColor = .default, background: TerminalColor = .default,
        foreground8: TerminalColor? = nil, background8: TerminalColor? = nil,
        bold: Bool = false, reverse: Bool = false, underline: Bool = false, dim: Bool = false
    ) {
        self.foreground = foreground
        self.background = background
        self.foreground8 = foreground8
        self.background8 = background8
        self.bold = bold
        self.reverse = reverse
        self.underline = underline
        self.dim = dim
    }

    /// Foreground and background for a terminal with `colorCount` colours (see
    /// `TerminalColor.resolved`).
    public func colors(colorCount: Int) -> (foreground: TerminalColor, background: TerminalColor) {
        (
            foreground.resolved(colorCount: colorCount, fallback: foreground8),
            background.resolved(colorCount: colorCount, fallback: background8)
        )
    }
}
