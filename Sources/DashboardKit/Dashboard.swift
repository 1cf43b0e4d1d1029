import ClusterModel

/// The dashboard as two pure functions, ratatui-style: `render` turns a snapshot and the UI state
/// into a `Screen`; `handle` turns a key into a new state and effects for the run loop. Neither
/// does I/O, so every screen and every key is testable without a terminal.
public enum Dashboard {
    /// The whole frame at `width`×`height`. While paused it shows the frozen snapshot, whatever
    /// `live` says.
    public static func render(_ live: ClusterSnapshot, _ state: DashboardState, width: Int, height: Int) -> Screen {
        frame(ClusterFeed(snapshot: live), bar: [], state, width: width, height: height)
    }

    /// The frame for `feed`, under the cluster bar of `bar` when it has several clusters; a feed
    /// that is not live is greyed under a notice (overlays drawn on top stay in colour).
    static func frame(_ feed: ClusterFeed, bar: [ClusterFeed], _ state: DashboardState, width: Int, height: Int) -> Screen {
        let live = feed.snapshot
        var state = state
        state.width = width
        state.height = height
        let snapshot = state.displayed(live)
        let rows = reconcile(&state, snapshot)

        var screen = Screen(width: width, height: height)
        let layout = DashboardLayout(width: width, height: height, nodeRows: rows.count, clusterRows: state.clusterRows)
        guard !layout.isTooSmall else {
            TooSmallNotice().render(screen.area, into: &screen)
            return screen
        }
        if feed.neverAnswered {
            // No snapshot ever came: no cluster to draw, only where and why.
            ConnectingNotice(feed: feed).render(Rect(x: 0, y: layout.header.y, width: width, height: layout.status.y - layout.header.y), into: &screen)
            if bar.count > 1 {
                ClusterBarWidget(feeds: bar, selected: min(state.clusters.selected, bar.count - 1)).render(layout.clusterBar, into: &screen)
            }
            StatusBar(state: state).render(layout.status, into: &screen)
            if state.overlay == .help { HelpOverlay(state: state).render(layout.screen, into: &screen) }
            return screen
        }
        HeaderWidget(snapshot: snapshot, paused: state.isPaused, readOnly: state.readOnly && state.replay == nil, source: feed.source,
                     replay: state.replay.map { $0.paused ? "REPLAY ⏸" : "REPLAY ▶ ×\($0.speed)" }).render(layout.header, into: &screen)
        switch state.view {
        case .main:
            let table = NodeTableWidget(rows: rows, allNodes: snapshot.nodes, state: state, visibleRows: layout.tableRows.height, now: snapshot.wallTime)
            table.render(title: layout.nodesTitle, headings: layout.columnHeadings, body: layout.tableRows, into: &screen)
            table.renderErrorLine(layout.errorLine, selected: rows.isEmpty ? nil : state.selectedNode.flatMap(snapshot.node(named:)), into: &screen)
            EventLogWidget(entries: EventLogWidget.entries(snapshot, state, selectedNode: state.selectedNode), totalCount: snapshot.events.count, state: state)
                .render(title: layout.eventsTitle, body: layout.eventRows, into: &screen)
        case .methods, .method:
            MethodsWidget(snapshot: snapshot, view: state.view, filter: state.filter).render(layout.body, into: &screen)
        case let .detail(name):
            if let node = snapshot.node(named: name) {
                NodeDetailWidget(node: node, snapshot: snapshot, scroll: state.scroll.detail).render(layout.body, into: &screen)
            } else {
                Box.rule(layout.body.row(0), segments: [Line("Node \(name)", .title, bold: true), Line("Esc back", .dim)], role: .borderFocused, into: &screen)
                screen.put("\(name) is no longer in the cluster.", x: 1, y: layout.body.y + 1, maxWidth: width - 2, style: CellStyle(.warning))
            }
        }
        if bar.count > 1 {
            ClusterBarWidget(feeds: bar, selected: min(state.clusters.selected, bar.count - 1)).render(layout.clusterBar, into: &screen)
        }
        if let playback = state.replay { TimelineWidget(playback: playback).render(layout.clusterBar, into: &screen) }
        if !feed.isLive {
            screen.restyle(Rect(x: 0, y: layout.header.y, width: width, height: layout.status.y - layout.header.y), role: .dim)
            StaleNotice(feed: feed, replay: state.replay != nil).render(layout.header.row(1), into: &screen)
        }
        StatusBar(state: state).render(layout.status, into: &screen)
        switch state.overlay {
        case .help: HelpOverlay(state: state).render(layout.screen, into: &screen)
        case let .confirm(request): ConfirmDialog(request: request, snapshot: snapshot, operatorName: state.operatorName).render(layout.screen, into: &screen)
        case let .refusal(refusal): RefusalDialog(refusal: refusal).render(layout.screen, into: &screen)
        case .prompt, nil: break
        }
        return screen
    }

