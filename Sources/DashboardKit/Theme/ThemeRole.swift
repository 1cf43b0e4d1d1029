import ClusterModel

/// What a piece of the screen *is* (a down node, a warning, a border): widgets tag cells with a
/// role and a theme decides how each role looks, so the same Screen can be drawn in any theme.
/// The raw values are the keys of a theme file's `[roles]` table.
public enum ThemeRole: String, Sendable, CaseIterable, Hashable {
    case text, dim, border
    case borderFocused = "border_focused"
    case title, header
    case columnHeader = "column_header"
    case selected
    case up, degraded, starting, draining, suspect, down, unknown
    case info, notice, warning, error
    case sparkline, histogram, paused, panic, dialog, key, input

    /// The role that draws a node in `health`.
    public static func health(_ health: NodeHealth) -> ThemeRole {
        switch health {
        case .unknown: .unknown
        case .up: .up
        case .degraded: .degraded
        case .starting: .starting
        case .draining: .draining
        case .suspect: .suspect
        case .down: .down
        }
    }

    /// The role that draws an event of `severity`.
    public static func severity(_ severity: EventSeverity) -> ThemeRole {
        switch severity {
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        }
    }
}
