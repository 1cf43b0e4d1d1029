import ClusterModel

/// What one input to a node's state machine changed, for the pool to act on: events to log, and
/// follow-up work. The state machine decides all of it; the pool only carries it out.
struct NodeChange {
    /// Events for the log, oldest first, without the node's name (the pool adds it).
    var events: [NodeEvent] = []
    /// The fb303 status changed: fetch the status details again.
    var fetchStatusDetails = false

    static let none = NodeChange()
}

/// One event about a node, as its state machine reports it.
struct NodeEvent: Equatable {
    var severity: EventSeverity
    var kind: PoolEvent.Kind
    var message: String
}
