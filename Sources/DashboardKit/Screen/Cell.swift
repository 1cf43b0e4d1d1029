/// One character cell of a `Screen`: what to draw and its style.
///
/// A wide character (CJK, emoji) is stored in its first cell; the cell to its right is a
/// *continuation* (empty text) so that column arithmetic stays simple and the backend knows to
/// draw nothing there.
public struct Cell: Sendable, Hashable {
    /// One grapheme, or "" for the right half of a wide character.
    public var text: String
    public var style: CellStyle

    public init(_ text: String = " ", style: CellStyle = .plain) {
        self.text = text
        self.style = style
    }

    public static let blank = Cell()

    /// The right half of a wide character: the terminal draws nothing here.
    public var isContinuation: Bool { text.isEmpty }
}

/// The style of a cell. Colours are theme roles, resolved to terminal colours by the backend, so
/// a Screen is the same whatever the theme or the terminal's colour depth.
public struct CellStyle: Sendable, Hashable {
    public var role: ThemeRole
    public var bold: Bool
    public var reverse: Bool
    public var underline: Bool
    /// On the selection bar: the backend draws the role's foreground on the `selected` background.
    public var highlighted: Bool

    public init(
        _ role: ThemeRole = .text, bold: Bool = false, reverse: Bool = false, underline: Bool = false,
        highlighted: Bool = false
    ) {
        self.role = role
        self.bold = bold
        self.reverse = reverse
        self.underline = underline
        self.highlighted = highlighted
    }

    public static let plain = CellStyle()

    /// The same style on the selection bar.
    public var onSelection: CellStyle {
        var copy = self
        copy.highlighted = true
        return copy
    }
}

/// A run of text in one style, the unit widgets compose lines from.
public struct Span: Sendable, Equatable {
    public var text: String
    public var style: CellStyle

    public init(_ text: String, _ style: CellStyle = .plain) {
        self.text = text
        self.style = style
    }

    public init(_ text: String, _ role: ThemeRole, bold: Bool = false) {
        self.init(text, CellStyle(role, bold: bold))
    }

    public var width: Int { DisplayWidth.of(text) }
}

/// A line of spans; widgets build text content (detail view, help) as lines, then place them.
public struct Line: Sendable, Equatable {
    public var spans: [Span]

    public init(_ spans: [Span] = []) { self.spans = spans }
    public init(_ text: String, _ role: ThemeRole = .text, bold: Bool = false) {
        spans = [Span(text, role, bold: bold)]
    }

    public var width: Int { spans.reduce(0) { $0 + $1.width } }
    public var text: String { spans.map(\.text).joined() }

    public static func + (a: Line, b: Line) -> Line { Line(a.spans + b.spans) }
}
