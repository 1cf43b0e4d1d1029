import ClusterModel

/// Several clusters on one screen (`thrifttop attach` to several daemons), and figures that are
/// not live: the selected cluster is drawn as any other, under a bar with a line per cluster;
/// a cluster whose daemon went away keeps its last figures, greyed, under a line saying since
/// when, so a stale screen is never taken for a live one.
extension Dashboard {
    /// The frame for the selected feed of `feeds`.
    public static func render(feeds: [ClusterFeed], _ state: DashboardState, width: Int, height: Int) -> Screen {
        frame(selected(feeds, state), bar: feeds, state, width: width, height: height)
    }

    /// Folds new feeds into the state: the cluster names for the bar and the selected cluster's
    /// snapshot as `update(state:snapshot:)` does. The selection stays on its cluster by name.
    public static func update(state: inout DashboardState, feeds: [ClusterFeed]) {
        let names = feeds.map(\.name)
        if names != state.clusters.names {
            let current = state.clusters.names.indices.contains(state.clusters.selected) ? state.clusters.names[state.clusters.selected] : nil
            state.clusters.names = names
            if let current, let i = names.firstIndex(of: current) { state.clusters.selected = i }
            state.clusters.selected = min(max(0, state.clusters.selected), max(0, names.count - 1))
        }
        let feed = selected(feeds, state)
        state.operatorName = feed.operatorName
        update(state: &state, snapshot: feed.snapshot)
    }

    /// The feed the state shows.
    public static func selected(_ feeds: [ClusterFeed], _ state: DashboardState) -> ClusterFeed {
        guard !feeds.isEmpty else { return .none }
        return feeds[min(max(0, state.clusters.selected), feeds.count - 1)]
    }

    /// `1`…`9`, `[` and `]`: switch cluster (only when there are several). Nil: not such a key.
    static func handleClusterKey(_ key: Key, _ state: inout DashboardState) -> [DashboardEffect]? {
        guard state.clusters.names.count > 1, case let .character(c) = key else { return nil }
        let count = state.clusters.names.count
        switch c {
        case "[": select(cluster: (state.clusters.selected + count - 1) % count, &state)
        case "]": select(cluster: (state.clusters.selected + 1) % count, &state)
        case "1"..."9":
            let i = Int(String(c))! - 1
            guard i < count else {
                state.status = StatusMessage("there are \(count) clusters: 1–\(min(count, 9)), or [ and ]", .failure)
                return []
            }
            select(cluster: i, &state)
        default: return nil
        }
        return []
    }

    /// `:cluster NAME` (prefix or near miss suggested). Nil: the line is not a cluster command.
    static func clusterCommand(_ text: String, _ state: inout DashboardState) -> Result<Void, OperatorCommandLine.ParseError>? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard words.first?.lowercased() == "cluster" else { return nil }
        guard state.clusters.names.count > 1 else {
            return .failure(.init(message: "only one cluster is attached (thrifttop attach ENDPOINT ENDPOINT… for several)"))
        }
        guard words.count == 2 else { return .failure(.init(message: "cluster NAME: one of \(state.clusters.names.joined(separator: ", "))")) }
        let name = words[1]
        if let i = state.clusters.names.firstIndex(of: name) ?? uniquePrefixMatch(name, state.clusters.names) {
            select(cluster: i, &state)
            return .success(())
        }
        let hint = NameSuggestion.closest(to: name, in: state.clusters.names).map { " (did you mean \"\($0)\"?)" } ?? ""
        return .failure(.init(message: "no cluster named \"\(name)\"\(hint)"))
    }

    private static func uniquePrefixMatch(_ prefix: String, _ names: [String]) -> Int? {
        let matches = names.indices.filter { names[$0].hasPrefix(prefix) }
        return matches.count == 1 ? matches[0] : nil
    }

    /// Another cluster is another table: its own rows from the top, nothing paused or open.
    private static func select(cluster index: Int, _ state: inout DashboardState) {
        guard index != state.clusters.selected else { return }
        state.clusters.selected = index
        state.view = .main
        state.selectedNode = nil
        state.selectedIndex = 0
        state.tableOffset = 0
        state.log.anchor = nil
        state.log.offset = 0
        state.frozen = nil
        state.status = StatusMessage("cluster \(state.clusters.names[index])")
    }
}

extension ClusterFeed {
    /// What is shown with no feed at all.
    static let none = ClusterFeed(snapshot: .empty, link: .connecting)
}

/// The line that replaces the node counts while a cluster's figures are not live.
struct StaleNotice {
    var feed: ClusterFeed
    /// A replay: stale means a stretch of the recording with nothing in it.
    var replay = false

