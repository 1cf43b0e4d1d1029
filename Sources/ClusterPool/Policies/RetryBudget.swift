import NIOCore

/// Caps retries to a share of recent traffic so retries cannot amplify an outage (Finagle's
/// `RetryBudget`): over the last `ttl`, retries may be at most `percentCanRetry` of calls, plus
/// a floor of `minRetriesPerSecond` so a quiet client can still retry at all.
///
/// Calls and retries are counted in one-second buckets over the window.
public struct RetryBudget: Sendable {
    public let ttl: TimeAmount
    public let minRetriesPerSecond: Double
    public let percentCanRetry: Double

    private var buckets: [(second: Int64, calls: Int, retries: Int)]

    /// Defaults as Finagle's: 10 s, 10 retries/s floor, 20 % of calls.
    public init(ttl: TimeAmount = .seconds(10), minRetriesPerSecond: Double = 10, percentCanRetry: Double = 0.2) throws {
        guard ttl >= .seconds(1), ttl <= .seconds(60) else {
            throw PolicyError("retry budget ttl must be from 1 s to 60 s (got \(ttl.nanoseconds / 1_000_000) ms)")
        }
        guard minRetriesPerSecond >= 0 else {
            throw PolicyError("retry budget min_retries_per_second must be 0 or more (got \(minRetriesPerSecond))")
        }
        guard (0...1000).contains(percentCanRetry * 100) else {
            throw PolicyError("retry budget percent must be from 0 to 1000 % (got \(percentCanRetry * 100) %)")
        }
        self.ttl = ttl
        self.minRetriesPerSecond = minRetriesPerSecond
        self.percentCanRetry = percentCanRetry
        buckets = []
    }

    private var windowSeconds: Int64 { max(1, ttl.nanoseconds / 1_000_000_000) }

    private mutating func bucket(at now: NIODeadline) -> Int {
        let second = Int64(now.uptimeNanoseconds / 1_000_000_000)
        let oldest = second - windowSeconds
        buckets.removeAll { $0.second <= oldest }
        if let index = buckets.firstIndex(where: { $0.second == second }) { return index }
        buckets.append((second, 0, 0))
        return buckets.count - 1
    }

    /// Counts a call (first attempts only).
    public mutating func recordCall(at now: NIODeadline) {
        buckets[bucket(at: now)].calls += 1
    }

    /// Whether a retry may happen now; when it may, it is counted.
    public mutating func tryWithdraw(at now: NIODeadline) -> Bool {
        let index = bucket(at: now)
        guard balance >= 1 else { return false }
        buckets[index].retries += 1
        return true
    }

    /// Retries still allowed in the current window.
    public var balance: Double {
        let calls = buckets.reduce(0) { $0 + $1.calls }
        let retries = buckets.reduce(0) { $0 + $1.retries }
        return minRetriesPerSecond * Double(windowSeconds) + percentCanRetry * Double(calls) - Double(retries)
    }
}

/// A policy parameter out of its allowed range.
public struct PolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
