import ConfigFormat
import NIOCore

/// `[alerts]`: a program the pool runs when a node changes state or the cluster's routable
/// count crosses `min_routable`, with the change in `THRIFTTOP_*` environment variables.
public struct AlertSettings: Sendable, Equatable {
    /// The program and its arguments, run without a shell; nil: no alerts.
    public var command: [String]?
    /// At most one run per node (and one for the cluster alert) in this time; changes in
    /// between are folded into the next run.
    public var minInterval: TimeAmount = .seconds(30)
    /// A run still going after this is killed (and reported).
    public var timeout: TimeAmount = .seconds(10)
    /// A method whose calls of the last 30–60 s fail at this share or more (0–1) is alerted as
    /// failing, and again when it is back under; nil: no method alerts.
    public var methodErrorRate: Double?
    /// Fewer calls than this in the window decide nothing (two failures of three are no rate).
    public var minCalls = 20
    /// Each alert writes the cluster's snapshot at that moment here, as JSON; nil: none.
    public var snapshotDirectory: String?
    /// The newest this many alert snapshots are kept there; older ones are removed.
    public var snapshotKeep = 100

    public init() {}
}

extension ClusterConfig {
    static func alertSettings(_ root: ConfigTable) throws -> AlertSettings {
        var alerts = AlertSettings()
        guard let table = try root.table("alerts") else { return alerts }
        try table.checkKeys(allowed: alertKeys)
        if table.contains("command") {
            guard let command = try? table.strings("command") else {
                throw table.error("command", "must be an array of strings: the program and its arguments, run without a shell (e.g. [\"/usr/local/bin/page\", \"--team\", \"db\"])")
            }
            guard let program = command.first, !program.isEmpty else {
                throw table.error("command", "must name a program: [\"PROGRAM\", \"ARG\", …] (got an empty array)")
            }
            alerts.command = command
        }
        alerts.minInterval = try seconds(table, "min_interval_s", range: 0...86_400) ?? alerts.minInterval
        alerts.timeout = try seconds(table, "timeout_s", range: 0.1...3600) ?? alerts.timeout
        alerts.methodErrorRate = try table.number("method_error_rate", range: 0...1)
        alerts.minCalls = try table.int("min_calls", range: 1...1_000_000) ?? alerts.minCalls
        if let directory = try table.string("snapshot_dir") {
            guard !directory.isEmpty else { throw table.error("snapshot_dir", "must be a directory path") }
            alerts.snapshotDirectory = directory
        }
        alerts.snapshotKeep = try table.int("snapshot_keep", range: 1...1_000_000) ?? alerts.snapshotKeep
        return alerts
    }
}
