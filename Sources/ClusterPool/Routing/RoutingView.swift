import ClusterModel
import NIOCore

/// What a loop's `CallRouter` knows of the pool: the facts the pool's loop decides (the
/// operator's weights and drains, health, ejection, the heartbeat link, the config in force) as
/// of one moment. The pool publishes a new one whenever one of them moves; each loop routes with
/// the last it received. Immutable, so a loop reads it without a lock.
///
/// The figures calls themselves move (calls in flight, peak-EWMA cost, a node's last call
/// failing) are not in it: each loop keeps its own for the calls it routes (`RoutedNode`).
struct RoutingView: Sendable {
    /// One node as the pool sees it.
    struct Node: Sendable {
        /// The node's id in the pool: a reload moves a node to another place, never to another id.
        var id: Int
        var config: NodeConfig
        var weight: Int
        var drained: Bool
        var inRotation: Bool
        /// As the node's state machine last derived it (the summary of why nothing is routable says it).
        var health: NodeHealth
        /// Connected and up or degraded as its heartbeats say.
        var serving: Bool
        var ejectedUntil: NIODeadline?
        /// Its heartbeat connection is up: in panic mode a node that is not up may take overflow.
        var connected: Bool

        func isEjected(at now: NIODeadline) -> Bool { ejectedUntil.map { now < $0 } ?? false }
    }

    /// Moves on with every view the pool publishes.
    var generation: UInt64
    /// Moves on only when the nodes themselves change (a reload): until then each node stays at
    /// its place, and a loop keeps its own per-node state where it is.
    var layout: UInt64
    var nodes: [Node]
    /// Places of all nodes, and of each group's (a `[[route]]` picks among a group's members).
    var all: [Int]
    var byGroup: [String: [Int]]
    var config: ClusterConfig
    /// How long a forwarded call may take, retries included (worked out once per config).
    var forwardedCallBudget: TimeAmount
    var tls: NodeTLSClients
    /// Set: every call is refused, for this reason (the shared state was never read).
    var routingHeld: String?
    /// The pool stopped: no call starts.
    var stopped: Bool

    /// The view of a pool that has not started: no node, nothing routable.
    static func empty(_ config: ClusterConfig) -> RoutingView {
        RoutingView(generation: 0, layout: 0, nodes: [], all: [], byGroup: [:], config: config,
                    forwardedCallBudget: ClusterPool.forwardedCallBudget(config), tls: NodeTLSClients(),
                    routingHeld: nil, stopped: false)
    }
}
