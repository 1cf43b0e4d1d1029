import ClusterModel

/// The event log pane: newest first, one event a row (time, severity word, node, message),
/// coloured by severity, optionally only warnings and errors and/or only the selected node.
struct EventLogWidget {
    var entries: [PoolEvent]
    var totalCount: Int
    var state: DashboardState

    /// The events the pane lists, newest first, after its filters.
    static func entries(_ snapshot: ClusterSnapshot, _ state: DashboardState, selectedNode: String?) -> [PoolEvent] {
        snapshot.events.reversed().filter { event in
            if state.log.errorsOnly && event.severity < .warning { return false }
            if state.log.selectedNodeOnly && event.node != selectedNode { return false }
            return true
        }
    }

    /// The severity as a word of four letters: colour is never the only signal.
    static func label(_ severity: EventSeverity) -> String {
        switch severity {
        case .info: "info"
        case .notice: "note"
        case .warning: "WARN"
        case .error: "ERR!"
        }
    }

    func render(title titleRow: Rect, body: Rect, into screen: inout Screen) {
        let focused = state.focus == .events && state.view == .main
        var segments = [Line([Span("Events", .title, bold: true), Span(" \(entries.count)/\(totalCount)", .text)])]
        if state.log.errorsOnly { segments.append(Line("warnings+errors", .warning)) }
        if state.log.selectedNodeOnly { segments.append(Line("node \(state.selectedNode ?? "-")", .notice)) }
        if state.log.offset > 0 { segments.append(Line("↑ \(state.log.offset) newer", .dim)) }
        Box.rule(titleRow, segments: segments, role: focused ? .borderFocused : .border, into: &screen)

        guard !entries.isEmpty else {
            screen.put(totalCount == 0 ? "no events yet" : "no event matches the log filters (e, f)", x: body.x + 1, y: body.y, maxWidth: body.width - 1, style: CellStyle(.dim))
            return
        }
        let nodeWidth = min(14, max(7, entries.map { DisplayWidth.of($0.node ?? "cluster") }.max() ?? 7))
        for line in 0..<body.height {
            let index = state.log.offset + line
            guard index < entries.count else { break }
            let event = entries[index]
            let role = ThemeRole.severity(event.severity)
            screen.put(Self.line(event, nodeWidth: nodeWidth, role: role), x: body.x, y: body.y + line, maxWidth: body.width)
        }
    }

    static func line(_ event: PoolEvent, nodeWidth: Int, role: ThemeRole) -> Line {
        Line([
            Span(Format.clock(event.time) + " ", .dim),
            Span(label(event.severity) + " ", role, bold: event.severity == .error),
            Span(Box.pad(event.node ?? "cluster", nodeWidth) + " ", event.node == nil ? .dim : .text),
            Span(event.message, event.severity >= .warning ? role : .text),
        ])
    }
}
