import ClusterModel

/// The replay's row above the header: playing or paused and the speed, then the recording from
/// its first to its last moment, a cell a slice of time — ┃ where a node changed state, ◆ where
/// an operator acted, ● where the replay is — so the moments worth seeing are seen before they
/// are played.
///
///     ▶ ×4  14:00:05 ───┃──◆──●─────────────┃────── 15:00:00  ' " jump
struct TimelineWidget {
    var playback: ReplayPlayback

    /// Where the track lies in a row `width` wide: after the mode and the start time (ten
    /// columns each), before the end time and the hint (ten each). Nil: too narrow for one.
    static func track(width: Int) -> Range<Int>? {
        let range = 20..<(width - 20)
        return range.count >= 10 ? range : nil
    }

    /// The recorded moment of the track's column `x` (a click there goes to it).
    static func time(atColumn x: Int, width: Int, _ playback: ReplayPlayback) -> Double? {
        guard let track = track(width: width), track.contains(x) else { return nil }
        return playback.start + (playback.end - playback.start) * (Double(x - track.lowerBound) + 0.5) / Double(track.count)
    }

    func render(_ area: Rect, into screen: inout Screen) {
        guard !area.isEmpty else { return }
        let row = area.row(0)
        screen.fill(row, with: Cell(" ", style: CellStyle(.header)))
        // As wide playing as paused, so the track does not shift when the key is pressed.
        let mode = playback.paused ? Span(" ⏸ paused ", .paused, bold: true) : Span(Box.pad(" ▶ ×\(playback.speed)", 10), .header, bold: true)
        screen.put(Line([mode, Span(" \(Format.clock(playback.start)) ", .header)]), x: row.x, y: row.y, maxWidth: row.width)
        guard let track = Self.track(width: row.width) else { return }
        for (i, cell) in Self.cells(playback, width: track.count).enumerated() {
            screen.put(cell.text, x: row.x + track.lowerBound + i, y: row.y, style: cell.style)
        }
        let tail = Line([Span(" \(Format.clock(playback.end)) ", .header), Span(" ' \" jump ", .dim)])
        screen.put(tail, x: row.x + track.upperBound, y: row.y, maxWidth: row.maxX - row.x - track.upperBound)
    }

    /// The track's cells: a mark in the cell of its moment (an operator action over a state
    /// change), the replay's place over both.
    static func cells(_ playback: ReplayPlayback, width: Int) -> [Span] {
        let span = max(playback.end - playback.start, 1)
        func column(_ time: Double) -> Int { min(width - 1, max(0, Int((time - playback.start) / span * Double(width)))) }
        var cells = [Span](repeating: Span("─", .dim), count: width)
        for mark in playback.marks where mark.time >= playback.start - 1 && mark.time <= playback.end + 1 {
            let i = column(mark.time)
            switch mark.kind {
            case .operatorAction: cells[i] = Span("◆", .notice, bold: true)
            case .stateChange where cells[i].text != "◆": cells[i] = Span("┃", .warning, bold: true)
            case .stateChange: break
            }
        }
        cells[column(playback.at)] = Span("●", .selected, bold: true)
        return cells
    }
}
