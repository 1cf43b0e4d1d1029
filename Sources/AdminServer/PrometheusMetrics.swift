import ClusterPool
import CoreMetrics
import Prometheus

/// Prometheus export of the pool's metrics: a collector registry (what `GET /metrics` writes)
/// and a swift-metrics factory over it that gives every metric its `# HELP` line from
/// `PoolMetricNames.help` (swift-prometheus's own factory leaves help empty, and promtool
/// rejects a metric without one) and duration buckets fit for Thrift round trips.
///
/// `serve` and the dashboard bootstrap the process's `MetricsSystem` with `factory` and hand
/// `registry` to the admin endpoint; an embedder or a test may use one without bootstrapping.
///
///     let metrics = PrometheusMetrics()
///     let pool = try ClusterPool(config: config, eventLoop: loop, options: PoolOptions(metricsFactory: metrics.factory))
///     let admin = try await AdminServer.start(pool: pool, settings: config.admin, group: group, metrics: metrics.registry)
public struct PrometheusMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let factory: any MetricsFactory

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), help: [String: String] = PoolMetricNames.help) {
        self.registry = registry
        factory = DocumentedPrometheusFactory(registry: registry, help: help)
    }

    /// Bootstraps the process's `MetricsSystem` with a new `PrometheusMetrics` (once per
    /// process: a second bootstrap is a crash, by swift-metrics' design).
    public static func bootstrap() -> PrometheusMetrics {
        let metrics = PrometheusMetrics()
        MetricsSystem.bootstrap(metrics.factory)
        return metrics
    }

    /// The content type of the text exposition format `registry` writes.
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
    let registry: PrometheusCollectorRegistry
    let help: [String: String]

    /// A metric of someone else's (an embedder's own) still gets a HELP line: its name.
    private func describe(_ name: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help[name] ?? name)
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: describe(label), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: describe(label), labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: describe(label), labels: dimensions) }
        return registry.makeValueHistogram(descriptor: describe(label), labels: dimensions, buckets: [0.001, 0.01, 0.1, 1, 10, 100, 1000, 10000])
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: describe(label), labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(descriptor: describe(label), labels: dimensions, buckets: PrometheusMetrics.durationBuckets)
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
        if let histogram = handler as? ValueHistogram { registry.unregisterValueHistogram(histogram) }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
    }
}
