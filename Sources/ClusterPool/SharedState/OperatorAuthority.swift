import ClusterModel

/// Decides operator commands for a pool whose operator state is shared with other instances
/// (etcd): the store's answer is the truth, so a drain holds on every instance and the capacity
/// floor holds for the cluster. Installed with `ClusterPool.install(_:)`; `ClusterPool.execute`
/// then goes through it.
public protocol OperatorAuthority: Sendable {
    func execute(_ request: OperatorRequest, user: String) async -> OperatorResult
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
