import ClusterModel

/// Everything the dashboard remembers between frames (ratatui's "state that survives frames"):
/// what is selected, how the table is sorted and filtered, what is open on top. Rendering reads
/// it; only `Dashboard.handle` (keys) and `Dashboard.update` (new snapshots) change it.
///
/// The selection is a node *name*, not a row number, so it stays on the same node when rows
/// reorder; `selectedIndex` only remembers where it was, for when that node disappears.
public struct DashboardState: Sendable, Equatable {
    /// The panes of the main view, in Tab order.
    public enum Pane: Sendable, Equatable { case nodes, events }

    /// The full-screen view under any overlay.
    public enum View: Sendable, Equatable {
        case main
        /// One node in depth; the name is captured so the view stays on it.
        case detail(node: String)
        /// The methods (`m`), this one selected (by name: it stays selected while rows re-sort;
        /// nil or gone: the first row).
        case methods(selected: String?)
        /// One method per node.
        case method(name: String)
    }

    /// What is drawn on top and takes the keys first.
    public enum Overlay: Sendable, Equatable {
        case help
        case confirm(ConfirmRequest)
        /// An action refused because the shared state store is unreachable: close, or do it here only.
        case refusal(Refusal)
        case prompt(Prompt)
    }

    public var width: Int
    public var height: Int
    /// Hides every operator action (`--read-only`).
    public var readOnly: Bool

    public var view: View = .main
    public var focus: Pane = .nodes
    public var overlay: Overlay?

    public var selectedNode: String?
    public var selectedIndex = 0
    /// First table row shown.
    public var tableOffset = 0
    /// Worst first until the operator picks a column.
    public var sort = NodeSort.worstFirst
    /// Case-insensitive text matched against name, address, state, fb303 status, group and tags.
    public var filter = ""

    /// What the event log pane shows and where it is scrolled.
    public var log = EventLogView()

    /// Where the node details and the help are scrolled.
    public var scroll = Scrolls()

    /// The clusters attached to, and the one shown.
    public var clusters = ClusterChoice()
    /// When set (`--bell`), decides when the terminal bell rings; nil: never.
    public var bell: BellWatch?

    /// Where a replay is (`thrifttop replay` on a terminal); nil for a live cluster.
    public var replay: ReplayPlayback?

    /// The snapshot on screen while paused (`p`); nil when live.
    public var frozen: ClusterSnapshot?
    public var status: StatusMessage?
    /// Who this dashboard acts as on the selected cluster, as its authority names operators
    /// (nil: not known yet): whose last action `z` undoes.
    public var operatorName: String?

    public init(width: Int = 80, height: Int = 24, readOnly: Bool = false) {
        self.width = width
        self.height = height
        self.readOnly = readOnly
    }


    /// The snapshot to show and act on: the frozen one while paused.
    public func displayed(_ live: ClusterSnapshot) -> ClusterSnapshot { frozen ?? live }
}

/// A one-line message in the status row: the outcome of an action or a hint.
public struct StatusMessage: Sendable, Equatable {
    /// Drawn in a neutral, a success or a failure style.
    public enum Kind: Sendable, Equatable { case info, success, failure }
    public var text: String
    public var kind: Kind

    public init(_ text: String, _ kind: Kind = .info) {
        self.text = text
        self.kind = kind
    }
}

/// An operator command waiting for y/n. The command (and so its node) is fixed when the dialog
/// opens: nothing the operator or the cluster does while it is open can change the target.
public struct ConfirmRequest: Sendable, Equatable {
    public var command: OperatorCommand

    public init(_ command: OperatorCommand) { self.command = command }
}

/// An operator command refused, and why: by the capacity floor (`forced` is the command that
/// overrides it), or by a shared store that cannot be reached (`forced` nil: it can be made here
/// only).
public struct Refusal: Sendable, Equatable {
    public var command: OperatorCommand
    public var reason: String
    public var forced: OperatorCommand?

    public init(_ command: OperatorCommand, reason: String, forced: OperatorCommand? = nil) {
        self.command = command
        self.reason = reason
        self.forced = forced
    }
}

/// A line of text being typed in the bottom row.
public struct Prompt: Sendable, Equatable {
    /// What the typed line is for.
    public enum Kind: Sendable, Equatable {
        /// `/`: the table filter, applied while typing.
        case filter(previous: String)
        /// `:`: drain/undrain/weight/undo, and `cluster NAME` when attached to several.
        case command
        /// `w`: a new weight for the captured node.
        case weight(node: String)
    }

    public var kind: Kind
    public var text: String
    /// Why the last Enter was rejected, shown after the text until the next edit.
    public var error: String?
    /// Names Tab could complete to, shown after the text.
    public var candidates: [String] = []

    public init(_ kind: Kind, text: String = "") {
        self.kind = kind
        self.text = text
    }
}

extension DashboardState {
    public var isPaused: Bool { frozen != nil }

    /// Rows the bar above the header asks for: one per cluster when there are several (the
    /// layout caps them), or the replay's timeline.
    public var clusterRows: Int { replay != nil ? 1 : clusters.names.count > 1 ? clusters.names.count : 0 }
}

/// How far the full-screen node details and the help overlay are scrolled.
public struct Scrolls: Sendable, Equatable {
    public var detail = 0
    public var help = 0

    public init() {}
}

/// The clusters a dashboard is attached to (`thrifttop attach` with several endpoints), in bar
/// order, and the one shown and acted on.
public struct ClusterChoice: Sendable, Equatable {
    /// Empty or one name: no cluster bar.
    public var names: [String] = []
    /// The cluster shown and acted on (index into `names`).
    public var selected = 0

    public init() {}
}

/// The event log pane's filters and scroll position.
public struct EventLogView: Sendable, Equatable {
    /// Events of warning severity and above only.
    public var errorsOnly = false
    /// Events of the selected node only.
    public var selectedNodeOnly = false
    /// The id of the event at the top of the log when scrolled back; nil follows the newest, so
    /// new events do not shift what the operator is reading.
    public var anchor: UInt64?
    public var offset = 0

    public init() {}
}
