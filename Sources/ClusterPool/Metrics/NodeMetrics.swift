import ClusterModel
import CoreMetrics

/// One node's metric handles: made once when the node joins the pool, never per heartbeat or
/// call, and destroyed (`destroy`) when it leaves, so its series leave the exporter too.
///
/// Recording must not cost the heartbeat path: the gauges are written only when the value they
/// show changes (a few comparisons per input otherwise), and the counters of rarer outcomes are
/// made the first time one happens, so a scrape of 10,000 healthy nodes carries no zero-valued
/// error series.
final class NodeMetrics {
    /// How a heartbeat or call attempt ended, as the `outcome` label says it.
    enum Outcome: Int, CaseIterable {
        case ok, exception, timeout, error

        var label: String {
            switch self {
            case .ok: "ok"
            case .exception: "exception"
            case .timeout: "timeout"
            case .error: "error"
            }
        }
    }

    private let factory: any MetricsFactory
    /// `cluster` and `node`.
    private let dimensions: [(String, String)]
    private let up: Gauge
    private let routable: Gauge
    private let weight: Gauge
    private let drained: Gauge
    /// A series per state the node has been in (1 for the current one, 0 for the others), made
    /// the first time it enters that state and kept: a registry such as swift-prometheus's
    /// copies a metric family's series on every add or remove, so a series made and destroyed
    /// at each change costs O(nodes) per flap at 10,000 nodes (measured: heartbeats 80-160 ms
    /// late), while one made once costs that only once.
    private var health: [NodeHealth: Gauge] = [:]
    private var calls: [Counter?]
    private var heartbeats: [Counter?]
    private var ejections: Counter?
    /// A TLS node's certificate expiry, made at its first handshake.
    private var certExpiry: Gauge?
    private var certExpiryShown: Double?
    /// The node's own histograms with `[metrics] per_node_histograms`, else the cluster's.
    let callDuration: Timer
    let heartbeatDuration: Timer
    private let ownsHistograms: Bool
    /// After `destroy` nothing is recorded: a late outcome must not make a series again.
    private var destroyed = false

    /// What the gauges show now: compared before each write.
    private var shown = Shown()
    struct Shown: Equatable {
        var health = NodeHealth.unknown
        var routable = false
        var weight = 0
        var drained = false
    }

    init(cluster: String, node: String, weight configured: Int, factory: any MetricsFactory,
         clusterHistograms: (call: Timer, heartbeat: Timer)?) {
        self.factory = factory
        dimensions = [("cluster", cluster), ("node", node)]
        up = Gauge(label: PoolMetricNames.nodeUp, dimensions: dimensions, factory: factory)
        routable = Gauge(label: PoolMetricNames.nodeRoutable, dimensions: dimensions, factory: factory)
        weight = Gauge(label: PoolMetricNames.nodeWeight, dimensions: dimensions, factory: factory)
        drained = Gauge(label: PoolMetricNames.nodeDrained, dimensions: dimensions, factory: factory)
        calls = Array(repeating: nil, count: Outcome.allCases.count)
        heartbeats = Array(repeating: nil, count: Outcome.allCases.count)
        // The usual outcome up front: no lazy check on the path every heartbeat takes.
        calls[Outcome.ok.rawValue] = Counter(label: PoolMetricNames.calls, dimensions: dimensions + [("outcome", "ok")], factory: factory)
        heartbeats[Outcome.ok.rawValue] = Counter(label: PoolMetricNames.heartbeats, dimensions: dimensions + [("outcome", "ok")], factory: factory)
        if let clusterHistograms {
            callDuration = clusterHistograms.call
            heartbeatDuration = clusterHistograms.heartbeat
            ownsHistograms = false
        } else {
            callDuration = Timer(label: PoolMetricNames.callDuration, dimensions: dimensions, factory: factory)
            heartbeatDuration = Timer(label: PoolMetricNames.heartbeatDuration, dimensions: dimensions, factory: factory)
            ownsHistograms = true
        }
        up.record(0)
        routable.record(0)
        drained.record(0)
        shown.weight = configured
        weight.record(configured)
        healthGauge(.unknown).record(1)
        // Made now, before heartbeats run: every node comes up at start, each in the same second.
        healthGauge(.up).record(0)
    }

    /// Brings the gauges to `now`; returns how the node's routable count changed (-1, 0, +1)
    /// for the cluster's gauge.
    func show(_ now: Shown) -> Int {
        guard now != shown, !destroyed else { return 0 }
        let before = shown
        shown = now
        if now.health != before.health {
            healthGauge(before.health).record(0)
            healthGauge(now.health).record(1)
            if Self.answers(now.health) != Self.answers(before.health) { up.record(Self.answers(now.health) ? 1 : 0) }
        }
        if now.weight != before.weight { weight.record(now.weight) }
        if now.drained != before.drained { drained.record(now.drained ? 1 : 0) }
        guard now.routable != before.routable else { return 0 }
        routable.record(now.routable ? 1 : 0)
        return now.routable ? 1 : -1
    }

    var isRoutable: Bool { shown.routable }

    /// `thrifttop_node_up`: the node answers its heartbeats (an operator's drain does not change that).
    static func answers(_ health: NodeHealth) -> Bool {
        health == .up || health == .degraded || health == .draining
    }

    private func healthGauge(_ state: NodeHealth) -> Gauge {
        if let gauge = health[state] { return gauge }
        let gauge = Gauge(label: PoolMetricNames.nodeHealth, dimensions: dimensions + [("health", state.rawValue)], factory: factory)
        health[state] = gauge
        return gauge
    }

    func heartbeat(_ outcome: Outcome, nanoseconds: Int64?) {
        guard !destroyed else { return }
        counter(&heartbeats, PoolMetricNames.heartbeats, outcome).increment()
        if let nanoseconds { heartbeatDuration.recordNanoseconds(nanoseconds) }
    }

    func call(_ outcome: Outcome, nanoseconds: Int64?) {
        guard !destroyed else { return }
        counter(&calls, PoolMetricNames.calls, outcome).increment()
        if let nanoseconds { callDuration.recordNanoseconds(nanoseconds) }
    }

    func ejected() {
        guard !destroyed else { return }
        if ejections == nil { ejections = Counter(label: PoolMetricNames.ejections, dimensions: dimensions, factory: factory) }
        ejections?.increment()
    }

    private func counter(_ counters: inout [Counter?], _ label: String, _ outcome: Outcome) -> Counter {
        if let counter = counters[outcome.rawValue] { return counter }
        let counter = Counter(label: label, dimensions: dimensions + [("outcome", outcome.label)], factory: factory)
        counters[outcome.rawValue] = counter
        return counter
    }

    /// The not-after time of the certificate its last handshake showed.
    func certificate(expiresAt notValidAfter: Double) {
        guard !destroyed, certExpiryShown != notValidAfter else { return }
        certExpiryShown = notValidAfter
        let gauge = certExpiry ?? Gauge(label: PoolMetricNames.nodeCertExpiry, dimensions: dimensions, factory: factory)
        certExpiry = gauge
        gauge.record(notValidAfter)
    }

    /// The node left the pool (a reload removed it, or the pool stopped): its series go.
    func destroy() {
        guard !destroyed else { return }
        destroyed = true
        for gauge in [up, routable, weight, drained] { gauge.destroy() }
        certExpiry?.destroy()
        for gauge in health.values { gauge.destroy() }
        for counter in calls + heartbeats + [ejections] { counter?.destroy() }
        if ownsHistograms {
            callDuration.destroy()
            heartbeatDuration.destroy()
        }
    }
}

@available(*, unavailable)
extension NodeMetrics: Sendable {}
