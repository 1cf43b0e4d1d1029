import ClusterModel
import ClusterPool
import DemoCluster
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Testing

/// The pool as a swift-service-lifecycle `Service` in an embedder's `ServiceGroup`.
@Suite("Pool as a service")
struct PoolServiceTests {
    @Test func aServiceGroupStartsThePoolAndItsGracefulShutdownStopsIt() async throws {
        let server = DemoServer(spec: DemoNodeSpec(name: "a"), group: LiveCluster.serverGroup)
        try await server.start()
        var settings = NodeSettings()
        settings.heartbeatInterval = .milliseconds(100)
        let config = ClusterConfig(name: "svc", nodes: [NodeConfig(name: "a", address: NodeAddress(host: "127.0.0.1", port: server.port), settings: settings)])
        let pool = try ClusterPool(config: config, eventLoop: LiveCluster.poolGroup.next(), options: PoolOptions(seed: 1, user: "tester"))
        let group = ServiceGroup(services: [pool], logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let running = Task { try await group.run() }
        do {
            // run() started the pool: the node comes up and the server sees its connection.
            try await Self.eventually("a up") { try await pool.currentSnapshot().node(named: "a")?.health == .up }
            #expect((server.counters["demo.connections"] ?? 0) >= 1)
            await group.triggerGracefulShutdown()
            try await running.value
            // Stopped: its connections closed, and it takes no more calls.
            try await Self.eventually("the pool's connections closed") { server.counters["demo.connections"] == 0 }
            await #expect(throws: PoolCallError.noRoutableNode) { _ = try await pool.call(DemoService.Work.self, .init(costMicros: 1, payload: [])) }
        } catch {
            running.cancel()
            await pool.stop()
            await server.stop()
            throw error
        }
        await server.stop()
    }

    static func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("timed out waiting for \(what)")
    }
}
