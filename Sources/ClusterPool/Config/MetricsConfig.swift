import ConfigFormat

/// `[metrics]`: what the pool records beyond its fixed set (see `PoolMetricNames`).
public struct MetricsSettings: Sendable, Equatable {
    /// Duration histograms per node instead of per cluster: at 10,000 nodes they would make a
    /// scrape of tens of MB, so off by default.
    public var perNodeHistograms = false
    /// Distinct methods counted per cluster; the calls of any further one count as `(other)`.
    /// 0: no per-method accounting at all (what `make bench` compares against).
    public var maxMethods = 200

    public init() {}
}

extension ClusterConfig {
    static func metricsSettings(_ root: ConfigTable) throws -> MetricsSettings {
        var metrics = MetricsSettings()
        guard let table = try root.table("metrics") else { return metrics }
        try table.checkKeys(allowed: metricsKeys)
        metrics.perNodeHistograms = try table.bool("per_node_histograms") ?? false
        metrics.maxMethods = try table.int("max_methods", range: 0...10_000) ?? metrics.maxMethods
        return metrics
    }
}
