import ClusterModel

/// What one input to a node's state machine changed, for the pool to act on: events to log, and
/// follow-up work. The state machine decides all of it; the pool only carries it out.
struct NodeChange {
    /// Events for the log, oldest first, without the node's name (the pool adds it).
    var events: [NodeEvent] = []
    /// The fb303 status changed: fetch the status details again.
    var fetchStatusDetails = false
    /// The node's health moved, and why: what `[alerts]` and the capacity watch act on.
    var transition: HealthTransition?

    static let none = NodeChange()
}

/// One event about a node, as its state machine reports it.
struct NodeEvent: Equatable {
    var severity: EventSeverity
    var kind: PoolEvent.Kind
    var message: String
}

/// A node's health moving from one state to another, with the evidence that moved it.
struct HealthTransition: Equatable {
    var from: NodeHealth
    var to: NodeHealth
    var reason: String
}
