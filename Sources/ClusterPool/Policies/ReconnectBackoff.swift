import NIOCore

/// Delay before the next reconnect attempt: exponential with full jitter (AWS's "full jitter":
/// a uniform draw in [0, min(cap, base × 2ⁿ))), reset on success. Full jitter spreads a
/// cluster's reconnects after a shared outage instead of letting them arrive in waves.
public struct ReconnectBackoff: Sendable, Equatable {
    public var base: TimeAmount
    public var cap: TimeAmount
    public private(set) var attempts = 0

    public init(base: TimeAmount = .milliseconds(100), cap: TimeAmount = .seconds(10)) {
        precondition(base.nanoseconds > 0 && cap >= base, "backoff needs 0 < base ≤ cap")
        self.base = base
        self.cap = cap
    }

    /// The delay before the next attempt; counts the attempt.
    public mutating func nextDelay(using random: inout some RandomNumberGenerator) -> TimeAmount {
        let exponent = min(attempts, 30)
        attempts += 1
        let ceiling = min(cap.nanoseconds, base.nanoseconds.multipliedReportingOverflow(by: Int64(1) << exponent).partialValue)
        let bound = ceiling > 0 ? ceiling : cap.nanoseconds
        return .nanoseconds(Int64.random(in: 0...bound, using: &random))
    }

    /// The upper bound the next delay is drawn under (for display and tests).
    public var currentCeiling: TimeAmount {
        let exponent = min(attempts, 30)
        return .nanoseconds(min(cap.nanoseconds, base.nanoseconds << Int64(exponent)))
    }

    public mutating func reset() { attempts = 0 }
}
