import ClusterModel
import CoreMetrics

/// The pool's metric handles (`PoolMetricNames`), recorded through swift-metrics into the
/// factory the embedder gave (`PoolOptions.metricsFactory`): the cluster's own, and a
/// `NodeMetrics` made once for each node. Owned by the pool's loop, as `PoolCore` is.
final class PoolMetrics {
    let factory: any MetricsFactory
    let cluster: String
    /// The cluster's duration histograms; nil with `[metrics] per_node_histograms`, when each
    /// node has its own (label `node`) instead. Never both, so summing a histogram over its
    /// series counts every call once.
    private let clusterHistograms: (call: Timer, heartbeat: Timer)?
    let retries: Counter
    let retryBudgetExhausted: Counter
    private let routableNodes: Gauge
    private let availability: Gauge
    /// Kept up to date from each node's routable flips (`NodeMetrics.show`): no pass over the nodes.
    private var routableCount = 0
    private var operatorActions: [String: Counter] = [:]
    /// Per method (at most `[metrics] max_methods` and `(other)`): calls by outcome, latency.
    private var methods: [String: MethodMetrics] = [:]
    /// Per node and method, attempts by outcome and latency: only with `per_node_histograms`
    /// (nodes × methods series), by "node\0method".
    private var nodeMethods: [String: MethodMetrics]?
    private var destroyed = false

    init(cluster: String, settings: MetricsSettings, factory: any MetricsFactory) {
        self.factory = factory
        self.cluster = cluster
        let dimensions = [("cluster", cluster)]
        clusterHistograms = settings.perNodeHistograms ? nil : (
            Timer(label: PoolMetricNames.callDuration, dimensions: dimensions, factory: factory),
            Timer(label: PoolMetricNames.heartbeatDuration, dimensions: dimensions, factory: factory))
        retries = Counter(label: PoolMetricNames.retries, dimensions: dimensions, factory: factory)
        retryBudgetExhausted = Counter(label: PoolMetricNames.retryBudgetExhausted, dimensions: dimensions, factory: factory)
        routableNodes = Gauge(label: PoolMetricNames.routableNodes, dimensions: dimensions, factory: factory)
        availability = Gauge(label: PoolMetricNames.availability, dimensions: dimensions, factory: factory)
        routableNodes.record(0)
        availability.record(0)
        nodeMethods = settings.perNodeHistograms ? [:] : nil
    }

    /// The handles of a node joining the pool (at start, or added by a reload).
    func makeNode(_ config: NodeConfig) -> NodeMetrics {
        NodeMetrics(cluster: cluster, node: config.name, weight: config.weight, factory: factory, clusterHistograms: clusterHistograms)
    }

    /// A node leaves the pool: its series go, and it no longer counts as routable.
    func forget(_ node: NodeMetrics) {
        if node.isRoutable { routableChanged(by: -1) }
        node.destroy()
    }

    func routableChanged(by delta: Int) {
        guard delta != 0, !destroyed else { return }
        routableCount += delta
        routableNodes.record(routableCount)
    }

    func showAvailability(_ value: Double) {
        guard !destroyed else { return }
        availability.record(value)
    }

    /// `action` as the admin API names commands (drain, undrain, weight, reset_weight, undo).
    func operatorAction(_ command: OperatorCommand, done: Bool) {
        guard !destroyed else { return }
        let action = switch command {
        case .drain: "drain"
        case .undrain: "undrain"
        case .setWeight: "weight"
        case .resetWeight: "reset_weight"
        case .undo: "undo"
        }
        let key = "\(action)/\(done)"
        let counter = operatorActions[key] ?? Counter(
            label: PoolMetricNames.operatorActions,
            dimensions: [("cluster", cluster), ("action", action), ("outcome", done ? "done" : "refused")], factory: factory)
        operatorActions[key] = counter
        counter.increment()
    }

    /// A call of `method` ended (`millis` from its start when answered).
    func methodCall(_ method: String, _ outcome: MethodOutcome, millis: Double?) {
        guard !destroyed else { return }
        // Stored only when new: a write per call would hash the name twice.
        if let handles = methods[method] { return handles.record(outcome, millis: millis) }
        let handles = MethodMetrics(labels: (PoolMetricNames.methodCalls, PoolMetricNames.methodCallDuration),
                                    dimensions: [("cluster", cluster), ("method", method)], factory: factory)
        methods[method] = handles
        handles.record(outcome, millis: millis)
    }

    /// A node left the pool: its per-method series go with it.
    func forgetMethods(ofNode node: String) {
        guard let all = nodeMethods else { return }
        let prefix = node + "\u{0}"
        for (key, handles) in all where key.hasPrefix(prefix) {
            handles.destroy()
            nodeMethods?[key] = nil
        }
    }

    /// An attempt of `method` ended on `node`: counted only with `per_node_histograms`.
    func methodAttempt(_ method: String, node: String, _ outcome: MethodOutcome, millis: Double?) {
        guard !destroyed, nodeMethods != nil else { return }
        let key = node + "\u{0}" + method
        if let handles = nodeMethods?[key] { return handles.record(outcome, millis: millis) }
        let handles = MethodMetrics(labels: (PoolMetricNames.methodAttempts, PoolMetricNames.methodAttemptDuration),
                                    dimensions: [("cluster", cluster), ("node", node), ("method", method)], factory: factory)
        nodeMethods?[key] = handles
        handles.record(outcome, millis: millis)
    }

    /// The pool stopped: every series of the cluster goes (nodes are forgotten by their owner).
    func destroy() {
        guard !destroyed else { return }
        destroyed = true
        clusterHistograms?.call.destroy()
        clusterHistograms?.heartbeat.destroy()
        for counter in [retries, retryBudgetExhausted] + Array(operatorActions.values) { counter.destroy() }
        for method in methods.values { method.destroy() }
        for method in (nodeMethods ?? [:]).values { method.destroy() }
        routableNodes.destroy()
        availability.destroy()
    }
}

@available(*, unavailable)
extension PoolMetrics: Sendable {}

/// One method's series (or one node's and method's): a counter by outcome and the latency
/// histogram, under the two `labels` given.
final class MethodMetrics {
    private let labels: (count: String, duration: String)
    private let dimensions: [(String, String)]
    private let factory: any MetricsFactory
    private var calls: [String: Counter] = [:]
    private let duration: Timer

    init(labels: (count: String, duration: String), dimensions: [(String, String)], factory: any MetricsFactory) {
        self.labels = labels
        self.dimensions = dimensions
        self.factory = factory
        duration = Timer(label: labels.duration, dimensions: dimensions, factory: factory)
    }

    func record(_ outcome: MethodOutcome, millis: Double?) {
        let name = outcome.metricLabel
        let counter = calls[name] ?? Counter(label: labels.count, dimensions: dimensions + [("outcome", name)], factory: factory)
        calls[name] = counter
        counter.increment()
        if let millis { duration.recordNanoseconds(Int64(millis * 1e6)) }
    }

    func destroy() {
        for counter in calls.values { counter.destroy() }
        duration.destroy()
    }
}

@available(*, unavailable)
extension MethodMetrics: Sendable {}

extension MethodOutcome {
    /// The `outcome` label of `thrifttop_method_calls_total`.
    var metricLabel: String {
        switch self {
        case .success: "success"
        case .declared: "declared_exception"
        case .application: "application_exception"
        case .timeout: "timeout"
        case .transport: "transport"
        case .refused: "refused"
        case .sent: "sent"
        }
    }
}
