import Foundation

/// One cluster as a dashboard shows it: the newest snapshot it has and whether those figures
/// are live. A dashboard over its own pool has one `.live` feed; `thrifttop attach` has one per
/// daemon, and a daemon that went away keeps its last snapshot, marked `.unreachable`, so a
/// stale screen is never shown as live.
public struct ClusterFeed: Equatable, Sendable {
    public enum Link: Equatable, Sendable {
        /// The figures are current.
        case live
        /// No snapshot yet: the first connection is being made.
        case connecting
        /// The last connection failed or ended at `since` (first failure of this outage);
        /// `reason` says how; `retryAt` is the next attempt.
        case unreachable(since: Date, reason: String, retryAt: Date?)

        /// Stale since `seconds` (since 1970), with no retry: a replay's stretch with nothing recorded.
        public static func stale(sinceUnixSeconds seconds: Double, reason: String) -> Link {
            .unreachable(since: Date(timeIntervalSince1970: seconds), reason: reason, retryAt: nil)
        }
    }

    /// Where the figures come from (`unix:PATH`, `http://HOST:PORT`), nil for this process's pool.
    public var source: String?
    public var snapshot: ClusterSnapshot
    public var link: Link
    /// Who this dashboard acts as there, as that cluster's authority names operators (the
    /// local user; over attach, what the daemon said); nil until known.
    public var operatorName: String?

    public init(source: String? = nil, snapshot: ClusterSnapshot, link: Link = .live, operatorName: String? = nil) {
        self.source = source
        self.snapshot = snapshot
        self.link = link
        self.operatorName = operatorName
    }

    public var isLive: Bool { link == .live }

    /// No snapshot has ever come (an attach whose daemon never answered): there is no cluster
    /// to show, only where it was sought and why it is not there.
    public var neverAnswered: Bool { !isLive && snapshot.clusterName.isEmpty && snapshot.nodes.isEmpty && snapshot.wallTime == 0 }

    /// The cluster's name, or where it is attached while no snapshot has come.
    public var name: String {
        snapshot.clusterName.isEmpty ? (source ?? "?") : snapshot.clusterName
    }
}

extension ClusterSnapshot {
    /// No cluster yet: what a feed shows before its first snapshot comes.
    public static let empty = ClusterSnapshot(clusterName: "", wallTime: 0, nodes: [], events: [])
}
