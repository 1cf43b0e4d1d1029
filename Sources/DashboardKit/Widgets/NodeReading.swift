import ClusterModel

// How the screen reads a node beyond its raw figures: one place for each rule, so the table,
// the header, the detail and the legend cannot disagree.

extension NodeSnapshot {
    /// How long an error stays news on a node that serves: an error that keeps coming (call
    /// exceptions on a node whose heartbeats pass) is never older than this.
    static let errorNewsSeconds = 5.0

    /// Serving, not suspect or ejected, and its last error older than `errorNewsSeconds` at wall
    /// time `now`: that error is history (dimmed), not news.
    func recovered(at now: Double) -> Bool {
        serving && health != .suspect && ejectedFor == nil && (lastErrorAt.map { now - $0 >= Self.errorNewsSeconds } ?? true)
    }
}

/// The slow-node mark (`!` after P50). A node is slow when its p50 is over `factor` times the
/// median p50 of the nodes that have one, and at least `margin` ms above it: the factor finds
/// the outlier whatever the cluster's speed, the margin keeps sub-millisecond noise from
/// marking anything. Needs `minimumNodes` with a p50, as a median of two says little.
enum SlowNode {
    static let factor = 4.0
    static let margin = 5.0
    static let minimumNodes = 3

    static func isSlow(_ node: NodeSnapshot, medianP50 median: Double?) -> Bool {
        guard let median, let p50 = node.latencyP50 else { return false }
        return p50 > median * factor && p50 - median >= margin
    }

    /// The median p50 of `nodes`, nil with fewer than `minimumNodes` measured. Worked out once per
    /// snapshot (`NodeMemos`).
    static func medianP50(_ nodes: [NodeSnapshot]) -> Double? {
        NodeMemos.medianP50.value(nodes, 0) {
            var values: [Double] = []
            values.reserveCapacity(nodes.count)
            for i in nodes.indices { if let p50 = nodes[i].latencyP50 { values.append(p50) } }
            guard values.count >= minimumNodes else { return nil }
            values.sort()
            let mid = values.count / 2
            return values.count % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2
        }
    }

    /// The rule in words, for the legend.
    static var rule: String {
        "p50 over \(Format.fixed(factor, 0))× the cluster's median p50 and \(Format.fixed(margin, 0)) ms above it"
    }
}
