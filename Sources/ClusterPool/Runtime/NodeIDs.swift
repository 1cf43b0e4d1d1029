/// Every node of the pool by its id (which a reload never renumbers), retiring ones too, and the
/// nodes a reload removed or replaced until their calls in flight are done.
struct NodeIDs {
    private(set) var byID: [Int: NodeLink]
    private(set) var retiring: [NodeLink] = []
    private var next: Int

    init(_ nodes: [NodeLink]) {
        byID = Dictionary(uniqueKeysWithValues: nodes.map { ($0.id, $0) })
        next = (nodes.map(\.id).max() ?? 0) + 1
    }

    /// The id for a new node.
    mutating func take() -> Int {
        defer { next += 1 }
        return next
    }

    mutating func add(_ node: NodeLink) { byID[node.id] = node }

    mutating func retire(_ node: NodeLink) { retiring.append(node) }

    /// Retired nodes whose calls every router has reported ended leave for good.
    mutating func dropQuietRetired() {
        for node in retiring where node.state.inFlight <= 0 { byID[node.id] = nil }
        retiring.removeAll { $0.state.inFlight <= 0 }
    }
}
