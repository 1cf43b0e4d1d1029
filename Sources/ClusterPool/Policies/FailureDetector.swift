import NIOCore

/// What a failure detector makes of a node now. Ordered: a composition takes the worst.
public enum DetectorVerdict: Int, Sendable, Comparable {
    case up, suspect, down

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// One rule for judging a node from its heartbeats and its connection. Detectors are values fed
/// the node's evidence, in order, with the time it happened; they read no clock of their own, so
/// a test drives them with any times it likes.
public protocol FailureDetector: Sendable {
    /// A well-formed heartbeat reply arrived.
    mutating func heartbeatSucceeded(at now: NIODeadline)
    /// A heartbeat failed (timeout, exception, bad reply).
    mutating func heartbeatFailed(at now: NIODeadline)
    /// Hard evidence: the connection was refused, reset or closed.
    mutating func connectionLost(at now: NIODeadline)
    /// A new connection is up; the history of the old one no longer says much.
    mutating func connected(at now: NIODeadline)
    /// The pool itself was paused (a GC-like stall, a stopped VM): silence since `now` is not the node's.
    mutating func pauseEnded(at now: NIODeadline)
    func verdict(at now: NIODeadline) -> DetectorVerdict
}

extension FailureDetector {
    public mutating func heartbeatFailed(at now: NIODeadline) {}
    public mutating func connectionLost(at now: NIODeadline) {}
    public mutating func connected(at now: NIODeadline) {}
    public mutating func pauseEnded(at now: NIODeadline) {}
}

/// Two detectors as one: each sees every input, and the worse verdict wins.
public struct EitherDetector<First: FailureDetector, Second: FailureDetector>: FailureDetector {
    public private(set) var first: First
    public private(set) var second: Second

    public init(_ first: First, _ second: Second) {
        self.first = first
        self.second = second
    }

    public mutating func heartbeatSucceeded(at now: NIODeadline) {
        first.heartbeatSucceeded(at: now)
        second.heartbeatSucceeded(at: now)
    }

    public mutating func heartbeatFailed(at now: NIODeadline) {
        first.heartbeatFailed(at: now)
        second.heartbeatFailed(at: now)
    }

    public mutating func connectionLost(at now: NIODeadline) {
        first.connectionLost(at: now)
        second.connectionLost(at: now)
    }

    public mutating func connected(at now: NIODeadline) {
        first.connected(at: now)
        second.connected(at: now)
    }

    public mutating func pauseEnded(at now: NIODeadline) {
        first.pauseEnded(at: now)
        second.pauseEnded(at: now)
    }

    public func verdict(at now: NIODeadline) -> DetectorVerdict {
        max(first.verdict(at: now), second.verdict(at: now))
    }
}

/// Fall/rise hysteresis as a detector: up at the first good heartbeat (so a new pool is useful
/// within one interval), down after `fall` failures in a row or a lost connection, up again
/// after `rise` successes in a row, suspect while failures are piling up. The first verdict goes
/// the same way as every later one: a node whose first heartbeat fails is suspect, not down
/// (one slow reply at start is no outage); only a lost or refused connection is down at once.
public struct FallRiseDetector: FailureDetector, Equatable {
    public private(set) var hysteresis: HysteresisDetector
    /// A heartbeat has been answered or has failed: the hysteresis is judging, from up.
    private var everUp = false

    public init(fall: Int, rise: Int) {
        hysteresis = HysteresisDetector(fall: fall, rise: rise)
    }

    public mutating func heartbeatSucceeded(at now: NIODeadline) {
        if everUp {
            hysteresis.record(success: true)
        } else {
            everUp = true
            hysteresis = HysteresisDetector(fall: hysteresis.fall, rise: hysteresis.rise, startUp: true)
        }
    }

    public mutating func heartbeatFailed(at now: NIODeadline) {
        if !everUp {
            everUp = true
            hysteresis = HysteresisDetector(fall: hysteresis.fall, rise: hysteresis.rise, startUp: true)
        }
        hysteresis.record(success: false)
    }

    public mutating func connectionLost(at now: NIODeadline) { hysteresis.forceDown() }

    public func verdict(at now: NIODeadline) -> DetectorVerdict {
        if !hysteresis.isUp { return .down }
        return hysteresis.consecutiveFailures > 0 ? .suspect : .up
    }
}

extension PhiAccrualDetector: FailureDetector {
    public mutating func heartbeatSucceeded(at now: NIODeadline) { heartbeat(at: now) }
    public mutating func connected(at now: NIODeadline) { reset() }
    public mutating func pauseEnded(at now: NIODeadline) { rebase(at: now) }
    public func verdict(at now: NIODeadline) -> DetectorVerdict { isSuspect(at: now) ? .suspect : .up }
}

/// The detector every node gets, composed from its `[health]` settings in one place: hysteresis
/// for up/down, φ accrual to suspect a node whose heartbeats stop before timeouts pile up.
public typealias NodeDetector = EitherDetector<FallRiseDetector, PhiAccrualDetector>

extension NodeDetector {
    public static func make(_ health: HealthSettings) -> NodeDetector {
        EitherDetector(FallRiseDetector(fall: health.fall, rise: health.rise), PhiAccrualDetector(threshold: health.phiThreshold))
    }
}
