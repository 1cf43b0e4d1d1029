/// Which nodes' snapshots may be out of date, in the order they changed: filled by the node
/// state machines as inputs arrive, emptied by each snapshot build. A build then visits only the
/// nodes that changed (about a tenth of them every 100 ms at 1 s heartbeats) instead of touching
/// every node's objects, each a cold cache line at 10,000 nodes.
final class ChangedNodes {
    private var marked: [Bool]
    private(set) var list: [Int] = []
    /// A fact the routers route by moved (health, the link, a drain or weight, an ejection): the
    /// pool publishes a new `RoutingView` and clears it.
    var routingMoved = true {
        didSet { if routingMoved && !oldValue { onRoutingMoved?() } }
    }
    /// Runs when `routingMoved` becomes set: the pool publishes at the end of its loop's turn.
    var onRoutingMoved: (() -> Void)?

    init(count: Int) { marked = Array(repeating: false, count: count) }

    /// A reload renumbered the nodes: nothing is marked, and `count` places are.
    func reset(count: Int) {
        marked = Array(repeating: false, count: count)
        list.removeAll(keepingCapacity: true)
    }

    func mark(_ index: Int) {
        guard !marked[index] else { return }
        marked[index] = true
        list.append(index)
    }

    /// The nodes changed since the last call, oldest first; the set starts empty again.
    func take() -> [Int] {
        let taken = list
        for index in taken { marked[index] = false }
        list.removeAll(keepingCapacity: true)
        return taken
    }
}

@available(*, unavailable)
extension ChangedNodes: Sendable {}
