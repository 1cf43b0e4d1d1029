import ClusterModel
import Logging

extension PoolCore {
    /// Brings the node's gauges (up, routable, health, weight, drained) and the routable count up
    /// to date. Runs after every input that went through the node's state machine (and each
    /// second, when an ejection may have ended); writes only what changed.
    func showMetrics(_ node: NodeLink) {
        // After a stop the series are gone: a late connection close must not make new ones.
        guard !stopped, !node.retired else { return }
        let state = node.state
        let routable = state.isRoutable && !policies.ejection.isEjected(node.index, at: now)
        metrics.routableChanged(by: node.metrics.show(NodeMetrics.Shown(
            health: state.health, routable: routable, weight: state.weight, drained: state.drained)))
    }

    /// A node leaves the pool (live reload removes it, or the pool stops): its series leave the
    /// exporter, and it stops counting as routable.
    func forgetMetrics(of node: NodeLink) {
        metrics.forget(node.metrics)
        metrics.forgetMethods(ofNode: node.config.name)
    }
}

extension EventSeverity {
    /// The swift-log level an event of this severity is logged at.
    var logLevel: Logger.Level {
        switch self {
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        }
    }
}
