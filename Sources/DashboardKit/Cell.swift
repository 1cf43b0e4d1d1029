/// One character cell of a `Screen`: what to draw and its style. The dashboard's widgets arrive
/// with the dashboard issue; they render into this buffer, never into a terminal.
public struct Cell: Sendable, Equatable {
    public var text: String
    public var style: CellStyle

    public init(_ text: String = " ", style: CellStyle = .plain) {
        self.text = text
        self.style = style
    }
}

/// The style of a cell; colours are theme roles, resolved to terminal colours by the backend.
public struct CellStyle: Sendable, Equatable {
    public var role: String
    public var bold: Bool
    public var reverse: Bool

    public init(role: String = "text", bold: Bool = false, reverse: Bool = false) {
        self.role = role
        self.bold = bold
        self.reverse = reverse
    }

    public static let plain = CellStyle()
}

/// A rectangle of cells that widgets render into and a backend blits.
public struct Screen: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: Cell(), count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            cells[y * width + x] = newValue
        }
    }

    /// Writes `text` from (x, y), one character a cell, clipped at `maxWidth` and the screen edge.
    public mutating func put(_ text: String, x: Int, y: Int, maxWidth: Int? = nil, style: CellStyle = .plain) {
        let limit = min(width, x + (maxWidth ?? width))
        var column = x
        for character in text {
            guard column < limit else { break }
            self[column, y] = Cell(String(character), style: style)
            column += 1
        }
    }

    /// The rows as plain text, for tests and text captures.
    public var rows: [String] {
        (0..<height).map { y in (0..<width).map { self[$0, y].text }.joined() }
    }
}
