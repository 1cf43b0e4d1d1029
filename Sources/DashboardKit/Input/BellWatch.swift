import ClusterModel

/// Decides when `--bell` rings: a node moving to a worse state (not the operator's own drain),
/// or the cluster falling below `min_routable` (the pool's capacity event), at most once a
/// second. Pure, like the rest of the dashboard: `Dashboard.update` feeds it every snapshot,
/// the run loop asks `takeRing(at:)` on its own clock and rings the terminal.
///
/// The first snapshot is only looked at: a dashboard started over a broken cluster does not
/// ring for what was already so.
public struct BellWatch: Sendable, Equatable {
    /// Rings closer together than this are one ring.
    public static let minimumGap = 1.0

    private var healths: [String: NodeHealth] = [:]
    private var newestEventID: UInt64?
    /// Something worth a ring happened and has not rung yet.
    public private(set) var pending = false
    private var lastRing: Double?

    public init() {}

    public mutating func observe(_ snapshot: ClusterSnapshot) {
        let first = newestEventID == nil
        for node in snapshot.nodes {
            let before = healths.updateValue(node.health, forKey: node.name)
            if !first, let before, Self.isWorse(node.health, than: before), !(node.health == .draining && node.operatorDrained) {
                pending = true
            }
        }
        let newest = snapshot.events.last?.id ?? 0
        if let seen = newestEventID, newest > seen {
            // Only the new events, from the end.
            for event in snapshot.events.reversed() {
                guard event.id > seen else { break }
                if event.kind == .capacity && event.severity >= .warning { pending = true }
            }
        }
        newestEventID = max(newest, newestEventID ?? 0)
    }

    /// Whether to ring now (`seconds` on any steady clock); a ring within `minimumGap` of the
    /// last waits until the gap has passed.
    public mutating func takeRing(at seconds: Double) -> Bool {
        guard pending else { return false }
        if let last = lastRing, seconds - last < Self.minimumGap { return false }
        pending = false
        lastRing = seconds
        return true
    }

    /// Worse for an operator: towards down. A node's first verdict counts only when it is down.
    static func isWorse(_ new: NodeHealth, than old: NodeHealth) -> Bool {
        guard old != .unknown else { return new == .down }
        return rank(new) > rank(old)
    }

    private static func rank(_ health: NodeHealth) -> Int {
        switch health {
        case .unknown, .up: 0
        case .degraded, .starting, .draining: 1
        case .suspect: 2
        case .down: 3
        }
    }
}
