import Foundation
import NIOCore

/// Latency cost that jumps up at once on a slow sample and decays on fast ones: "peak" EWMA, so
/// a node that just answered slowly is avoided right away.
///
/// The decay is by time (constant `tau`) or by samples (a fast sample takes at least
/// 1/`samples` of the way down), whichever is quicker. By time alone, a busy node's one slow
/// reply among thousands of fast ones (a scheduling hiccup, a GC) would keep its cost up for
/// seconds, and a node that is slow on every call would look no worse; measured with one node
/// of four 10× slower, that gave the slow node 2–4 % of the calls instead of well under 1 %.
public struct PeakEWMA: Sendable, Equatable {
    public let tau: TimeAmount
    public let samples: Double
    public private(set) var cost: Double = 0
    private var lastUpdate: NIODeadline?

    public init(tau: TimeAmount = .seconds(10), samples: Double = 10) {
        self.tau = tau
        self.samples = samples
    }

    /// The cost as a balancer reads it at `now`: decayed for the time since the last sample, as
    /// Finagle's peak EWMA is read. A node whose one slow answer made it look costly is tried
    /// again once that answer is old, instead of never being picked, so never measured, again.
    /// (Within a tenth of a second of a sample the decay is under 1 %: not worked out.)
    public func cost(at now: NIODeadline) -> Double {
        guard let last = lastUpdate, cost > 0 else { return cost }
        let elapsed = (now - last).nanoseconds
        guard elapsed > 100_000_000 else { return cost }
        return cost * exp(-Double(elapsed) / Double(tau.nanoseconds))
    }

    public mutating func observe(millis: Double, at now: NIODeadline) {
        defer { lastUpdate = now }
        guard let last = lastUpdate else {
            cost = millis
            return
        }
        if millis > cost {
            cost = millis
        } else {
            let elapsed = Double(max(0, (now - last).nanoseconds))
            let w = min(exp(-elapsed / Double(tau.nanoseconds)), 1 - 1 / samples)
            cost = cost * w + millis * (1 - w)
        }
    }
}
