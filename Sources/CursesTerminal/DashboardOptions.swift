import DashboardKit

/// How `DashboardLoop.run` behaves; the executable fills it from its flags.
public struct DashboardOptions: Sendable {
    public var theme: Theme
    /// Mouse clicks and wheel (`--no-mouse` turns them off, e.g. to select text in the terminal).
    public var mouse: Bool
    /// Hide every operator action (`--read-only`).
    public var readOnly: Bool
    /// The most frames a second for changes that come from the cluster; keys may draw sooner
    /// (up to three times this) so typing never waits for the clock.
    public var maxFramesPerSecond: Int
    /// On SIGINT/SIGTERM/SIGHUP, restore the terminal and then die of the signal (the shell sees
    /// a proper signal exit). With false, `run` restores the terminal and throws
    /// `DashboardExit.signal` so the caller can shut down in order.
    public var reraiseSignals: Bool
    /// When set, the loop writes its own CPU use (thread CPU time of its frames and key
    /// handling, frames drawn, wall time) to this file as JSON on exit, for `make bench`.
    public var statsFile: String?
    /// Ring the terminal bell (or flash) when a node gets worse or the cluster falls below
    /// `min_routable` (`--bell`), at most once a second.
    public var bell: Bool

    public init(theme: Theme = .defaultDark, mouse: Bool = true, readOnly: Bool = false, maxFramesPerSecond: Int = 10,
                reraiseSignals: Bool = true, statsFile: String? = nil, bell: Bool = false) {
        self.bell = bell
        self.statsFile = statsFile
        self.theme = theme
        self.mouse = mouse
        self.readOnly = readOnly
        self.maxFramesPerSecond = max(1, maxFramesPerSecond)
        self.reraiseSignals = reraiseSignals
    }
}