    /// Folds a new snapshot into the state: the selection follows its node to its new row (or,
    /// if the node is gone, stays at the same row), scroll offsets stay in range, and a log
    /// scrolled back stays on the event it showed. The loop calls it for every new snapshot.
    public static func update(state: inout DashboardState, snapshot live: ClusterSnapshot) {
        // The bell follows the live cluster, paused screen or not.
        state.bell?.observe(live)
        reconcile(&state, state.displayed(live))
    }

    /// Shows what became of a command sent after `.execute`, in the status row. A refusal
    /// because the shared store is unreachable opens a dialog that offers to act on this
    /// instance only (`offeringHereAnyway`: when the cluster shown is the one that refused).
    public static func record(_ result: OperatorResult, of request: OperatorRequest, state: inout DashboardState, offeringHereAnyway: Bool = true) {
        let command = request.command
        switch result {
        case let .done(text):
            state.status = StatusMessage("\(command): \(text.isEmpty ? "done" : text)", .success)
        case let .refused(reason) where offeringHereAnyway && reason.hasPrefix(StateStoreStatus.unreachableRefusalPrefix)
            && !request.forceLocal && command != .undo && state.overlay == nil:
            state.overlay = .refusal(Refusal(command, reason: reason))
            state.status = StatusMessage("\(command) refused: the state store is unreachable", .failure)
        case let .refused(reason):
            state.status = StatusMessage("\(command) refused: \(reason)", .failure)
        }
    }

    /// Shows what became of `.write` (`:export`): the path written, or why not.
    public static func recordWrite(path: String, what: String, error: String?, state: inout DashboardState) {
        state.status = error.map { StatusMessage("export \(path): \($0)", .failure) } ?? StatusMessage("exported \(what) to \(path)", .success)
    }

    /// Shows what `:reload` did, or why it did nothing.
    public static func recordReload(_ result: OperatorResult, state: inout DashboardState) {
        switch result {
        case let .done(text): state.status = StatusMessage(text, .success)
        case let .refused(reason): state.status = StatusMessage(reason, .failure)
        }
    }

    /// Returns the table rows (filtered and sorted) it computed, so a frame sorts only once.
    @discardableResult
    static func reconcile(_ state: inout DashboardState, _ snapshot: ClusterSnapshot) -> [NodeSnapshot] {
        let rows = NodeFilter.rows(snapshot, state)
        let layout = DashboardLayout(width: state.width, height: state.height, nodeRows: rows.count, clusterRows: state.clusterRows)
        let visible = max(1, layout.tableRows.height)
        if rows.isEmpty {
            state.selectedIndex = 0
            state.tableOffset = 0
        } else {
            if let name = state.selectedNode, let i = rows.firstIndex(where: { $0.name == name }) {
                state.selectedIndex = i
            } else {
                state.selectedIndex = min(max(0, state.selectedIndex), rows.count - 1)
                state.selectedNode = rows[state.selectedIndex].name
            }
            if state.selectedIndex < state.tableOffset { state.tableOffset = state.selectedIndex }
            if state.selectedIndex >= state.tableOffset + visible { state.tableOffset = state.selectedIndex - visible + 1 }
            state.tableOffset = min(max(0, state.tableOffset), max(0, rows.count - visible))
        }

        let entries = EventLogWidget.entries(snapshot, state, selectedNode: state.selectedNode)
        if let anchor = state.log.anchor, let i = entries.firstIndex(where: { $0.id == anchor }) {
            state.log.offset = i
        }
        state.log.offset = min(max(0, state.log.offset), max(0, entries.count - layout.eventRows.height))
        if state.log.offset == 0 { state.log.anchor = nil }
        return rows
    }
}

extension DashboardState {
    /// The layout at the state's terminal size with `snapshot`'s rows after the filter (the
    /// remembered rows: no filtering again per key).
    func layout(_ snapshot: ClusterSnapshot) -> DashboardLayout {
        DashboardLayout(width: width, height: height, nodeRows: NodeFilter.rows(snapshot, self).count, clusterRows: clusterRows)
    }
}
