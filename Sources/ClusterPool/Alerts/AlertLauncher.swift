import NIOCore

/// One run of the `[alerts]` command: the program and arguments, the `THRIFTTOP_*` variables
/// added to the pool's own environment, and how long it may take.
struct AlertRun: Equatable, Sendable {
    var command: [String]
    var environment: [String: String]
    var timeout: TimeAmount
}

/// How a run ended. The tail of what the command wrote to stderr comes along, sanitized.
enum AlertOutcome: Equatable, Sendable {
    case exited(status: Int32, stderr: String)
    case signalled(Int32, stderr: String)
    case timedOut(stderr: String)
    /// It never ran: no such file, permission denied…
    case failedToStart(String)
}

/// Starts alert commands without blocking the caller and reports each outcome once, on any
/// thread. The pool's is `ProcessAlertLauncher`; a driven test records runs instead.
protocol AlertLauncher: Sendable {
    func launch(_ run: AlertRun, completion: @escaping @Sendable (AlertOutcome) -> Void)
}
