import ClusterModel
import CoreMetrics
import Logging
import MetricsTestKit
import NIOConcurrencyHelpers
import NIOCore
import Testing
import ThriftWire
@testable import ClusterPool

/// What the pool records through swift-metrics and logs through swift-log, on a driven clock,
/// into a factory and a log handler of the test's own (never the process's bootstrapped ones).
@Suite("Pool metrics and logs on a driven clock")
struct PoolMetricsTests {
    static func node(_ name: String, _ more: (String, String)...) -> [(String, String)] {
        [("cluster", "driven"), ("node", name)] + more
    }

    static let cluster = [("cluster", "driven")]

    @Test func gaugesFollowEachNodesStateAndHandlesAreMadeOncePerNodeNotPerHeartbeat() throws {
        let metrics = CountingMetrics()
        let cluster = try DrivenCluster(["a", "b"], options: { $0.metricsFactory = metrics })
        let names = PoolMetricNames.self
        cluster.at(ms: 1)
        for name in ["a", "b"] {
            #expect(try metrics.gauge(names.nodeUp, Self.node(name)) == 1)
            #expect(try metrics.gauge(names.nodeRoutable, Self.node(name)) == 1)
            #expect(try metrics.gauge(names.nodeHealth, Self.node(name, ("health", "up"))) == 1)
            #expect(try metrics.gauge(names.nodeWeight, Self.node(name)) == 100)
            #expect(try metrics.gauge(names.nodeDrained, Self.node(name)) == 0)
        }
        #expect(try metrics.gauge(names.routableNodes, Self.cluster) == 2)
        // The state it left is 0; a state it never was in has no series.
        #expect(try metrics.gauge(names.nodeHealth, Self.node("a", ("health", "unknown"))) == 0)
        #expect(throws: TestMetricsError.self) { try metrics.gauge(names.nodeHealth, Self.node("a", ("health", "down"))) }

        let made = metrics.made
        cluster.at(ms: 10_080)
        #expect(metrics.made == made, "ten seconds of heartbeats made no new handle")
        let heartbeats = cluster["a"].heartbeats.count
        #expect(heartbeats == 101)
        #expect(try metrics.test.expectCounter(names.heartbeats, Self.node("a", ("outcome", "ok"))).totalValue == Int64(heartbeats))
        let durations = try metrics.test.expectTimer(names.heartbeatDuration, Self.cluster).values
        #expect(durations.count == heartbeats + cluster["b"].heartbeats.count)
        #expect(durations.allSatisfy { $0 == 1_000_000 }, "the scripted servers answer in exactly 1 ms")
        #expect(try metrics.gauge(names.availability, Self.cluster) == 1)

        cluster["b"].crash()
        #expect(try metrics.gauge(names.nodeUp, Self.node("b")) == 0)
        #expect(try metrics.gauge(names.nodeRoutable, Self.node("b")) == 0)
        #expect(try metrics.gauge(names.nodeHealth, Self.node("b", ("health", "down"))) == 1)
        #expect(try metrics.gauge(names.nodeHealth, Self.node("b", ("health", "up"))) == 0)
        #expect(try metrics.gauge(names.routableNodes, Self.cluster) == 1)

        // The capacity floor refuses; forced, the drain is done: a drained node still answers.
        #expect(try cluster.execute(.drain(node: "a", force: false)).isDone == false)
        #expect(try cluster.execute(.drain(node: "a", force: true)).isDone)
        #expect(try metrics.gauge(names.nodeDrained, Self.node("a")) == 1)
        #expect(try metrics.gauge(names.nodeRoutable, Self.node("a")) == 0)
        #expect(try metrics.gauge(names.nodeUp, Self.node("a")) == 1)
        #expect(try metrics.gauge(names.nodeHealth, Self.node("a", ("health", "draining"))) == 1)
        #expect(try metrics.gauge(names.routableNodes, Self.cluster) == 0)
        let actions = { (outcome: String) in [("cluster", "driven"), ("action", "drain"), ("outcome", outcome)] }
        #expect(try metrics.test.expectCounter(names.operatorActions, actions("refused")).totalValue == 1)
        #expect(try metrics.test.expectCounter(names.operatorActions, actions("done")).totalValue == 1)
        #expect(try cluster.execute(.setWeight(node: "a", weight: 7)).isDone)
        #expect(try metrics.gauge(names.nodeWeight, Self.node("a")) == 7)

        // A node leaving (live reload) takes its series with it.
        cluster.core.forgetMetrics(of: cluster.node("a"))
        #expect(throws: TestMetricsError.self) { try metrics.gauge(names.nodeUp, Self.node("a")) }
        #expect(throws: TestMetricsError.self) { try metrics.test.expectCounter(names.heartbeats, Self.node("a", ("outcome", "ok"))) }
        #expect(try metrics.gauge(names.nodeUp, Self.node("b")) == 0)
        cluster.stop()
        #expect(metrics.test.recorders.isEmpty && metrics.test.counters.isEmpty && metrics.test.timers.isEmpty, "a stopped pool leaves no series")
    }

