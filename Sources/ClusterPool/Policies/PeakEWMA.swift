import Foundation
import NIOCore

/// Latency cost that jumps up at once on a slow sample and decays slowly (time constant `tau`)
/// on fast ones: "peak" EWMA, so a node that just answered slowly is avoided right away.
public struct PeakEWMA: Sendable, Equatable {
    public let tau: TimeAmount
    public private(set) var cost: Double = 0
    private var lastUpdate: NIODeadline?

    public init(tau: TimeAmount = .seconds(10)) {
        self.tau = tau
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
            let w = exp(-elapsed / Double(tau.nanoseconds))
            cost = cost * w + millis * (1 - w)
        }
    }
}
