import ClusterModel

/// The methods view (`m`): one row per method with its calls/s, and over the last 30–60 s its
/// error share, how its calls ended, p50 and p99, and a calls/s sparkline, worst first (error rate, then p99); and, for one
/// method (Enter), the same per node: which nodes fail it, and how.
struct MethodsWidget {
    var snapshot: ClusterSnapshot
    /// The selected row (`.methods`) or the method shown (`.method`).
    var view: DashboardState.View
    var filter: String

    /// The methods shown, worst first: error rate, then p99, then name.
    static func rows(_ snapshot: ClusterSnapshot, filter: String) -> [MethodSnapshot] {
        let needle = filter.trimmed.lowercased()
        return snapshot.methods.filter { needle.isEmpty || $0.name.lowercased().contains(needle) }.sorted {
            worse(($0.outcomes, $0.latencyP99, $0.name), than: ($1.outcomes, $1.latencyP99, $1.name))
        }
    }

    /// The one worst-first order of methods and of a method's nodes: error rate, then p99, then
    /// name.
    static func worse(_ a: (outcomes: MethodOutcomes, p99: Double?, name: String), than b: (outcomes: MethodOutcomes, p99: Double?, name: String)) -> Bool {
        if a.outcomes.errorRate != b.outcomes.errorRate { return a.outcomes.errorRate > b.outcomes.errorRate }
        if (a.p99 ?? -1) != (b.p99 ?? -1) { return (a.p99 ?? -1) > (b.p99 ?? -1) }
        return NodeColumn.naturalLess(a.name, b.name)
    }

    /// "  TApplicationException: INTERNAL_ERROR 6, …", most frequent first; nil without any.
    static func exceptionLine(_ outcomes: MethodOutcomes) -> Line? {
        guard !outcomes.applicationException.isEmpty else { return nil }
        let kinds = outcomes.applicationException.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        return Line("  TApplicationException: " + kinds.joined(separator: ", "), .error)
    }

    /// The row of the method `name` in `rows`; the first row when it is nil or not there.
    static func selectedRow(_ name: String?, in rows: [MethodSnapshot]) -> Int {
        name.flatMap { name in rows.firstIndex { $0.name == name } } ?? 0
    }

    func render(_ area: Rect, into screen: inout Screen) {
        guard area.height > 2 else { return }
        switch view {
        case let .methods(selected): renderList(area, selected: Self.selectedRow(selected, in: Self.rows(snapshot, filter: filter)), into: &screen)
        case let .method(name): renderMethod(name, area, into: &screen)
        default: break
        }
    }

    /// "12.5%" of the counted calls, or "-" without any.
    static func share(_ n: Int, of outcomes: MethodOutcomes) -> String {
        outcomes.counted > 0 ? Format.percent(Double(n) / Double(outcomes.counted)) : "-"
    }

    /// The figures' columns: a heading and a width each (right-aligned, a space before).
    static let columns: [(title: String, width: Int)] = [
        ("CALLS/S", 8), ("ERR%", 7), ("OK%", 7), ("DECL%", 7), ("APPX%", 7), ("TIME%", 7), ("TRNS%", 7), ("REFU%", 7), ("P50", 7), ("P99", 7),
    ]
    static let nameWidth = 32
    /// The calls/s sparkline: one bar a second.
    static let sparklineSeconds = 30

    /// The name column at a screen `width`: up to 32, down to 12 when the figures need the room.
    static func nameWidth(_ width: Int) -> Int {
        min(nameWidth, max(12, width - columns.reduce(0) { $0 + $1.width }))
    }

    /// The headings, with `first` over the names and, for the list, the sparkline's.
    static func headings(_ first: String, sparkline: Bool, width: Int) -> String {
        Box.pad(first, nameWidth(width)) + columns.map { Box.pad($0.title, $0.width, right: true) }.joined()
            + (sparkline ? " CALLS/S, LAST \(sparklineSeconds) s" : "")
    }

