/// The difference between two frames, as runs of changed cells: what a backend must write so the
/// terminal shows `new`, given it shows `old`. Only changed cells come out (ratatui's habit); a
/// run is cut at every style change and every unchanged cell, so a run is one cursor move and
/// one write.
public enum ScreenDiff {
    /// Adjacent changed cells on one row that share a style.
    public struct Run: Sendable, Equatable {
        public var x: Int
        public var y: Int
        /// The cells' text concatenated (a wide character once).
        public var text: String
        public var style: CellStyle
        /// Columns covered, continuations included.
        public var width: Int

        public init(x: Int, y: Int, text: String, style: CellStyle, width: Int) {
            self.x = x
            self.y = y
            self.text = text
            self.style = style
            self.width = width
        }
    }

    /// The runs that turn `old` into `new`. With no `old`, or one of another size, every cell is
    /// changed (the backend clears and repaints).
    public static func runs(from old: Screen?, to new: Screen) -> [Run] {
        let usable = old.flatMap { $0.width == new.width && $0.height == new.height ? $0 : nil }
        var runs: [Run] = []
        for y in 0..<new.height {
            var x = 0
            while x < new.width {
                guard changed(usable, new, x, y) else {
                    x += 1
                    continue
                }
                // A run must start on a head, never on the right half of a wide character.
                let start = (new[x, y].isContinuation && x > 0) ? x - 1 : x
                if let last = runs.last, last.y == y, last.x + last.width > start {
                    x += 1
                    continue
                }
                let style = new[start, y].style
                var end = start
                var text = ""
                while end < new.width, new[end, y].style == style, end == start || new[end, y].isContinuation || changed(usable, new, end, y) {
                    text += new[end, y].text
                    end += 1
                }
                runs.append(Run(x: start, y: y, text: text, style: style, width: end - start))
                x = end
            }
        }
        return runs
    }

    private static func changed(_ old: Screen?, _ new: Screen, _ x: Int, _ y: Int) -> Bool {
        guard let old else { return true }
        if old[x, y] != new[x, y] { return true }
        // The head of a wide character whose right half changed must be rewritten with it.
        return x + 1 < new.width && new[x + 1, y].isContinuation && old[x + 1, y] != new[x + 1, y]
    }
}
