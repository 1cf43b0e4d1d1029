import ClusterModel

/// `:export FILE.csv` or `FILE.json`: the node table as shown — its rows after the filter and
/// in its sort, its columns on screen (the latency sparkline left out), each cell's text as the
/// table draws it, never cut. For raw figures, the admin API's snapshot (`replay --at --json`).
enum TableExport {
    struct Failure: Error, Equatable {
        var message: String
    }

    static func contents(path: String, snapshot: ClusterSnapshot, state: DashboardState) -> Result<String, Failure> {
        let lower = path.lowercased()
        guard !path.isEmpty, lower.hasSuffix(".csv") || lower.hasSuffix(".json") else {
            return .failure(Failure(message: "export FILE.csv or export FILE.json: the table as shown"))
        }
        let rows = NodeFilter.rows(snapshot, state)
        let columns = NodeTableWidget.columns(width: state.layout(snapshot).columnHeadings.width, nodes: snapshot.nodes)
            .map(\.column).filter { $0 != .sparkline }
        let median = SlowNode.medianP50(snapshot.nodes)
        let cells = rows.map { node in
            columns.map { $0.span(for: node, width: Int.max / 4, now: snapshot.wallTime, medianP50: median).text }
        }
        if lower.hasSuffix(".csv") {
            let lines = [columns.map(\.title)] + cells
            return .success(lines.map { $0.map(csvField).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n")
        }
        let objects = cells.map { row in
            "{" + zip(columns, row).map { "\(SnapshotJSONWriter.quoted($0.commandName)):\(SnapshotJSONWriter.quoted($1))" }.joined(separator: ",") + "}"
        }
        let header = [
            "\"cluster\":\(SnapshotJSONWriter.quoted(snapshot.clusterName))",
            "\"time\":\(SnapshotJSONWriter.quoted(RFC3339.string(fromUnixSeconds: snapshot.wallTime)))",
            "\"filter\":\(SnapshotJSONWriter.quoted(state.filter))",
            "\"columns\":[\(columns.map { SnapshotJSONWriter.quoted($0.commandName) }.joined(separator: ","))]",
        ]
        return .success("{" + header.joined(separator: ",") + ",\"rows\":[\n" + objects.joined(separator: ",\n") + "\n]}\n")
    }

    /// RFC 4180: quoted when it holds a comma, a quote or a line break; quotes doubled. Text
    /// a spreadsheet would run as a formula (a server's error message starting with =, +, @ or
    /// a - that is no number) gets a leading ' so it stays text.
    static func csvField(_ text: String) -> String {
        var text = text
        if let first = text.first, "=+@".contains(first) || (first == "-" && text.dropFirst().first.map { !$0.isNumber && $0 != " " } == true) {
            text = "'" + text
        }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }
}
