/// Why the dashboard could not start or had to stop, as a message for the operator.
public enum TerminalError: Error, Sendable, Equatable, CustomStringConvertible {
    /// stdout or stdin is not a terminal (a pipe, a file, cron).
    case notATerminal
    /// ncurses could not set up the terminal (unknown or missing `TERM`).
    case cannotInitialize(term: String?)
    /// A theme name that is neither a shipped theme nor a file in the theme directories.
    case themeNotFound(name: String, searched: [String], available: [String])
    /// A theme file that could not be read.
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .notATerminal:
            "the dashboard needs a terminal, but stdout is not one. For a one-shot health report a script " +
                "can read, run `thrifttop check CLUSTER.toml` (add --json for JSON)."
        case let .cannotInitialize(term):
            "cannot start the terminal UI for TERM=\(term ?? "(unset)"); try TERM=xterm-256color, " +
                "or `thrifttop check CLUSTER.toml` for a one-shot report."
        case let .themeNotFound(name, searched, available):
            "no theme named \"\(name)\"; looked in \(searched.joined(separator: ", ")). " +
                "Available: \(available.joined(separator: ", ")). A path to a .toml file works too."
        case let .unreadable(path, reason):
            "cannot read \(path): \(reason)"
        }
    }
}

/// How the dashboard ended when it did not end with `q`.
public enum DashboardExit: Error, Sendable, Equatable, CustomStringConvertible {
    /// A signal arrived and `DashboardOptions.reraiseSignals` was off; the terminal is restored.
    case signal(Int32)

    public var description: String {
        switch self {
        case let .signal(number): "stopped by signal \(number)"
        }
    }
}
