/// How long an attached dashboard waits before reconnecting to a daemon after `failures`
/// failures in a row: 0.25 s, doubling, at most 5 s. No jitter: one dashboard is not a herd,
/// and an operator wants the screen back soon after the daemon is.
public enum AttachBackoff {
    public static let first = Duration.milliseconds(250)
    public static let cap = Duration.seconds(5)

    public static func delay(afterFailures failures: Int) -> Duration {
        guard failures > 1 else { return first }
        let doublings = min(failures - 1, 5)
        return min(cap, first * (1 << doublings))
    }
}
