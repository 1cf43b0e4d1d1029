import ClusterModel
import NIOCore

/// The pool's side of snapshot publishing: the node snapshots of the last build, kept and
/// updated in place, and when readers want the next one.
struct SnapshotPublisher {
    /// Updated in place: a node's entry is rebuilt only when its state's version moved on.
    var nodes: [NodeSnapshot]
    /// Whether a reader asked for a snapshot since the last one was built (set by the facade):
    /// with nobody reading, no snapshot is built at all.
    var wanted: () -> Bool = { false }
    var publish: (ClusterSnapshot) -> Void = { _ in }
    /// Until when someone is taken to be reading snapshots (a second after the last publish
    /// they asked for): meanwhile a node's snapshot is rebuilt right after each heartbeat,
    /// while its figures are in cache, instead of all together in the next build.
    var readerActiveUntil: NIODeadline?
    /// The newest events as the last build took them, and the log's next id then: rebuilt only
    /// when something was logged since.
    var events: (nextID: UInt64, events: [PoolEvent]) = (0, [])
    var nextPublishDue: NIODeadline?
    /// Snapshots built so far: a snapshot's `version`.
    var built: UInt64 = 0
    /// Where a proxy over this pool listens, for snapshots to show.
    var listeners: [String] = []

    /// Per node, what every build needs of every node, kept side by side so a build reads a few
    /// arrays instead of 10,000 objects: whether the node's own state lets it take calls and
    /// whether the operator has it in rotation, its availability (all as of its last rebuild),
    /// and its calls of the last few seconds (updated every second).
    var ownRoutable: [Bool]
    var inRotation: [Bool]
    var availability: [Double]
    var recentPicks: [Int]

    init(nodes: [NodeConfig]) {
        self.nodes = nodes.map { NodeSnapshot(name: $0.name, address: $0.address.description) }
        ownRoutable = Array(repeating: false, count: nodes.count)
        inRotation = Array(repeating: false, count: nodes.count)
        availability = Array(repeating: 0, count: nodes.count)
        recentPicks = Array(repeating: 0, count: nodes.count)
    }
}
