import NIOCore

/// Notices that the pool itself was not running (process stopped, laptop asleep, a starved
/// event loop): consecutive ticks much further apart than scheduled. During such a gap no
/// heartbeat could be sent or read, so silence is the pool's fault, not the nodes'.
public struct LocalPauseGuard: Sendable {
    public let expectedTick: TimeAmount
    /// A gap longer than this counts as a local pause.
    public let tolerance: TimeAmount
    private var lastTick: NIODeadline?

    public init(expectedTick: TimeAmount, tolerance: TimeAmount? = nil) {
        self.expectedTick = expectedTick
        self.tolerance = tolerance ?? max(.seconds(1), expectedTick * 3)
    }

    /// Whether the time since the last tick already exceeds the tolerance: a pause is under way
    /// (or just ended) and the next tick will report it.
    public func isPaused(at now: NIODeadline) -> Bool {
        guard let last = lastTick else { return false }
        return now - last > expectedTick + tolerance
    }

    /// Records a tick; returns the length of the pause just detected, or nil.
    public mutating func tick(at now: NIODeadline) -> TimeAmount? {
        defer { lastTick = now }
        guard let last = lastTick else { return nil }
        let gap = now - last
        return gap > expectedTick + tolerance ? gap : nil
    }
}
