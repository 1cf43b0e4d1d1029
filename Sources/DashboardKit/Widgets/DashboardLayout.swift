/// Where each part of the dashboard goes at a given terminal size. Key handling uses the same
/// layout as rendering (page sizes, mouse hit-testing), so they can never disagree.
///
/// ```
/// clusters (1 row each, only when attached to several; at most `maxClusterRows`)
/// header   (2 rows)  cluster, time, markers / counts, availability, rates
/// ─ Nodes ─ title
/// column headings
/// table rows         as many as there are nodes, up to what the log leaves
/// error line         the selected node's whole last error
/// ─ Events ─ title
/// event rows         at least a third of the rest (2…12 rows), more when the table is short
/// status   (1 row)   result of the last action, prompt, or key hints
/// ```
public struct DashboardLayout: Sendable, Equatable {
    /// Below this the dashboard shows a "terminal too small" notice instead.
    public static let minimumWidth = 60
    public static let minimumHeight = 15

    /// The most rows the cluster bar takes; with more clusters it shows those around the selected.
    public static let maxClusterRows = 6

    public let screen: Rect
    /// One row per cluster when there are several (`clusterRows`), else empty.
    public let clusterBar: Rect
    public let header: Rect
    /// Everything between the header and the status row (the detail view uses all of it).
    public let body: Rect
    public let nodesTitle: Rect
    public let columnHeadings: Rect
    public let tableRows: Rect
    /// The selected node's whole last error, under the table.
    public let errorLine: Rect
    public let eventsTitle: Rect
    public let eventRows: Rect
    public let status: Rect

    /// The layout for a table of `nodeRows` rows (after the filter): the table takes no more
    /// rows than it has nodes, so a small cluster leaves the room to the event log. `clusterRows`
    /// rows on top are the cluster bar.
    public init(width: Int, height: Int, nodeRows: Int, clusterRows: Int = 0) {
        screen = Rect(x: 0, y: 0, width: width, height: height)
        let bar = min(max(0, clusterRows), Self.maxClusterRows)
        clusterBar = Rect(x: 0, y: 0, width: width, height: min(bar, height))
        header = Rect(x: 0, y: clusterBar.maxY, width: width, height: min(2, max(0, height - clusterBar.height)))
        status = Rect(x: 0, y: max(0, height - 1), width: width, height: height > 2 ? 1 : 0)
        body = Rect(x: 0, y: header.maxY, width: width, height: height - header.height - status.height)
        let available = max(0, body.height - 4)
        let eventsAtLeast = min(12, max(2, available / 3))
        let table = max(0, min(available - eventsAtLeast, max(1, nodeRows)))
        let events = available - table
        nodesTitle = body.row(0)
        columnHeadings = body.row(1)
        tableRows = Rect(x: 0, y: body.y + 2, width: width, height: table)
        errorLine = Rect(x: 0, y: tableRows.maxY, width: width, height: 1)
        eventsTitle = Rect(x: 0, y: errorLine.maxY, width: width, height: 1)
        eventRows = Rect(x: 0, y: eventsTitle.maxY, width: width, height: events)
    }

    public var isTooSmall: Bool {
        screen.width < Self.minimumWidth || screen.height < Self.minimumHeight + clusterBar.height
    }
}
