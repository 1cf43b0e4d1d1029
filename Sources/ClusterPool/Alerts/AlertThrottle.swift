import NIOCore

/// One change an alert reports: states for a node, routable counts for the cluster alert.
struct AlertChange: Equatable, Sendable {
    var from: String
    var to: String
    var reason: String
}

/// What an alert run carries: the change (folded from several when coalesced) and how many
/// changes were folded into it. `coalesced` is nil for a run that went out at once.
struct AlertPayload: Equatable, Sendable {
    var change: AlertChange
    var coalesced: Int?
}

/// At most one alert run per key (a node, or the cluster) in `minInterval`. A change while the
/// key is quiet runs at once; changes within the interval of the last run are held and folded
/// into one run when it ends: FROM the state before the first held change, TO the latest, the
/// latest reason, and the count. A value driven by the times passed in, so the rule is tested
/// exactly on made-up times; the pool schedules a wake-up at `nextDue`.
struct AlertThrottle<Key: Hashable> {
    /// What `record` decided.
    enum Decision: Equatable {
        /// Run this now.
        case run(AlertPayload)
        /// Held: folded into a run at this time (`takeDue`).
        case held(until: NIODeadline)
    }

    private struct Held {
        var change: AlertChange
        var count: Int
        var due: NIODeadline
    }

    let minInterval: TimeAmount
    private var lastRun: [Key: NIODeadline] = [:]
    private var held: [Key: Held] = [:]

    init(minInterval: TimeAmount) {
        self.minInterval = minInterval
    }

    mutating func record(_ change: AlertChange, for key: Key, at now: NIODeadline) -> Decision {
        if var waiting = held[key] {
            waiting.change.to = change.to
            waiting.change.reason = change.reason
            waiting.count += 1
            held[key] = waiting
            return .held(until: waiting.due)
        }
        if let last = lastRun[key], now < last + minInterval {
            let due = last + minInterval
            held[key] = Held(change: change, count: 1, due: due)
            return .held(until: due)
        }
        lastRun[key] = now
        return .run(AlertPayload(change: change, coalesced: nil))
    }

    /// The held runs whose time has come, earliest first; each counts as its key's last run.
    mutating func takeDue(at now: NIODeadline) -> [(key: Key, payload: AlertPayload)] {
        let due = held.filter { $0.value.due <= now }.sorted { $0.value.due < $1.value.due }
        return due.map { key, waiting in
            held[key] = nil
            lastRun[key] = now
            return (key, AlertPayload(change: waiting.change, coalesced: waiting.count))
        }
    }

    /// When the next held run is due; nil when nothing is held.
    var nextDue: NIODeadline? { held.values.map(\.due).min() }
}
