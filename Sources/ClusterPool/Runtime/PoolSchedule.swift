import NIOCore

/// The pool's one clock: the tick task, the timer wheel of heartbeats due and call deadlines,
/// and what the ticks noticed (a pause of the pool itself). Stopped once, for good.
struct PoolSchedule {
    var wheel: TimerWheel<WheelEntry>
    var tickTask: Scheduled<Void>?
    var ticks = 0
    /// Heartbeats sent before this moment are not held against nodes (the pool itself paused).
    var pauseEndedAt: NIODeadline?
    var stopped = false
    /// Heartbeats sent and how late they ran against their schedule (for `make bench`).
    var heartbeatStats = HeartbeatStats()
}

/// What the pool's timer wheel holds.
enum WheelEntry {
    /// The node's next heartbeat is due.
    case heartbeat(Int)
    /// A call or heartbeat on the node may have passed its deadline.
    case expire(Int)
}

/// Who is where in the pool's `nodes`: by name, all, and by group (a `[[route]]` picks among a
/// group's members without filtering every node per call). Rebuilt at each reload.
struct NodeLookup {
    var byName: [String: Int]
    var all: [Int]
    var byGroup: [String: [Int]]

    init(_ nodes: [NodeConfig]) {
        byName = Dictionary(uniqueKeysWithValues: nodes.enumerated().map { ($1.name, $0) })
        all = Array(nodes.indices)
        byGroup = Dictionary(grouping: nodes.indices.filter { nodes[$0].group != nil }) { nodes[$0].group! }
    }
}
