import Foundation
import NIOCore

/// The φ accrual failure detector (Hayashibara et al.): instead of a yes/no timeout, a suspicion
/// level φ = −log₁₀ P(the next heartbeat arrives later than now) from the history of heartbeat
/// inter-arrival times. φ = 8 means a 1 in 10⁸ chance the node is merely slow.
///
/// Uses a normal distribution of the intervals (mean, standard deviation with a floor), as Akka
/// does, so a node whose heartbeats stop is suspected within a few intervals, before timeouts
/// and `fall` counts pile up.
public struct PhiAccrualDetector: Sendable {
    public let threshold: Double
    public let windowSize: Int
    /// A floor on the deviation so perfectly regular heartbeats do not make φ explode on jitter.
    public let minimumDeviation: TimeAmount
    /// Extra allowance for known pauses (GC, scheduling), added to the mean.
    public let acceptablePause: TimeAmount

    private var intervals: [Double] = []
    private var next = 0
    private var sum = 0.0
    private var sumOfSquares = 0.0
    public private(set) var lastArrival: NIODeadline?

    public init(threshold: Double = 8, windowSize: Int = 100, minimumDeviation: TimeAmount = .milliseconds(100), acceptablePause: TimeAmount = .zero) {
        precondition(threshold > 0, "phi threshold must be positive")
        precondition(windowSize >= 2, "phi window must hold at least 2 intervals")
        self.threshold = threshold
        self.windowSize = windowSize
        self.minimumDeviation = minimumDeviation
        self.acceptablePause = acceptablePause
    }

    /// Records a heartbeat arrival.
    public mutating func heartbeat(at now: NIODeadline) {
        if let last = lastArrival {
            add(Double((now - last).nanoseconds) / 1e6)
        }
        lastArrival = now
    }

    /// Treats `now` as the last arrival without recording an interval: used after a local pause,
    /// so the pause is not held against the node.
    public mutating func rebase(at now: NIODeadline) {
        if lastArrival != nil { lastArrival = now }
    }

    /// Forget everything (a new connection starts a new history).
    public mutating func reset() {
        intervals.removeAll(keepingCapacity: true)
        next = 0
        sum = 0
        sumOfSquares = 0
        lastArrival = nil
    }

    private mutating func add(_ millis: Double) {
        if intervals.count < windowSize {
            intervals.append(millis)
        } else {
            let old = intervals[next]
            sum -= old
            sumOfSquares -= old * old
            intervals[next] = millis
            next = (next + 1) % windowSize
        }
        sum += millis
        sumOfSquares += millis * millis
    }

    /// φ at `now`; 0 until two heartbeats have arrived.
    public func phi(at now: NIODeadline) -> Double {
        guard let last = lastArrival, !intervals.isEmpty else { return 0 }
        let n = Double(intervals.count)
        let mean = sum / n + Double(acceptablePause.nanoseconds) / 1e6
        let variance = max(0, sumOfSquares / n - (sum / n) * (sum / n))
        let deviation = max(variance.squareRoot(), Double(minimumDeviation.nanoseconds) / 1e6)
        let elapsed = Double((now - last).nanoseconds) / 1e6
        // Logistic approximation of the normal CDF tail (as in Akka's PhiAccrualFailureDetector).
        let y = (elapsed - mean) / deviation
        let e = exp(-y * (1.5976 + 0.070566 * y * y))
        // Capped: a long silence underflows to -log10(0) = ∞, which no JSON can carry; past
        // `maximum` the node is as suspect as it can be anyway.
        let phi = elapsed > mean ? -log10(e / (1 + e)) : -log10(1 - 1 / (1 + e))
        return phi.isFinite ? Swift.min(phi, Self.maximum) : Self.maximum
    }

    /// The largest φ reported (a chance of 1 in 10¹⁰⁰ that the node is merely slow).
    public static let maximum = 100.0

    public func isSuspect(at now: NIODeadline) -> Bool { phi(at: now) > threshold }
}
