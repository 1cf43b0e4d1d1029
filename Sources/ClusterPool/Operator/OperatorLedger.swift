import ClusterModel

/// The pool's operator side, kept apart from the heartbeat and routing state of `PoolCore`:
/// the local authority's undo history and per-node change counts, where its decisions are
/// persisted (the store, written off the loop), and what a shared authority (etcd) told the
/// pool — its operator state, the store's status, each operator's undo, whether routing is held.
/// Owned by `PoolCore` on its loop; decisions themselves are `OperatorRules`'.
final class OperatorLedger {
    /// An action the local authority can revert: the command that undoes it, and the node's
    /// change count right after it (someone changed the node since when the count moved on).
    struct Revert {
        var inverse: OperatorCommand
        var change: UInt64
    }

    /// Who changed a node last, and how many times it was changed.
    struct NodeChanges {
        var count: UInt64
        var user: String
        var action: String
    }

    /// The state file and audit log (or an embedder's store), written in order off the loop.
    var log: OperatorLog
    var history = UndoHistory<Revert>()
    var changes: [String: NodeChanges] = [:]
    /// Set while no call may be routed (see `ClusterPool.holdRouting`).
    var routingHeld: String?
    /// The shared store's operator state (nil: none installed), kept for reloads to apply to
    /// added nodes.
    var sharedState: [String: SharedNodeState]?
    /// Where the shared store is and whether it is reachable, for readers.
    var storeStatus: StoreStatusShown?

    /// What the shared authority publishes for readers.
    struct StoreStatusShown {
        var status: StateStoreStatus?
        /// Per operator, what their undo reverts (the shared authority keeps the history).
        var undoable: [String: String]
    }

    init(log: OperatorLog) {
        self.log = log
    }

    /// Counts a change of `node` by `user`; the count lets an undo see whether anyone came after.
    func changed(_ node: String, by user: String, _ action: String) -> UInt64 {
        let count = (changes[node]?.count ?? 0) + 1
        changes[node] = NodeChanges(count: count, user: user, action: action)
        return count
    }

    /// Each operator's undo as readers see it: the shared authority's when one is installed.
    var undoable: [String: String] {
        sharedState != nil ? (storeStatus?.undoable ?? [:]) : history.undoable
    }
}

@available(*, unavailable)
extension OperatorLedger: Sendable {}