    private func renderList(_ area: Rect, selected: Int, into screen: inout Screen) {
        let rows = Self.rows(snapshot, filter: filter)
        var title = [Line("Methods \(rows.count)/\(snapshot.methods.count)", .title, bold: true), Line("worst first", .dim)]
        if !filter.isEmpty { title.append(Line([Span("filter ", .dim), Span("\"\(filter)\"", .notice)])) }
        title.append(Line("shares and latency of the last 30–60 s · Enter per node · m or Esc back", .dim))
        Box.rule(area.row(0), segments: title, role: .borderFocused, into: &screen)
        screen.fill(area.row(1), with: Cell(" ", style: CellStyle(.columnHeader)))
        screen.put(Self.headings("METHOD", sparkline: true, width: area.width), x: area.x, y: area.y + 1, maxWidth: area.width, style: CellStyle(.columnHeader))
        guard !rows.isEmpty else {
            let text = snapshot.methods.isEmpty ? "no calls through the balancer yet" : "no method matches \"\(filter)\" (Esc clears the filter)"
            screen.put(text, x: area.x + 1, y: area.y + 2, maxWidth: area.width - 1, style: CellStyle(.dim))
            return
        }
        let visible = area.height - 2
        let offset = min(max(0, selected - visible + 1), max(0, rows.count - visible))
        for line in 0 ..< visible where offset + line < rows.count {
            let index = offset + line
            let method = rows[index]
            var spans = figures(name: method.name, method.outcomes, p50: method.latencyP50, p99: method.latencyP99, rate: method.callsPerSecond,
                                width: area.width)
            spans.append(Span(" " + Sparkline.text(method.recentRates, width: Self.sparklineSeconds), .sparkline))
            var text = Line(spans)
            if index == selected { text = Line(text.spans.map { var s = $0; s.style.highlighted = true; return s }) }
            if index == selected { screen.fill(area.row(2 + line), with: Cell(" ", style: CellStyle.plain.onSelection)) }
            screen.put(text, x: area.x, y: area.y + 2 + line, maxWidth: area.width)
        }
    }

    /// One row's figures: name, rate, error share and each outcome's share, p50, p99.
    private func figures(name: String, _ o: MethodOutcomes, p50: Double?, p99: Double?, rate: Double?, width: Int) -> [Span] {
        let error = o.errorRate
        let cells: [(String, ThemeRole)] = [
            (rate.map(Format.rate) ?? Format.count(o.total), .text),
            (o.counted > 0 ? Format.percent(error) : "-", error > 0.01 ? .error : error > 0 ? .warning : .text),
            (Self.share(o.success, of: o), .text),
            (Self.share(o.declaredException, of: o), .text),
            (Self.share(o.applicationExceptions, of: o), o.applicationExceptions > 0 ? .error : .text),
            (Self.share(o.timeout, of: o), o.timeout > 0 ? .error : .text),
            (Self.share(o.transport, of: o), o.transport > 0 ? .error : .text),
            (Self.share(o.refused, of: o), o.refused > 0 ? .error : .text),
            (Format.millis(p50), .text),
            (Format.millis(p99), .text),
        ]
        let nameWidth = Self.nameWidth(width)
        return [Span(Box.pad(Box.clip(name, nameWidth - 1), nameWidth), .text, bold: true)]
            + zip(cells, Self.columns).map { cell, column in Span(Box.pad(cell.0, column.width, right: true), cell.1) }
    }

    private func renderMethod(_ name: String, _ area: Rect, into screen: inout Screen) {
        Box.rule(area.row(0), segments: [Line([Span("Method ", .title), Span(name, .title, bold: true)]), Line("per node, worst first · Esc back", .dim)],
                 role: .borderFocused, into: &screen)
        guard let method = snapshot.methods.first(where: { $0.name == name }) else {
            screen.put("\(name) has no calls in this snapshot.", x: area.x + 1, y: area.y + 1, maxWidth: area.width - 1, style: CellStyle(.warning))
            return
        }
        var lines: [Line] = [Line(figures(name: "all nodes", method.outcomes, p50: method.latencyP50, p99: method.latencyP99, rate: method.callsPerSecond,
                                          width: area.width))]
        if let line = Self.exceptionLine(method.outcomes) { lines.append(line) }
        lines.append(Line())
        lines.append(Line(Self.headings("NODE (attempts there)", sparkline: false, width: area.width).replacingOccurrences(of: "CALLS/S", with: "  CALLS"), .columnHeader))
        let nodes = method.nodes.sorted { Self.worse(($0.outcomes, $0.latencyP99, $0.node), than: ($1.outcomes, $1.latencyP99, $1.node)) }
        for node in nodes {
            lines.append(Line(figures(name: node.node, node.outcomes, p50: node.latencyP50, p99: node.latencyP99, rate: nil, width: area.width)))
            if let line = Self.exceptionLine(node.outcomes) { lines.append(line) }
        }
        for (i, line) in lines.enumerated() where i + 1 < area.height {
            screen.put(line, x: area.x, y: area.y + 1 + i, maxWidth: area.width)
        }
    }
}
