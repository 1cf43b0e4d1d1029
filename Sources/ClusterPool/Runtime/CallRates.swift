import Histogram
import NIOCore

/// Calls and retries through the balancer: running totals, and their rates per second as an
/// EWMA over ~3 s — steady enough to read, quick enough to follow a drain.
struct CallRates {
    private(set) var calls = 0
    private(set) var retries = 0
    private(set) var callsPerSecond = 0.0
    private(set) var retriesPerSecond = 0.0
    private var last: (time: NIODeadline, calls: Int, retries: Int)?

    mutating func callStarted() { calls += 1 }
    mutating func retried() { retries += 1 }

    /// Brings the rates up to `now`; returns the seconds since the last update and the EWMA's
    /// weight for them (nil on the first update), for per-node rates to follow the same clock.
    mutating func update(at now: NIODeadline) -> (seconds: Double, alpha: Double)? {
        defer { last = (now, calls, retries) }
        guard let last else { return nil }
        let seconds = Double((now - last.time).nanoseconds) / 1e9
        guard seconds > 0 else { return nil }
        let alpha = min(1, seconds / 3)
        callsPerSecond += alpha * (Double(calls - last.calls) / seconds - callsPerSecond)
        retriesPerSecond += alpha * (Double(retries - last.retries) / seconds - retriesPerSecond)
        return (seconds, alpha)
    }
}

/// Heartbeats sent, and how late they ran against their schedule in microseconds: what
/// `make bench` reads of the scheduler.
struct HeartbeatStats {
    var sent = 0
    var lateness = Histogram<UInt32>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .two)
}
