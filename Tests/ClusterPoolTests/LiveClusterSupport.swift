import ClusterModel
import ClusterPool
import DemoCluster
import NIOCore
import NIOPosix
import Testing
import ThriftWire

/// Demo servers on 127.0.0.1 (OS-chosen ports) and a pool over them, for tests. The servers run
/// on their own threads, the pool on its own loop, as in production.
final class LiveCluster: Sendable {
    static let serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    static let poolGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    let servers: [DemoServer]
    let pool: ClusterPool

    init(_ specs: [DemoNodeSpec], configure: (inout ClusterConfig) -> Void = { _ in }, seed: UInt64 = 7,
         settings: (inout NodeSettings) -> Void = { _ in }) async throws {
        servers = specs.map { DemoServer(spec: $0, group: Self.serverGroup) }
        for server in servers { try await server.start() }
        var nodeSettings = NodeSettings()
        nodeSettings.heartbeatInterval = .milliseconds(100)
        nodeSettings.callTimeout = .milliseconds(200)
        nodeSettings.connectTimeout = .milliseconds(500)
        settings(&nodeSettings)
        var config = ClusterConfig(name: "test", nodes: servers.map { server in
            var s = nodeSettings
            s.protocolKind = server.spec.protocolKind
            s.transport = server.spec.transport
            return NodeConfig(name: server.spec.name, address: NodeAddress(host: "127.0.0.1", port: server.port), settings: s)
        })
        configure(&config)
        pool = try ClusterPool(config: config, eventLoop: Self.poolGroup.next(), options: PoolOptions(seed: seed, user: "tester"))
        try await pool.start()
    }

    func stop() async {
        await pool.stop()
        for server in servers { await server.stop() }
    }

    func node(_ name: String) async throws -> NodeSnapshot {
        try #require(try await pool.currentSnapshot().node(named: name))
    }

    /// Polls the snapshot until `condition` holds, failing after `seconds`.
    @discardableResult
    func waitFor(_ what: String, seconds: Double = 5, pollMillis: Int64 = 10,
                 _ condition: (ClusterSnapshot) -> Bool) async throws -> ClusterSnapshot {
        let deadline = NIODeadline.now() + .nanoseconds(Int64(seconds * 1e9))
        while true {
            let snapshot = try await pool.currentSnapshot()
            if condition(snapshot) { return snapshot }
            guard NIODeadline.now() < deadline else {
                let states = snapshot.nodes.map { "\($0.name)=\($0.health.rawValue)" }.joined(separator: " ")
                Issue.record("timed out after \(seconds)s waiting for \(what); nodes: \(states); last events: \(snapshot.events.suffix(8).map(\.message))")
                return snapshot
            }
            try await Task.sleep(for: .milliseconds(pollMillis))
        }
    }

    func allUp() async throws {
        try await waitFor("all nodes up") { $0.nodes.allSatisfy { $0.health == .up } }
    }
}

func change(_ body: (inout FaultChange) -> Void) -> FaultChange {
    var c = FaultChange()
    body(&c)
    return c
}

func faults(_ steps: [FaultStep] = [], base: (inout FaultState) -> Void = { _ in }) -> FaultScript {
    var state = FaultState()
    base(&state)
    return FaultScript(base: state, steps: steps)
}
