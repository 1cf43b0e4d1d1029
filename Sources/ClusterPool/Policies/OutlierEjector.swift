import NIOCore

/// Passive outlier detection from real traffic (Envoy's "consecutive 5xx"): a node whose calls
/// fail `consecutiveFailures` times in a row is ejected for `baseEjection × n` (n = how often it
/// was ejected, capped at `maxEjection`), never ejecting more than `maxEjectedShare` of nodes —
/// ejecting everyone would turn a partial outage into a total one.
public struct OutlierEjector: Sendable {
    public let consecutiveFailures: Int
    public let baseEjection: TimeAmount
    public let maxEjection: TimeAmount
    public let maxEjectedShare: Double

    struct NodeRecord: Sendable {
        var failures = 0
        var ejections = 0
        var ejectedUntil: NIODeadline?
    }

    private var records: [NodeRecord]

    public init(nodeCount: Int, consecutiveFailures: Int = 5, baseEjection: TimeAmount = .seconds(30),
                maxEjection: TimeAmount = .seconds(300), maxEjectedShare: Double = 0.5) {
        self.consecutiveFailures = consecutiveFailures
        self.baseEjection = baseEjection
        self.maxEjection = maxEjection
        self.maxEjectedShare = maxEjectedShare
        records = Array(repeating: NodeRecord(), count: nodeCount)
    }

    /// A reload renumbered the nodes: `oldIndices[i]` is where node `i` was (nil: a new node,
    /// with a clean record).
    public mutating func reindex(_ oldIndices: [Int?]) {
        records = oldIndices.map { $0.map { records[$0] } ?? NodeRecord() }
    }

    public func isEjected(_ node: Int, at now: NIODeadline) -> Bool {
        records[node].ejectedUntil.map { now < $0 } ?? false
    }

    public func ejectedUntil(_ node: Int) -> NIODeadline? { records[node].ejectedUntil }

    public func ejectedCount(at now: NIODeadline) -> Int {
        records.indices.filter { isEjected($0, at: now) }.count
    }

    public mutating func recordSuccess(_ node: Int) {
        records[node].failures = 0
    }

    /// Counts a failed call; returns the ejection length when this failure ejects the node.
    public mutating func recordFailure(_ node: Int, at now: NIODeadline) -> TimeAmount? {
        records[node].failures += 1
        guard records[node].failures >= consecutiveFailures, !isEjected(node, at: now) else { return nil }
        let allowed = Int((Double(records.count) * maxEjectedShare).rounded(.down))
        guard ejectedCount(at: now) < allowed else { return nil }
        records[node].ejections += 1
        records[node].failures = 0
        let length = min(maxEjection, baseEjection * Int64(records[node].ejections))
        records[node].ejectedUntil = now + length
        return length
    }
}
