/// A rectangle of styled cells that widgets render into and a backend blits: the dashboard's
/// whole output for one frame, comparable and printable, so every screen is testable as text.
///
/// Writing never wraps: text stops at the edge of the area it was given. A wide character takes
/// two cells (its head and a continuation); overwriting either half blanks the other, so a
/// half-erased wide character never leaves the terminal and the Screen disagreeing about columns.
public struct Screen: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int, fill: Cell = .blank) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: fill, count: self.width * self.height)
    }

    public var area: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        cells[y * width + x]
    }

    /// Sets one cell, keeping wide characters whole: the other half of a wide character that is
    /// partly overwritten becomes a blank in its old style.
    public mutating func set(_ cell: Cell, x: Int, y: Int) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = y * width + x
        if cells[i].isContinuation, x > 0 {
            cells[i - 1] = Cell(" ", style: cells[i - 1].style)
        }
        if x + 1 < width, cells[i + 1].isContinuation {
            cells[i + 1] = Cell(" ", style: cells[i + 1].style)
        }
        cells[i] = cell
    }

    /// Writes `text` from (x, y), clipped at `maxWidth` columns and the screen edge; returns the
    /// columns used. A wide character that does not fit is replaced by a blank, never split.
    /// Control characters become "�" so that nothing reaching the terminal can move its cursor.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, maxWidth: Int? = nil, style: CellStyle = .plain) -> Int {
        guard y >= 0, y < height else { return 0 }
        let limit = min(width, maxWidth.map { x + max(0, $0) } ?? width)
        var column = x
        for character in text {
            let shown = Self.isControl(character) ? "\u{FFFD}" : character
            let w = DisplayWidth.of(shown)
            if w == 0 { continue }
            if column + w > limit {
                if column < limit, column >= 0 { set(Cell(" ", style: style), x: column, y: y) }
                column = limit
                break
            }
            if column >= 0 {
                set(Cell(String(shown), style: style), x: column, y: y)
                if w == 2 { setContinuation(x: column + 1, y: y, style: style) }
            }
            column += w
        }
        return max(0, column - x)
    }

    /// Writes spans one after another from (x, y), clipped at `maxWidth`; returns the columns used.
    @discardableResult
    public mutating func put(_ line: Line, x: Int, y: Int, maxWidth: Int? = nil) -> Int {
        let limit = maxWidth ?? (width - x)
        var used = 0
        for span in line.spans where used < limit {
            used += put(span.text, x: x + used, y: y, maxWidth: limit - used, style: span.style)
        }
        return used
    }

    /// Fills `rect` with `cell` (blank by default): widgets clear their area before drawing.
    public mutating func fill(_ rect: Rect, with cell: Cell = .blank) {
        for y in max(0, rect.y)..<min(height, rect.maxY) {
            for x in max(0, rect.x)..<min(width, rect.maxX) { set(cell, x: x, y: y) }
        }
    }

    /// Draws what is in `rect` in `role` (colours only; text and attributes stay): how figures
    /// that are no longer live are greyed.
    public mutating func restyle(_ rect: Rect, role: ThemeRole) {
        for y in max(0, rect.y)..<min(height, rect.maxY) {
            for x in max(0, rect.x)..<min(width, rect.maxX) { cells[y * width + x].style.role = role }
        }
    }

    /// The rows as plain text (a wide character once, its continuation nothing), for tests and
    /// text captures.
    public var rows: [String] {
        (0..<height).map { y in
            var row = ""
            for x in 0..<width { row += cells[y * width + x].text }
            return row
        }
    }

    /// The whole screen framed, for a failing test's message: every row between bars, so trailing
    /// blanks are visible.
    public var debugText: String {
        rows.map { "│\($0)│" }.joined(separator: "\n")
    }

    private mutating func setContinuation(x: Int, y: Int, style: CellStyle) {
        guard x < width else { return }
        let i = y * width + x
        if x + 1 < width, cells[i + 1].isContinuation {
            cells[i + 1] = Cell(" ", style: cells[i + 1].style)
        }
        cells[i] = Cell("", style: style)
    }

    private static func isControl(_ character: Character) -> Bool {
        guard let v = character.unicodeScalars.first?.value else { return false }
        return v < 0x20 || (0x7F...0x9F).contains(v)
    }
}
