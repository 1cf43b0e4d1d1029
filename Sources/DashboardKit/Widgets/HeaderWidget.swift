import ClusterPool

/// The two header rows: who and when (cluster, balancer, markers, UTC wall time), then how the
/// cluster is (nodes per state, availability, calls/s, retries/s).
struct HeaderWidget {
    var snapshot: ClusterSnapshot
    var paused: Bool
    var readOnly: Bool

    /// The order states are counted in: healthy first, as one reads left to right.
    static let healthOrder: [NodeHealth] = [.up, .degraded, .starting, .draining, .suspect, .down, .unknown]

    func render(_ area: Rect, into screen: inout Screen) {
        guard !area.isEmpty else { return }
        let bar = CellStyle(.header)
        screen.fill(area.row(0), with: Cell(" ", style: bar))

        var right: [Span] = []
        if snapshot.panicMode { right += [Span(" PANIC: all nodes take traffic ", .panic), Span(" ", bar)] }
        if paused { right += [Span(" PAUSED ", .paused), Span(" ", bar)] }
        if readOnly { right += [Span("read-only ", bar)] }
        right.append(Span("\(Format.clock(snapshot.wallTime)) UTC ", bar))
        let rightLine = Line(right)
        let rightWidth = min(rightLine.width, area.width)
        let left = Line([Span(" thrifttop", CellStyle(.header, bold: true)), Span(" │ \(snapshot.clusterName) │ \(snapshot.balancer)", bar)])
        screen.put(left, x: area.x, y: area.y, maxWidth: max(0, area.width - rightWidth - 1))
        screen.put(rightLine, x: area.maxX - rightWidth, y: area.y, maxWidth: rightWidth)

        guard area.height > 1 else { return }
        screen.put(summary, x: area.x, y: area.y + 1, maxWidth: area.width)
    }

    private var summary: Line {
        let counts = snapshot.countsByHealth
        var spans: [Span] = [Span(" ")]
        for health in Self.healthOrder {
            let n = counts[health] ?? 0
            guard n > 0 || health == .up || health == .down else { continue }
            spans.append(Span("\(health.glyph) \(n) \(health.rawValue)", n > 0 ? .health(health) : .dim))
            spans.append(Span("  "))
        }
        spans.append(Span("│ ", .border))
        spans.append(Span("avail ", .dim))
        spans.append(Span(Format.percent(snapshot.availability, digits: 4), snapshot.availability < 0.999 ? .warning : .text, bold: true))
        spans.append(Span("  calls ", .dim))
        spans.append(Span("\(Format.rate(snapshot.callsPerSecond))/s"))
        spans.append(Span("  retries ", .dim))
        let retryShare = snapshot.callsPerSecond > 0 ? snapshot.retriesPerSecond / snapshot.callsPerSecond : 0
        spans.append(Span("\(Format.rate(snapshot.retriesPerSecond))/s (\(Format.percent(retryShare)))", snapshot.retriesPerSecond > 0 ? .warning : .text))
        return Line(spans)
    }
}
