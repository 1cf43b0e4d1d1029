import ClusterModel
import NIOCore

/// One node as one loop's router keeps it: that loop's call connections to it, and how the
/// calls this loop sent it went (in flight, failures held as cost, peak-EWMA latency). Owned by
/// the router's loop.
final class RoutedNode {
    let id: Int
    let config: NodeConfig
    var settings: NodeSettings { config.settings }
    let calls: CallConnections
    var cost = CallCost()
    /// The router's timer slot of the last deadline check asked for this node: calls due in one
    /// slot share one check.
    var lastDeadlineSlot: Int64 = -1
    /// The node left the pool (a reload), or this loop stopped: no new calls; its connections
    /// close once the calls on them are answered.
    private(set) var retired = false

    init(id: Int, config: NodeConfig) {
        self.id = id
        self.config = config
        calls = CallConnections(maxConnections: config.settings.maxConnections, maxPending: config.settings.maxPending)
    }

    func retire() {
        retired = true
        calls.retire()
    }
}

@available(*, unavailable)
extension RoutedNode: Sendable {}
