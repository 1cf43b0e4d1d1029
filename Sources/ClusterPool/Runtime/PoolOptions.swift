import ClusterModel
import CoreMetrics
import Foundation
import Logging
import NIOCore

/// How a pool instance gets time, randomness and its operator's name (tests pin them), and where
/// it records metrics and logs (an embedder's own backends).
public struct PoolOptions: Sendable {
    /// Seeds the balancer, backoff and retry jitter.
    public var seed: UInt64
    /// Wall-clock seconds since 1970, for event and audit timestamps.
    public var wallClock: @Sendable () -> Double
    /// Who operator actions are attributed to in the audit log.
    public var user: String
    /// The pool's timer tick: heartbeats are sent and deadlines enforced at this granularity.
    /// Health, rates, pauses and snapshots are checked every 100 ms.
    public var tick: TimeAmount
    /// Where the pool's metrics (`PoolMetricNames`) go; by default the process's bootstrapped
    /// `MetricsSystem` (a no-op until bootstrapped). Tests pass their own: the system can be
    /// bootstrapped only once per process.
    public var metricsFactory: any MetricsFactory
    /// Every pool event is also logged here, at its severity's level, with metadata `cluster`,
    /// `node` and `kind`. By default nowhere: a dashboard's terminal must not get log lines.
    public var logger: Logger

    public init(
        seed: UInt64 = UInt64.random(in: 1 ... .max),
        wallClock: @escaping @Sendable () -> Double = { PoolOptions.unixTime() },
        user: String = PoolOptions.currentUser(),
        tick: TimeAmount = PoolOptions.defaultTick,
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        logger: Logger = Logger(label: "thrifttop.pool", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.seed = seed
        self.wallClock = wallClock
        self.user = user
        self.tick = tick
        self.metricsFactory = metricsFactory
        self.logger = logger
    }

    /// The tick unless one is given: what `NodeSettings.heartbeatTimeout` assumes by default.
    public static let defaultTick = TimeAmount.milliseconds(10)

    public static func unixTime() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// This machine's host name: the default `instance` name.
    public static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// This process's user, named as every operator is (`OperatorIdentity`):
    /// "alice (uid 1000) on HOST".
    public static func currentUser() -> String {
        OperatorIdentity.local(uid: getuid(), host: hostName())
    }
}