    var text: String {
        let source = feed.source ?? "the pool"
        switch feed.link {
        case .live: return ""
        case .connecting: return " connecting to \(source)…"
        case let .unreachable(since, _, _) where replay:
            return " nothing recorded since \(Format.clock(since.timeIntervalSince1970)) UTC (the recorder stopped, or could not reach its daemon) — figures below are from then"
        case let .unreachable(since, reason, retryAt):
            let retry = retryAt.map { "; next try \(Format.clock($0.timeIntervalSince1970)) UTC" } ?? ""
            let figures = feed.snapshot.nodes.isEmpty ? "" : " — figures below are from then"
            return " daemon unreachable since \(Format.clock(since.timeIntervalSince1970)) UTC: \(reason)\(retry)\(figures)"
        }
    }

    func render(_ row: Rect, into screen: inout Screen) {
        guard !row.isEmpty else { return }
        screen.fill(row, with: Cell(" ", style: CellStyle(.panic)))
        screen.put(text, x: row.x, y: row.y, maxWidth: row.width, style: CellStyle(.panic, bold: true))
    }
}

/// What a feed that never answered shows instead of an empty cluster: "connecting to
/// ENDPOINT: reason", the next try, and what to check.
struct ConnectingNotice {
    var feed: ClusterFeed

    func render(_ area: Rect, into screen: inout Screen) {
        guard !area.isEmpty else { return }
        let source = feed.source ?? "the pool"
        screen.fill(area.row(0), with: Cell(" ", style: CellStyle(.header)))
        screen.put(Line([Span(" thrifttop", .header, bold: true), Span(" │ connecting to \(source)", .header)]), x: area.x, y: area.y, maxWidth: area.width)
        var lines: [Line] = []
        switch feed.link {
        case .live: break
        case .connecting:
            lines.append(Line("connecting to \(source)…", .text))
        case let .unreachable(since, reason, retryAt):
            lines.append(Line([Span("connecting to \(source): ", .text), Span(reason, .error, bold: true)]))
            lines.append(Line("no answer since \(Format.clock(since.timeIntervalSince1970)) UTC" + (retryAt.map { "; next try \(Format.clock($0.timeIntervalSince1970)) UTC" } ?? ""), .dim))
        }
        lines.append(Line())
        lines.append(Line("Is `thrifttop serve` running there with an [admin] endpoint? q quits.", .dim))
        for (i, line) in lines.enumerated() where i + 2 < area.height {
            screen.put(line, x: area.x + 1, y: area.y + 2 + i, maxWidth: area.width - 2)
        }
    }
}

/// One line per cluster: number, name, nodes up of all, availability, calls/s, alerts (nodes
/// down or suspect), and whether its daemon answers. The selected cluster is highlighted.
struct ClusterBarWidget {
    var feeds: [ClusterFeed]
    var selected: Int

    func render(_ area: Rect, into screen: inout Screen) {
        guard !area.isEmpty else { return }
        // With more clusters than rows, the window keeps the selected one in view.
        let first = min(max(0, selected - area.height + 1), max(0, feeds.count - area.height))
        let nameWidth = min(16, feeds.map { DisplayWidth.of($0.name) }.max() ?? 4)
        for row in 0 ..< area.height {
            let index = first + row
            guard index < feeds.count else { break }
            let y = area.y + row
            let isSelected = index == selected
            let base = isSelected ? CellStyle(.selected, bold: true) : CellStyle(.header)
            screen.fill(Rect(x: area.x, y: y, width: area.width, height: 1), with: Cell(" ", style: base))
            screen.put(line(feeds[index], number: index + 1, nameWidth: nameWidth, selected: isSelected), x: area.x, y: y, maxWidth: area.width)
        }
    }

    func line(_ feed: ClusterFeed, number: Int, nameWidth: Int, selected: Bool) -> Line {
        let base: ThemeRole = selected ? .selected : .header
        let key = number <= 9 ? "\(number)" : " "
        var spans = [Span(selected ? "▶" : " ", base, bold: true), Span(key, selected ? .selected : .key, bold: true), Span(" " + Box.pad(Box.clip(feed.name, nameWidth), nameWidth), base, bold: true)]
        let nodes = feed.snapshot.nodes
        let routable = feed.snapshot.routableCount.routable
        let alerts = nodes.filter { $0.health == .down || $0.health == .suspect }.count
        let figures = feed.isLive ? base : .dim
        switch feed.link {
        case .connecting:
            spans.append(Span("  connecting…", .dim))
        case .live, .unreachable:
            spans += [
                Span("  routable \(routable)/\(nodes.count)", figures),
                Span("  ok " + (feed.snapshot.callSuccessRatio.map { Format.percent($0) } ?? "-"), figures),
                Span("  \(Format.rate(feed.snapshot.callsPerSecond)) calls/s", figures),
                Span(alerts == 0 ? "  no alerts" : "  \(alerts) alert\(alerts == 1 ? "" : "s")", alerts == 0 ? figures : (feed.isLive ? .down : .dim), bold: alerts > 0),
            ]
            if case let .unreachable(since, _, _) = feed.link {
                spans.append(Span("  unreachable since \(Format.clock(since.timeIntervalSince1970)) UTC", .panic, bold: true))
            }
        }
        if let source = feed.source, source != feed.name { spans.append(Span("  " + source, .dim)) }
        return Line(spans)
    }
}
