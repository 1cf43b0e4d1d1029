import ClusterPool
import CoreMetrics
import NIOConcurrencyHelpers
import Prometheus

/// Prometheus export of the pool's metrics: collector registries (what `GET /metrics` writes,
/// through `exposition()`) and a swift-metrics factory over them that gives every metric its
/// `# HELP` line from `PoolMetricNames.help` (swift-prometheus's own factory leaves help empty,
/// and promtool rejects a metric without one) and duration buckets fit for Thrift round trips.
///
/// The series are spread over `shards` registries by their `node` (or `listener`) label, and
/// the expositions merged per family: swift-prometheus 2.4 copies a metric family's whole set
/// of series on every series added or removed, so at 10,000 nodes one registry took 80 s of
/// the pool's loop to make the nodes' handles (measured; 7 s in all before them), and every
/// later add stalled heartbeats. With 64 shards a family holds ~160 series in each.
///
/// `serve` and the dashboard bootstrap the process's `MetricsSystem` with `factory` and hand
/// this to the admin endpoint; an embedder or a test may use one without bootstrapping.
///
///     let metrics = PrometheusMetrics()
///     let pool = try ClusterPool(config: config, eventLoop: loop, options: PoolOptions(metricsFactory: metrics.factory))
///     let admin = try await AdminServer.start(pool: pool, settings: config.admin, group: group, metrics: metrics)
public struct PrometheusMetrics: Sendable {
    public let registries: [PrometheusCollectorRegistry]
    public let factory: any MetricsFactory

    public init(shards: Int = 64, help: [String: String] = PoolMetricNames.help) {
        precondition(shards >= 1)
        registries = (0..<shards).map { _ in PrometheusCollectorRegistry() }
        factory = DocumentedPrometheusFactory(registries: registries, help: help)
    }

    /// Bootstraps the process's `MetricsSystem` with a new `PrometheusMetrics` (once per
    /// process: a second bootstrap is a crash, by swift-metrics' design).
    public static func bootstrap() -> PrometheusMetrics {
        let metrics = PrometheusMetrics()
        MetricsSystem.bootstrap(metrics.factory)
        return metrics
    }

    /// Every registry's metrics as one text exposition, each family once.
    public func exposition() -> String {
        ExpositionMerge.merge(registries.map { $0.emitToString() })
    }

    /// The content type of the text exposition format.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// From 100 µs (a loopback round trip) to 10 s (beyond any sane call timeout).
    static let durationBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]
}

/// swift-metrics → the registry, with help texts: each handler is the registry's own metric,
/// made from a descriptor that carries the help (the whole name as `metricName`, no unit: the
/// names are fixed already).
struct DocumentedPrometheusFactory: MetricsFactory {
    let registries: [PrometheusCollectorRegistry]
    let help: [String: String]
    /// Which shard holds each live handler (a handler does not say its labels): destroying one
    /// is then one unregister, not one per shard.
    private let owners = NIOLockedValueBox<[ObjectIdentifier: Int]>([:])

    init(registries: [PrometheusCollectorRegistry], help: [String: String]) {
        self.registries = registries
        self.help = help
    }

    /// A node's series (or a listener's) all go to one shard; the cluster's to the first.
    private func shard(_ dimensions: [(String, String)]) -> Int {
        guard registries.count > 1, let key = dimensions.first(where: { $0.0 == "node" }) ?? dimensions.first(where: { $0.0 == "listener" }) else {
            return 0
        }
        var hash: UInt32 = 2_166_136_261  // FNV-1a
        for byte in key.1.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return Int(hash % UInt32(registries.count))
    }

    /// Makes a handler in its shard, remembering the shard.
    private func make<Handler: AnyObject>(_ dimensions: [(String, String)], _ body: (PrometheusCollectorRegistry) -> Handler) -> Handler {
        let index = shard(dimensions)
        let handler = body(registries[index])
        owners.withLockedValue { $0[ObjectIdentifier(handler)] = index }
        return handler
    }

    /// The shard that holds `handler`, forgetting it.
    private func owner(_ handler: AnyObject) -> PrometheusCollectorRegistry? {
        owners.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(handler)) }.map { registries[$0] }
    }

    /// A metric of someone else's (an embedder's own) still gets a HELP line: its name.
    private func describe(_ name: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help[name] ?? name)
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        make(dimensions) { $0.makeCounter(descriptor: describe(label), labels: dimensions) }
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        make(dimensions) { $0.makeCounter(descriptor: describe(label), labels: dimensions) }
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return make(dimensions) { $0.makeGauge(descriptor: describe(label), labels: dimensions) } }
        return make(dimensions) { $0.makeValueHistogram(descriptor: describe(label), labels: dimensions, buckets: [0.001, 0.01, 0.1, 1, 10, 100, 1000, 10000]) }
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        make(dimensions) { $0.makeGauge(descriptor: describe(label), labels: dimensions) }
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        make(dimensions) { $0.makeDurationHistogram(descriptor: describe(label), labels: dimensions, buckets: PrometheusMetrics.durationBuckets) }
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { owner(counter)?.unregisterCounter(counter) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { owner(counter)?.unregisterCounter(counter) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { owner(gauge)?.unregisterGauge(gauge) }
        if let histogram = handler as? ValueHistogram { owner(histogram)?.unregisterValueHistogram(histogram) }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { owner(gauge)?.unregisterGauge(gauge) }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { owner(histogram)?.unregisterDurationHistogram(histogram) }
    }
}
