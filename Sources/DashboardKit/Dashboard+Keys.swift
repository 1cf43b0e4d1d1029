import ClusterModel

extension Dashboard {
    /// Applies one key to the state and says what the loop must do. Overlays take keys first (a
    /// dialog swallows everything but its answers, so its target cannot change); then keys that
    /// work everywhere; then those of the view underneath.
    public static func handle(_ key: Key, state: inout DashboardState, snapshot live: ClusterSnapshot) -> [DashboardEffect] {
        if case let .resize(width, height) = key {
            state.width = width
            state.height = height
            reconcile(&state, state.displayed(live))
            return []
        }
        let snapshot = state.displayed(live)
        reconcile(&state, snapshot)
        defer { reconcile(&state, state.displayed(live)) }
        if key == .control("l") { return [.repaint] }

        switch state.overlay {
        case let .confirm(request): return handleConfirm(key, request, &state)
        case let .refusal(refusal): return handleRefusal(key, refusal, &state)
        case let .prompt(prompt): return handlePrompt(key, prompt, &state, snapshot)
        case .help:
            handleHelp(key, &state)
            return []
        case nil: break
        }
        if state.layout(snapshot).isTooSmall {
            return key == .character("q") || key == .function(10) ? [.quit] : []
        }
        // A key ends the previous message, as in vi: the status row is about the last thing done.
        state.status = nil
        if let effects = handleClusterKey(key, &state) { return effects }
        if let effects = handleReplayKey(key, &state) { return effects }

        switch key {
        case .character("q"), .function(10): return [.quit]
        case .character("?"), .function(1):
            state.overlay = .help
            state.scroll.help = 0
            return []
        case .character("p"):
            state.frozen = state.isPaused ? nil : live
            state.status = StatusMessage(state.isPaused ? "paused: the display is frozen (p resumes)" : "live again")
            return []
        case .character("e"):
            state.log.errorsOnly.toggle()
            state.log.anchor = nil
            state.log.offset = 0
            return []
        case .character("f"):
            state.log.selectedNodeOnly.toggle()
            state.log.anchor = nil
            state.log.offset = 0
            return []
        case .character(":"):
            // Read-only, the line still sorts, quits, helps and switches clusters.
            state.overlay = .prompt(Prompt(.command))
            return []
        default: break
        }
        if let effects = handleAction(key, &state, snapshot) { return effects }

        switch state.view {
        case .main: handleMain(key, &state, snapshot)
        case let .detail(name): handleDetail(key, name, &state, snapshot)
        case .methods, .method: handleMethods(key, &state, snapshot)
        }
        return []
    }

    /// Why an action key did nothing: read-only, or a replay (which shows, never acts).
    static func readOnlyNote(_ state: DashboardState) -> StatusMessage {
        state.replay != nil
            ? StatusMessage("a replay shows what was recorded: it takes no operator action", .failure)
            : StatusMessage("read-only: operator actions are disabled (--read-only)", .failure)
    }

    // MARK: - main view

