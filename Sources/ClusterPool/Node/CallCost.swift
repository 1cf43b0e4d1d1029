import ClusterModel
import NIOCore

/// How a router's balancer sees a node's calls: in flight, their peak-EWMA latency, and what
/// failed calls cost it beyond that.
///
/// A node that fails fast (refused, reset) would otherwise look like the fastest, least busy
/// node of all and draw ever more calls. So a failed attempt is held as one call in flight until
/// its timeout would have run out: least-outstanding and P2C then see it as a node whose calls
/// take their whole timeout. And the last attempt's outcome marks a node as failing: in panic
/// mode such a node gets at most one call at a time (a probe) until a call is answered again.
struct CallCost {
    /// Calls in flight on the node.
    var inFlight = 0
    var peak = PeakEWMA()
    /// When each held failure stops counting, oldest first. Bounded: beyond that many a node
    /// looks busy enough to every balancer.
    private var heldUntil: [NIODeadline] = []
    /// The last attempt timed out or failed at the transport, and none was answered since.
    private(set) var failing = false

    static let maxHeld = 64

    mutating func answered(millis: Double, at now: NIODeadline) {
        inFlight -= 1
        peak.observe(millis: millis, at: now)
        failing = false
    }

    /// `timeout`: the attempt's; a failing node must never look fast, so it costs all of it.
    mutating func failed(timeout: TimeAmount, holdingUntil deadline: NIODeadline, at now: NIODeadline) {
        inFlight -= 1
        peak.observe(millis: Double(timeout.nanoseconds) / 1e6, at: now)
        failing = true
        if heldUntil.count >= Self.maxHeld { heldUntil.removeFirst() }
        // Kept in order: attempts of one node mostly share a timeout, so this is an append.
        let at = heldUntil.lastIndex { $0 <= deadline }.map { $0 + 1 } ?? 0
        heldUntil.insert(deadline, at: at)
    }

    /// Calls in flight as the balancer counts them: with each failed attempt held as one until
    /// its timeout would have run out.
    mutating func outstanding(at now: NIODeadline) -> Int {
        guard !heldUntil.isEmpty else { return inFlight }
        let expired = heldUntil.firstIndex { $0 > now } ?? heldUntil.count
        if expired > 0 { heldUntil.removeFirst(expired) }
        return inFlight + heldUntil.count
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
