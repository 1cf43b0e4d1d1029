import Histogram
import NIOCore

/// Calls and retries through the balancer: running totals, and their rates per second as an
/// EWMA over ~3 s — steady enough to read, quick enough to follow a drain.
struct CallRates {
    /// How the calls that ended lately ended, and how long they took: the header's success
    /// share and p99 over the last minute.
    private(set) var outcomes = CallOutcomeWindow()
    private(set) var latency = LatencyWindow(halfWindow: .seconds(30), sampleCapacity: 1)
    /// The same per method, and per method and node.
    var methods: MethodTable
    private(set) var calls = 0
    private(set) var retries = 0
    private(set) var callsPerSecond = 0.0
    private(set) var retriesPerSecond = 0.0
    private var last: (time: NIODeadline, calls: Int, retries: Int)?

    init(maxMethods: Int) { methods = MethodTable(capacity: maxMethods) }

    mutating func callStarted() { calls += 1 }
    mutating func retried() { retries += 1 }

    /// A call ended, after all its attempts: answered (an exception counts as failed) after
    /// `millis`, or failed.
    mutating func ended(succeeded: Bool, millis: Double?, at now: NIODeadline) {
        outcomes.record(succeeded: succeeded, at: now)
        if let millis { latency.record(millis: millis, at: now) }
    }

    /// Brings the rates up to `now`; returns false on the first update (nothing to measure
    /// from yet), for per-node windows to follow the same clock.
    mutating func update(at now: NIODeadline) -> Bool {
        defer { last = (now, calls, retries) }
        latency.rotateIfDue(at: now)
        guard let last else { return false }
        let seconds = Double((now - last.time).nanoseconds) / 1e9
        guard seconds > 0 else { return false }
        let alpha = min(1, seconds / 3)
        callsPerSecond += alpha * (Double(calls - last.calls) / seconds - callsPerSecond)
        retriesPerSecond += alpha * (Double(retries - last.retries) / seconds - retriesPerSecond)
        return true
    }
}

/// Calls that ended in each of the last 60 seconds, succeeded and failed: the success share of
/// the last minute, which a rate averaged for ever would hide once an outage is over.
struct CallOutcomeWindow {
    static let seconds = 60
    private var slots = [(second: Int64, succeeded: Int, failed: Int)](repeating: (-1, 0, 0), count: CallOutcomeWindow.seconds)

    mutating func record(succeeded: Bool, at now: NIODeadline) {
        let second = Int64(now.uptimeNanoseconds / 1_000_000_000)
        let slot = Int(second % Int64(slots.count))
        if slots[slot].second != second { slots[slot] = (second, 0, 0) }
        if succeeded { slots[slot].succeeded += 1 } else { slots[slot].failed += 1 }
    }

    /// Succeeded ÷ ended over the last minute; nil when no call ended in it.
    func successRatio(at now: NIODeadline) -> Double? {
        let second = Int64(now.uptimeNanoseconds / 1_000_000_000)
        var succeeded = 0, ended = 0
        for slot in slots where slot.second > second - Int64(slots.count) && slot.second <= second {
            succeeded += slot.succeeded
            ended += slot.succeeded + slot.failed
        }
        return ended > 0 ? Double(succeeded) / Double(ended) : nil
    }
}

/// Heartbeats sent, and how late they ran against their schedule in microseconds: what
/// `make bench` reads of the scheduler.
struct HeartbeatStats {
    var sent = 0
    var lateness = Histogram<UInt32>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .two)
}
