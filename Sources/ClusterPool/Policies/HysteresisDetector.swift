/// Up/down with hysteresis: falls after `fall` consecutive failures, rises after `rise`
/// consecutive successes, so a node that fails one heartbeat in three does not chatter.
public struct HysteresisDetector: Sendable, Equatable {
    public let fall: Int
    public let rise: Int
    public private(set) var isUp: Bool
    public private(set) var consecutiveFailures = 0
    public private(set) var consecutiveSuccesses = 0

    /// Starts down-but-unconvicted: the first `rise` successes bring it up. With `startUp` it
    /// starts up (used once a connection has been established).
    public init(fall: Int = 3, rise: Int = 2, startUp: Bool = false) {
        precondition(fall >= 1 && rise >= 1, "fall and rise must be at least 1")
        self.fall = fall
        self.rise = rise
        self.isUp = startUp
    }

    /// Returns true when the state flipped.
    @discardableResult
    public mutating func record(success: Bool) -> Bool {
        if success {
            consecutiveSuccesses += 1
            consecutiveFailures = 0
            if !isUp && consecutiveSuccesses >= rise {
                isUp = true
                return true
            }
        } else {
            consecutiveFailures += 1
            consecutiveSuccesses = 0
            if isUp && consecutiveFailures >= fall {
                isUp = false
                return true
            }
        }
        return false
    }

    /// Hard evidence (reset, refused, EOF): down at once, no waiting for `fall`.
    public mutating func forceDown() {
        isUp = false
        consecutiveSuccesses = 0
        consecutiveFailures = max(consecutiveFailures, fall)
    }
}
