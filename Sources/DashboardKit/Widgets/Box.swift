/// Frames and title rules, the few line-drawing shapes the widgets share.
enum Box {
    /// A framed box: border in `role`, inside filled with `fill`, `title` set into the top edge.
    static func draw(_ rect: Rect, title: Line?, role: ThemeRole, fill: ThemeRole, into screen: inout Screen) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        screen.fill(rect, with: Cell(" ", style: CellStyle(fill)))
        let style = CellStyle(role)
        let horizontal = String(repeating: "─", count: rect.width - 2)
        screen.put("┌" + horizontal + "┐", x: rect.x, y: rect.y, style: style)
        screen.put("└" + horizontal + "┘", x: rect.x, y: rect.maxY - 1, style: style)
        for y in rect.y + 1..<rect.maxY - 1 {
            screen.put("│", x: rect.x, y: y, style: style)
            screen.put("│", x: rect.maxX - 1, y: y, style: style)
        }
        if let title {
            screen.put(Line([Span(" ", style)]) + title + Line([Span(" ", style)]), x: rect.x + 2, y: rect.y, maxWidth: rect.width - 4)
        }
    }

    /// A one-row rule with segments set into it: `─ Nodes 8/10 ─ sort P99 ▼ ─────`.
    static func rule(_ row: Rect, segments: [Line], role: ThemeRole, into screen: inout Screen) {
        guard !row.isEmpty else { return }
        let style = CellStyle(role)
        screen.put(String(repeating: "─", count: row.width), x: row.x, y: row.y, style: style)
        var x = row.x + 1
        for segment in segments where x < row.maxX - 1 {
            x += screen.put(Line([Span(" ", style)]) + segment + Line([Span(" ", style)]), x: x, y: row.y, maxWidth: row.maxX - x)
            x += 1
        }
    }

    /// `text` padded with blanks or clipped to exactly `width` columns, aligned left or right.
    /// Longer text is cut with an ellipsis, so a cut is never mistaken for the whole value.
    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let w = DisplayWidth.of(text)
        if w > width { return clip(text, width) }
        guard w < width else { return text }
        let blanks = String(repeating: " ", count: width - w)
        return right ? blanks + text : text + blanks
    }

    /// `text` cut to at most `width` columns, ending in "…" when anything was cut.
    static func clip(_ text: String, _ width: Int) -> String {
        guard width > 0 else { return "" }
        guard DisplayWidth.of(text) > width else { return text }
        var out = ""
        var used = 0
        for character in text {
            let w = DisplayWidth.of(character)
            if used + w > width - 1 { break }
            out.append(character)
            used += w
        }
        return out + String(repeating: " ", count: width - 1 - used) + "…"
    }
}
