import ClusterModel

/// The table's text filter (`/`): a node matches when the text appears, ignoring case, in its
/// name, address, state word, fb303 status, group or tags.
public enum NodeFilter {
    public static func matches(_ node: NodeSnapshot, _ filter: String) -> Bool {
        matches(node, needle: needle(filter))
    }

    static func needle(_ filter: String) -> String { filter.trimmed.lowercased() }

    static func matches(_ node: NodeSnapshot, needle: String) -> Bool {
        guard !needle.isEmpty else { return true }
        let fields = [node.name, node.address, node.health.word(drained: node.operatorDrained), node.fbStatus ?? "", node.group ?? ""] + node.tags
        return fields.contains { $0.lowercased().contains(needle) }
    }

    /// The rows of the table: filtered, then sorted. Worked out once per snapshot, sort and
    /// filter (`NodeArrayMemo`), however many times a frame or a key asks.
    public static func rows(_ snapshot: ClusterSnapshot, _ state: DashboardState) -> [NodeSnapshot] {
        let needle = needle(state.filter)
        return NodeMemos.rows.value(snapshot.nodes, RowOrderKey(sort: state.sort, needle: needle)) {
            state.sort.apply(needle.isEmpty ? snapshot.nodes : snapshot.nodes.filter { matches($0, needle: needle) })
        }
    }
}

extension String {
    /// Without leading and trailing blanks (no Foundation here).
    var trimmed: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return String(s)
    }
}
