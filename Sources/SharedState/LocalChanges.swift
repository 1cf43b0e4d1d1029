import ClusterModel

/// What was done on this instance alone while etcd was unreachable (`force_local`), node by
/// node, in the order it was done: in force here, kept in the cache across a restart, and
/// written back when etcd returns — unless someone changed that node there since.
struct LocalChanges: Codable, Sendable, Equatable {
    /// One node's actions made here only.
    struct Change: Codable, Sendable, Equatable {
        /// The node key's mod revision when the first such action was made: written back only
        /// if it still is that.
        var base: Int64
        /// The node's state after the last such action.
        var record: SharedNodeRecord
        var actions: [String]
    }

    private(set) var byNode: [String: Change] = [:]
    private(set) var order: [String] = []

    var isEmpty: Bool { byNode.isEmpty }
    var count: Int { byNode.count }

    /// Records an action on `node`; `base` counts only for its first.
    mutating func add(_ node: String, base: Int64, record: SharedNodeRecord, action: String) {
        if let earlier = byNode[node] {
            byNode[node] = Change(base: earlier.base, record: record, actions: earlier.actions + [action])
        } else {
            order.append(node)
            byNode[node] = Change(base: base, record: record, actions: [action])
        }
    }

    /// Forgets `node`'s actions once written back (or lost), unless more came meanwhile.
    mutating func remove(_ node: String, ifStill change: Change) {
        guard byNode[node] == change else { return }
        byNode[node] = nil
        order.removeAll { $0 == node }
    }
}
