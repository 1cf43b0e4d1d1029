import ClusterModel
import NIOCore

/// How the balancer sees a node's calls: in flight, picked lately, and what its failed calls
/// cost it beyond its peak-EWMA latency.
///
/// A node that fails fast (refused, reset) would otherwise look like the fastest, least busy
/// node of all and draw ever more calls. So a failed attempt is held as one call in flight until
/// its timeout would have run out: least-outstanding and P2C then see it as a node whose calls
/// take their whole timeout. And the last attempt's outcome marks a node as failing: in panic
/// mode such a node gets at most one call at a time (a probe) until a call is answered again.
struct CallCost {
    /// Calls in flight on the node.
    var inFlight = 0
    /// Calls sent here in the current second, and in the last few whole seconds.
    var picks = 0
    var recentPicks = PickWindow()
    /// When each held failure stops counting, oldest first. Bounded: beyond that many a node
    /// looks busy enough to every balancer.
    private var heldUntil: [NIODeadline] = []
    /// The last attempt timed out or failed at the transport, and none was answered since.
    private(set) var failing = false

    static let maxHeld = 64

    mutating func answered() { failing = false }

    mutating func failed(holdingUntil deadline: NIODeadline) {
        failing = true
        if heldUntil.count >= Self.maxHeld { heldUntil.removeFirst() }
        // Kept in order: attempts of one node mostly share a timeout, so this is an append.
        let at = heldUntil.lastIndex { $0 <= deadline }.map { $0 + 1 } ?? 0
        heldUntil.insert(deadline, at: at)
    }

    /// Failures still held at `now`. Nothing to do for a node that has not failed lately.
    mutating func held(at now: NIODeadline) -> Int {
        guard !heldUntil.isEmpty else { return 0 }
        let expired = heldUntil.firstIndex { $0 > now } ?? heldUntil.count
        if expired > 0 { heldUntil.removeFirst(expired) }
        return heldUntil.count
    }
}

/// Calls sent to a node in each of the last `seconds` whole seconds: the traffic share is read
/// from their sum, so a drained node's share reaches 0 once its last calls leave the window,
/// `seconds` after the drain at most, instead of decaying for ever as an average would.
struct PickWindow {
    static let seconds = NodeSnapshot.trafficShareSeconds
    private var slots = [Int](repeating: 0, count: PickWindow.seconds)
    private var next = 0
    private(set) var total = 0

    /// A second ended with `picks` calls: it replaces the oldest second of the window.
    mutating func close(_ picks: Int) {
        total += picks - slots[next]
        slots[next] = picks
        next = (next + 1) % slots.count
    }
}
