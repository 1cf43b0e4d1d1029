import ClusterModel

/// What the run loop must do after a key, beyond redrawing: `Dashboard.handle` returns these
/// instead of reaching into the loop (htop's habit), which keeps it pure and testable.
public enum DashboardEffect: Sendable, Equatable {
    /// Send an operator command to the pool; feed the result back with `Dashboard.record`.
    case execute(OperatorRequest)
    /// Re-read the cluster file (`:reload`); feed the outcome back with `Dashboard.recordReload`.
    case reload
    /// Leave the dashboard and restore the terminal.
    case quit
    /// Throw away what the terminal shows and repaint everything (Ctrl-L).
    case repaint
    /// Write `contents` to the file at `path` (`:export`), replacing it; feed the outcome back
    /// with `Dashboard.recordWrite`. `what` says what was written, for the status row.
    case write(path: String, contents: String, what: String)
}
