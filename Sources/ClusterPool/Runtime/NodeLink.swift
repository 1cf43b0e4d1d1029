import ClusterModel
import NIOCore

/// One node's place in the pool: its state machine, and the heartbeat connection and timers the
/// pool keeps for it (its call connections are each router's, `RoutedNode`). Owned by the pool's event loop: only code running on that loop touches it.
final class NodeLink {
    enum Connection {
        case idle
        case connecting
        case connected(ThriftConnection)
        /// Waiting to reconnect until the scheduled attempt.
        case backingOff
    }

    /// Its place in the pool's tables; a reload may renumber it.
    var index: Int
    /// Never renumbered: routers on other loops know the node by it.
    let id: Int
    /// A reload may change what does not need a new connection (weight, group, tags).
    var config: NodeConfig
    var settings: NodeSettings { config.settings }
    let state: NodeState
    /// Its metric handles, made with it; `PoolCore.forgetMetrics(of:)` when it leaves.
    let metrics: NodeMetrics

    var connection = Connection.idle
    var backoff: any ReconnectRule
    var reconnectTask: Scheduled<Void>?
    /// When the next heartbeat is due; lateness is measured against it.
    var nextHeartbeatDue: NIODeadline?
    var lastDetailsFetch: NIODeadline?
    /// The `state.version` its snapshot in the pool's array was built from.
    var snapshotVersion: UInt64 = 0
    /// An HTTP node that closed a connection after answering (HTTP/1.0, `Connection: close`):
    /// its heartbeats open a connection each, its details go one call a call connection.
    var closesAfterEachReply = false
    /// A reload removed or replaced it: no reconnects, no new calls; it leaves once its calls in
    /// flight are done.
    var retired = false

    init(index: Int, id: Int, config: NodeConfig, policies: PoolPolicies, changes: ChangedNodes, metrics: NodeMetrics) {
        self.index = index
        self.id = id
        self.config = config
        self.metrics = metrics
        state = NodeState(config: config, detector: policies.detector(), index: index, changes: changes)
        backoff = policies.reconnect()
    }

    var liveConnection: ThriftConnection? {
        if case let .connected(c) = connection { return c }
        return nil
    }
}

@available(*, unavailable)
extension NodeLink: Sendable {}
