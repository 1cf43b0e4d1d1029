import ClusterModel

/// The node table: a title rule, column headings, one row per node. Columns that do not fit
/// are dropped by `NodeColumn.priority`, the last error takes whatever width is left, and the
/// selected row is drawn on the selection bar.
struct NodeTableWidget {
    /// A column placed on screen.
    struct Placed: Equatable {
        var column: NodeColumn
        var x: Int
        var width: Int
    }

    var rows: [NodeSnapshot]
    var allNodes: [NodeSnapshot]
    var state: DashboardState
    /// Rows the table body shows at once.
    var visibleRows: Int
    /// The snapshot's wall time: certificate days are counted from it.
    var now: Double

    /// The columns that fit `width`, in display order. Widths come from *all* nodes, not the
    /// filtered rows, so columns do not jump while the operator types a filter. Placed once per
    /// snapshot and width (`NodeArrayMemo`): it measures every name and address.
    static func columns(width: Int, nodes: [NodeSnapshot]) -> [Placed] {
        NodeMemos.columns.value(nodes, width) { place(width: width, nodes: nodes) }
    }

    private static func place(width: Int, nodes: [NodeSnapshot]) -> [Placed] {
        var remaining = width
        var chosen: Set<NodeColumn> = []
        let widths = Dictionary(uniqueKeysWithValues: NodeColumn.allCases.map { ($0, $0.width(for: nodes)) })
        let byPriority = NodeColumn.allCases.enumerated().sorted { ($0.element.priority, $0.offset) < ($1.element.priority, $1.offset) }
        for (_, column) in byPriority where widths[column]! > 0 {
            let needed = widths[column]! + (chosen.isEmpty ? 0 : 1)
            guard needed <= remaining else { break }  // strict priority: never skip ahead
            chosen.insert(column)
            remaining -= needed
        }
        var placed: [Placed] = []
        var x = 0
        for column in NodeColumn.allCases where chosen.contains(column) {
            var w = widths[column]!
            if column == .lastError { w += remaining }
            placed.append(Placed(column: column, x: x, width: w))
            x += w + 1
        }
        return placed
    }

    /// The line under the table: the selected node's whole last error with its age, which the
    /// LAST ERROR column can only cut.
    func renderErrorLine(_ area: Rect, selected: NodeSnapshot?, into screen: inout Screen) {
        guard !area.isEmpty else { return }
        guard let node = selected, node.lastError != nil else {
            if let node = selected { screen.put(Line([Span(" \(node.name)", .text, bold: true), Span(": no error so far", .dim)]), x: area.x, y: area.y, maxWidth: area.width) }
            return
        }
        let error = NodeColumn.lastErrorSpan(node, now: now)
        screen.put(Line([Span(" \(node.name)", .text, bold: true), Span(" last error ", .dim), error]), x: area.x, y: area.y, maxWidth: area.width)
    }

    func render(title titleRow: Rect, headings: Rect, body: Rect, into screen: inout Screen) {
        renderTitle(titleRow, into: &screen)
        let placed = Self.columns(width: body.width, nodes: allNodes)
        renderHeadings(headings, placed, into: &screen)
        guard !rows.isEmpty else {
            let text = state.filter.isEmpty ? "no nodes in this cluster" : "no node matches \"\(state.filter)\" (Esc clears the filter)"
            screen.put(text, x: body.x + 1, y: body.y, maxWidth: body.width - 1, style: CellStyle(.dim))
            return
        }
        let median = SlowNode.medianP50(allNodes)
        for line in 0..<body.height {
            let index = state.tableOffset + line
            guard index < rows.count else { break }
            let row = body.row(line)
            let selected = index == state.selectedIndex
            renderRow(rows[index], placed, row, selected: selected, medianP50: median, into: &screen)
        }
    }

    private func renderTitle(_ row: Rect, into screen: inout Screen) {
        let focused = state.focus == .nodes && state.view == .main
        var segments = [Line([Span("Nodes", .title, bold: true), Span(" \(rows.count)/\(allNodes.count)", .text)])]
        let arrow = state.sort.descending ? "▼" : "▲"
        let order = state.sort == .worstFirst ? "worst first" : "\(state.sort.column.title) \(arrow)"
        segments.append(Line([Span("sort ", .dim), Span(order, .text)]))
        if !state.filter.isEmpty { segments.append(Line([Span("filter ", .dim), Span("\"\(state.filter)\"", .notice)])) }
        if rows.count > 0, state.tableOffset > 0 || state.tableOffset + visibleRows < rows.count {
            let last = min(rows.count, state.tableOffset + visibleRows)
            segments.append(Line("rows \(state.tableOffset + 1)–\(last)", .dim))
        }
        Box.rule(row, segments: segments, role: focused ? .borderFocused : .border, into: &screen)
    }

    private func renderHeadings(_ row: Rect, _ placed: [Placed], into screen: inout Screen) {
        guard !row.isEmpty else { return }
        let style = CellStyle(.columnHeader)
        screen.fill(row, with: Cell(" ", style: style))
        for p in placed {
            var title = p.column.title
            if p.column == state.sort.column { title += state.sort.descending ? "▼" : "▲" }
            screen.put(Box.pad(title, p.width, right: p.column.isNumeric), x: row.x + p.x, y: row.y, maxWidth: p.width, style: style)
        }
    }

    private func renderRow(_ node: NodeSnapshot, _ placed: [Placed], _ row: Rect, selected: Bool, medianP50: Double?, into screen: inout Screen) {
        if selected { screen.fill(row, with: Cell(" ", style: CellStyle.plain.onSelection)) }
        for p in placed {
            var span = p.column.span(for: node, width: p.width, now: now, medianP50: medianP50)
            if selected { span.style.highlighted = true }
            let text = Box.pad(span.text, p.width, right: p.column.isNumeric)
            screen.put(text, x: row.x + p.x, y: row.y, maxWidth: p.width, style: span.style)
        }
    }
}