    @Test func aReloadRemovesTheSeriesOfNodesThatWentAndMakesThoseOfNodesAdded() throws {
        let metrics = CountingMetrics()
        let cluster = try DrivenCluster(["a", "b"], spare: ["c"], options: { $0.metricsFactory = metrics })
        let names = PoolMetricNames.self
        cluster.at(ms: 250)
        var config = cluster.core.config
        config.nodes.removeFirst()
        config.nodes.append(NodeConfig(name: "c", address: NodeAddress(host: "127.0.0.1", port: 9002), settings: config.nodes[0].settings))
        config.nodes[0].weight = 40
        _ = cluster.core.reload(config, policies: try PoolPolicies.make(config, maintenanceInterval: PoolCore.maintenanceInterval))
        cluster.at(ms: 600)
        #expect(throws: TestMetricsError.self, "a's series left with it") { try metrics.gauge(names.nodeUp, Self.node("a")) }
        #expect(try metrics.gauge(names.nodeUp, Self.node("c")) == 1)
        #expect(try metrics.gauge(names.nodeWeight, Self.node("b")) == 40, "a config weight changed in place shows at once")
        #expect(try metrics.gauge(names.routableNodes, Self.cluster) == 2)
    }

    @Test func callsCountByOutcomeRetriesAndPerNodeHistogramsOnlyWithTheKey() throws {
        let metrics = CountingMetrics()
        let cluster = try DrivenCluster(["a", "b"], configure: { $0.metrics.perNodeHistograms = true },
                                        options: { $0.metricsFactory = metrics })
        let names = PoolMetricNames.self
        cluster.at(ms: 1)
        cluster["a"].callBehaviour = .raise(TApplicationException(.internalError, message: "boom"))
        var replies: [EventLoopFuture<PoolReply>] = []
        for _ in 0..<6 { replies.append(cluster.call()) }
        cluster.at(ms: 50)
        #expect(replies.allSatisfy { (try? $0.wait()) != nil }, "exception replies are replies")
        let ok = try metrics.test.expectCounter(names.calls, Self.node("b", ("outcome", "ok"))).totalValue
        let raised = try metrics.test.expectCounter(names.calls, Self.node("a", ("outcome", "exception"))).totalValue
        #expect(ok + raised == 6)
        // Per node, not for the cluster: summing the series counts every call once.
        #expect(try metrics.test.expectTimer(names.callDuration, Self.node("b")).values.count == Int(ok))
        #expect(throws: TestMetricsError.self) { try metrics.test.expectTimer(names.callDuration, Self.cluster) }
        #expect(throws: TestMetricsError.self) { try metrics.test.expectTimer(names.heartbeatDuration, Self.cluster) }

        // A hung node: the idempotent call times out there and is retried on the other.
        cluster["a"].callBehaviour = .hang
        cluster["b"].callBehaviour = .hang
        let hung = cluster.call(idempotent: true, timeout: .milliseconds(500))
        cluster.at(ms: 1000)
        #expect(throws: (any Error).self) { try hung.wait() }
        // Node a may have been ejected after its exceptions: both attempts may have gone to b.
        let timeouts = ["a", "b"].map { (try? metrics.test.expectCounter(names.calls, Self.node($0, ("outcome", "timeout"))).totalValue) ?? 0 }
        #expect(timeouts.reduce(0, +) >= 2)
        #expect(try metrics.test.expectCounter(names.retries, Self.cluster).totalValue >= 1)
    }

    @Test func everyEventIsLoggedAtItsSeverityWithClusterNodeAndKind() throws {
        let records = NIOLockedValueBox<[CapturedLog]>([])
        let logger = Logger(label: "test") { _ in CapturingLogHandler(records: records) }
        let cluster = try DrivenCluster(["a"], options: { $0.logger = logger })
        cluster.at(ms: 350)
        cluster["a"].crash()
        _ = try cluster.execute(.drain(node: "a", force: true))
        let events = cluster.events()
        let logged = records.withLockedValue { $0 }
        #expect(logged.map(\.message) == events.map(\.message))
        #expect(logged.map(\.level) == events.map(\.severity.logLevel))
        #expect(logged.allSatisfy { $0.metadata["cluster"] == "driven" })
        let down = try #require(logged.first { $0.message == "up → down: connection to 127.0.0.1:9000 closed by the server or reset" })
        #expect(down.level == .error)
        #expect(down.metadata["node"] == "a" && down.metadata["kind"] == "state_change")
        #expect(logged.contains { $0.message.hasPrefix("pool started") && $0.metadata["node"] == nil }, "the pool's own events name no node")
    }
}

/// The test kit's factory, counting every handle made, so a test can tell that heartbeats make none.
final class CountingMetrics: MetricsFactory {
    let test = TestMetrics()
    private let count = NIOLockedValueBox(0)
    var made: Int { count.withLockedValue { $0 } }

    func gauge(_ label: String, _ dimensions: [(String, String)]) throws -> Double? {
        try test.expectGauge(label, dimensions).lastValue
    }

    private func counted<T>(_ make: () -> T) -> T {
        count.withLockedValue { $0 += 1 }
        return make()
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        counted { test.makeCounter(label: label, dimensions: dimensions) }
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        counted { test.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate) }
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        counted { test.makeMeter(label: label, dimensions: dimensions) }
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        counted { test.makeTimer(label: label, dimensions: dimensions) }
    }

    func destroyCounter(_ handler: any CounterHandler) { test.destroyCounter(handler) }
    func destroyRecorder(_ handler: any RecorderHandler) { test.destroyRecorder(handler) }
    func destroyMeter(_ handler: any MeterHandler) { test.destroyMeter(handler) }
    func destroyTimer(_ handler: any TimerHandler) { test.destroyTimer(handler) }
}

struct CapturedLog: Sendable {
    var level: Logger.Level
    var message: String
    var metadata: [String: String]
}

/// Keeps every log record, metadata as plain strings.
struct CapturingLogHandler: LogHandler {
    let records: NIOLockedValueBox<[CapturedLog]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }.mapValues { "\($0)" }
        records.withLockedValue { $0.append(CapturedLog(level: event.level, message: event.message.description, metadata: merged)) }
    }
}