    private static func handleMain(_ key: Key, _ state: inout DashboardState, _ snapshot: ClusterSnapshot) {
        let layout = state.layout(snapshot)
        let page = max(1, (state.focus == .nodes ? layout.tableRows.height : layout.eventRows.height) - 1)
        let rowCount = NodeFilter.rows(snapshot, state).count
        switch key {
        case .tab, .backTab: state.focus = state.focus == .nodes ? .events : .nodes
        case .up, .character("k"): move(-1, &state, snapshot)
        case .down, .character("j"): move(1, &state, snapshot)
        case .pageUp: move(-page, &state, snapshot)
        case .pageDown: move(page, &state, snapshot)
        case .home, .character("g"): move(-Int.max / 2, &state, snapshot)
        case .end, .character("G"): move(Int.max / 2, &state, snapshot)
        case .enter:
            if let name = state.selectedNode, rowCount > 0 {
                state.view = .detail(node: name)
                state.scroll.detail = 0
            }
        case .character("/"): state.overlay = .prompt(Prompt(.filter(previous: state.filter), text: state.filter))
        case .character("m"):
            state.view = .methods(selected: nil)
            state.filter = ""
        case .character("s"):
            state.sort = state.sort.next(among: onScreen(state, snapshot))
        case .character("S"):
            state.sort.descending.toggle()
        case let .character(c) where onScreen(state, snapshot).contains { $0.sortKey == c }:
            // k9s's habit: Shift and the column's letter sorts by it; again reverses.
            if let column = NodeColumn.allCases.first(where: { $0.sortKey == c }) { state.sort = state.sort.by(column) }
        case .escape:
            if !state.filter.isEmpty { state.filter = "" }
        case let .click(x, y): click(x: x, y: y, &state, snapshot)
        case let .wheelUp(_, y): wheel(-3, y: y, &state, snapshot)
        case let .wheelDown(_, y): wheel(3, y: y, &state, snapshot)
        default: break
        }
    }

    /// The table's columns on screen now, in display order: what `s` cycles through and what a
    /// Shift-letter may sort by.
    static func onScreen(_ state: DashboardState, _ snapshot: ClusterSnapshot) -> [NodeColumn] {
        NodeTableWidget.columns(width: state.layout(snapshot).columnHeadings.width, nodes: snapshot.nodes).map(\.column)
    }

    /// Moves within the focused pane: the selection in the table, the scroll in the log.
    private static func move(_ delta: Int, _ state: inout DashboardState, _ snapshot: ClusterSnapshot) {
        if state.focus == .nodes {
            moveSelection(delta, &state, snapshot)
        } else {
            scrollLog(delta, &state, snapshot)
        }
    }

    static func moveSelection(_ delta: Int, _ state: inout DashboardState, _ snapshot: ClusterSnapshot) {
        let rows = NodeFilter.rows(snapshot, state)
        guard !rows.isEmpty else { return }
        let target = min(max(0, state.selectedIndex.addingReportingOverflow(delta).partialValue), rows.count - 1)
        state.selectedIndex = target
        state.selectedNode = rows[target].name
    }

    static func scrollLog(_ delta: Int, _ state: inout DashboardState, _ snapshot: ClusterSnapshot) {
        let entries = EventLogWidget.entries(snapshot, state, selectedNode: state.selectedNode)
        let maxOffset = max(0, entries.count - state.layout(snapshot).eventRows.height)
        state.log.offset = min(max(0, state.log.offset.addingReportingOverflow(delta).partialValue), maxOffset)
        state.log.anchor = state.log.offset == 0 ? nil : entries[state.log.offset].id
    }

    private static func click(x: Int, y: Int, _ state: inout DashboardState, _ snapshot: ClusterSnapshot) {
        let layout = state.layout(snapshot)
        if layout.tableRows.contains(x: x, y: y) {
            state.focus = .nodes
            let rows = NodeFilter.rows(snapshot, state)
            let index = state.tableOffset + (y - layout.tableRows.y)
            if index < rows.count {
                state.selectedIndex = index
                state.selectedNode = rows[index].name
            }
        } else if layout.columnHeadings.contains(x: x, y: y) {
            let placed = NodeTableWidget.columns(width: layout.columnHeadings.width, nodes: snapshot.nodes)
            if let hit = placed.first(where: { x >= $0.x && x < $0.x + $0.width }) {
                state.sort = hit.column == state.sort.column
                    ? NodeSort(column: hit.column, descending: !state.sort.descending)
                    : NodeSort(column: hit.column, descending: false)
            }
        } else if layout.nodesTitle.contains(x: x, y: y) {
            state.focus = .nodes
        } else if layout.eventsTitle.contains(x: x, y: y) || layout.eventRows.contains(x: x, y: y) {
            state.focus = .events
        }
    }

