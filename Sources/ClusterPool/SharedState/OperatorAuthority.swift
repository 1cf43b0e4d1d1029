import ClusterModel

/// Decides a pool's operator commands by `OperatorRules` and keeps each operator's undo history.
/// Two implementations: `LocalOperatorAuthority` (this pool alone: the state file and the audit
/// log; the default) and the etcd authority of module SharedState, whose store's answer is the
/// truth for every instance, so a drain holds everywhere and the floor holds for the cluster.
/// One is installed with `ClusterPool.install(_:)`; `ClusterPool.execute` goes through it.
public protocol OperatorAuthority: Sendable {
    func execute(_ request: OperatorRequest, user: String) async -> OperatorResult
}

/// The default authority: this pool decides alone, on its loop, at once, and keeps its drains
/// and weights in its `OperatorStore` (the state file and the audit log).
public struct LocalOperatorAuthority: OperatorAuthority {
    let pool: ClusterPool

    public init(pool: ClusterPool) { self.pool = pool }

    public func execute(_ request: OperatorRequest, user: String) async -> OperatorResult {
        await pool.executeHere(request, user: user)
    }
}

/// A node's operator state as the shared store has it.
public struct SharedNodeState: Sendable, Equatable {
    public var drained: Bool
    /// nil: no operator set one, the config's weight applies (a reload may change it).
    public var weight: Int?
    /// Who made the last change, from where.
    public var change: OperatorChange?

    public init(drained: Bool = false, weight: Int? = nil, change: OperatorChange? = nil) {
        self.drained = drained
        self.weight = weight
        self.change = change
    }
}