    private static func wheel(_ delta: Int, y: Int, _ state: inout DashboardState, _ snapshot: ClusterSnapshot) {
        let layout = state.layout(snapshot)
        if y >= layout.eventsTitle.y && y < layout.eventRows.maxY {
            scrollLog(delta, &state, snapshot)
        } else if y >= layout.nodesTitle.y && y < layout.tableRows.maxY {
            moveSelection(delta, &state, snapshot)
        }
    }

    // MARK: - methods

    private static func handleMethods(_ key: Key, _ state: inout DashboardState, _ snapshot: ClusterSnapshot) {
        let rows = MethodsWidget.rows(snapshot, filter: state.filter)
        let visible = max(1, state.layout(snapshot).body.height - 2)
        switch state.view {
        case let .methods(selected):
            let row = MethodsWidget.selectedRow(selected, in: rows)
            func select(_ target: Int) {
                guard !rows.isEmpty else { return }
                state.view = .methods(selected: rows[min(max(0, target), rows.count - 1)].name)
            }
            switch key {
            case .up, .character("k"): select(row - 1)
            case .down, .character("j"): select(row + 1)
            case .pageUp: select(row - visible)
            case .pageDown: select(row + visible)
            case .home, .character("g"): select(0)
            case .end, .character("G"): select(rows.count - 1)
            case .enter: if row < rows.count { state.view = .method(name: rows[row].name) }
            case .character("/"): state.overlay = .prompt(Prompt(.filter(previous: state.filter), text: state.filter))
            case .escape where !state.filter.isEmpty: state.filter = ""
            case .escape, .character("m"), .left:
                state.view = .main
                state.filter = ""
            default: break
            }
        case let .method(name):
            switch key {
            case .escape, .enter, .backspace, .left, .character("h"):
                state.view = .methods(selected: name)
            case .character("m"): state.view = .main
            default: break
            }
        default: break
        }
    }

    // MARK: - detail view and help

    private static func handleDetail(_ key: Key, _ name: String, _ state: inout DashboardState, _ snapshot: ClusterSnapshot) {
        let body = state.layout(snapshot).body
        let count = snapshot.node(named: name).map { NodeDetailWidget(node: $0, snapshot: snapshot, scroll: 0).lines(width: body.width).count } ?? 0
        let visible = max(1, body.height - 1)
        let maxScroll = max(0, count - visible)
        func scroll(_ delta: Int) {
            state.scroll.detail = min(max(0, state.scroll.detail.addingReportingOverflow(delta).partialValue), maxScroll)
        }
        switch key {
        case .escape, .enter, .backspace, .left, .character("h"): state.view = .main
        case .up, .character("k"): scroll(-1)
        case .down, .character("j"): scroll(1)
        case .pageUp: scroll(-(visible - 1))
        case .pageDown: scroll(visible - 1)
        case .home, .character("g"): scroll(-Int.max / 2)
        case .end, .character("G"): scroll(Int.max / 2)
        case .wheelUp: scroll(-3)
        case .wheelDown: scroll(3)
        default: break
        }
    }

    private static func handleHelp(_ key: Key, _ state: inout DashboardState) {
        let count = HelpOverlay(state: state).lines.count
        let visible = max(1, state.height - 4)
        let maxScroll = max(0, count - visible)
        func scroll(_ delta: Int) {
            state.scroll.help = min(max(0, state.scroll.help.addingReportingOverflow(delta).partialValue), maxScroll)
        }
        switch key {
        case .escape, .enter, .character("?"), .character("q"), .function(1): state.overlay = nil
        case .up, .character("k"), .wheelUp: scroll(-1)
        case .down, .character("j"), .wheelDown: scroll(1)
        case .pageUp: scroll(-visible)
        case .pageDown: scroll(visible)
        case .home, .character("g"): scroll(-Int.max / 2)
        case .end, .character("G"): scroll(Int.max / 2)
        default: break
        }
    }
}
