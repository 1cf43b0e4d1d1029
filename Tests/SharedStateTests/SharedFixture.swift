import AsyncHTTPClient
import ClusterModel
import ClusterPool
import DemoCluster
import EtcdClient
import EtcdHarness
import Foundation
import NIOCore
import NIOPosix
import SharedState
import Synchronization
import Testing

/// A real etcd, demo servers on 127.0.0.1, and thrifttop instances (a pool and its etcd
/// authority each, in this process) sharing the servers and one prefix — as several `serve`s
/// beside their client groups would. Everything is stopped by `stop()`; etcd by PID at deinit.
final class SharedFixture: @unchecked Sendable {
    static let serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    static let poolGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    let etcd: EtcdServer
    let servers: [DemoServer]
    let http = HTTPClient(eventLoopGroup: SharedFixture.poolGroup, configuration: EtcdClient.httpConfiguration)
    let directory: URL
    private(set) var instances: [Instance] = []

    /// One thrifttop instance: its pool and the authority that shares its operator state.
    struct Instance {
        let name: String
        let pool: ClusterPool
        let authority: EtcdOperatorAuthority

        func execute(_ command: OperatorCommand, forceLocal: Bool = false, user: String = "tester") async -> OperatorResult {
            await pool.execute(OperatorRequest(command, forceLocal: forceLocal), user: user)
        }

        func node(_ name: String) async throws -> NodeSnapshot {
            try #require(try await pool.currentSnapshot().node(named: name))
        }

        /// Polls this instance's snapshot until `condition` holds; records an issue after `seconds`.
        @discardableResult
        func waitFor(_ what: String, seconds: Double = 5, _ condition: (ClusterSnapshot) -> Bool) async throws -> ClusterSnapshot {
            let deadline = Date().addingTimeInterval(seconds)
            while true {
                let snapshot = try await pool.currentSnapshot()
                if condition(snapshot) { return snapshot }
                guard Date() < deadline else {
                    Issue.record("\(name): timed out after \(seconds) s waiting for \(what); last events: \(snapshot.events.suffix(8).map(\.message))")
                    return snapshot
                }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }

    init(nodes: [String] = ["one", "two", "three"]) async throws {
        // The HTTP client is shut down on every way out: one left to its deinit traps and hides
        // why the start failed.
        do {
            etcd = try await EtcdServer.start()
        } catch {
            try? await http.shutdown()
            throw error
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-shared-\(UUID().uuidString)")
        servers = nodes.map { DemoServer(spec: DemoNodeSpec(name: $0), group: Self.serverGroup) }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for server in servers { try await server.start() }
        } catch {
            await stop()
            throw error
        }
    }

    func config(instance: String, minRoutable: Int, cache: Bool) -> ClusterConfig {
        var settings = NodeSettings()
        settings.heartbeatInterval = .milliseconds(100)
        settings.callTimeout = .milliseconds(500)
        var config = ClusterConfig(name: "shared", nodes: servers.map {
            NodeConfig(name: $0.spec.name, address: NodeAddress(host: "127.0.0.1", port: $0.port), settings: settings)
        })
        config.minRoutable = minRoutable
        config.instance = instance
        config.state.store = .etcd
        config.state.endpoints = [etcd.endpoint]
        if cache { config.stateFile = directory.appendingPathComponent("\(instance).state.json").path }
        config.auditLog = directory.appendingPathComponent("\(instance).audit.jsonl").path
        return config
    }

    /// Starts an instance as `serve` would: routing held, the shared state read, the pool
    /// started, then the authority following the prefix.
    @discardableResult
    func start(_ name: String, minRoutable: Int = 1, cache: Bool = true, startWithoutState: Bool = false,
               endpoints: [String]? = nil) async throws -> Instance {
        var config = config(instance: name, minRoutable: minRoutable, cache: cache)
        if let endpoints { config.state.endpoints = endpoints }
        let pool = try ClusterPool(config: config, eventLoop: Self.poolGroup.next(), options: PoolOptions(seed: 7, user: "tester"))
        let client = EtcdClient(endpoints: try config.state.endpoints.map(EtcdEndpoint.init(parsing:)), credentials: nil, http: http,
                                requestTimeout: .seconds(1))
        let keys = SharedKeys(prefix: config.state.keyPrefix(cluster: config.name))
        var settings = EtcdOperatorAuthority.Settings(keys: keys, location: "\(etcd.endpoint) \(keys.prefix)", cacheFile: config.stateFile)
        settings.silenceLimit = .milliseconds(1500)
        settings.maxRetryDelay = .milliseconds(500)
        let authority = try await EtcdOperatorAuthority.connect(pool: pool, client: client, settings: settings)
        try await pool.start()
        await authority.begin(startWithoutState: startWithoutState)
        let instance = Instance(name: name, pool: pool, authority: authority)
        instances.append(instance)
        return instance
    }

    /// serve-a and serve-b on the same etcd, each seeing every node up.
    func startPair(minRoutable: Int = 1) async throws -> (Instance, Instance) {
        let a = try await start("serve-a", minRoutable: minRoutable)
        let b = try await start("serve-b", minRoutable: minRoutable)
        try await allUp(a)
        try await allUp(b)
        return (a, b)
    }

    func allUp(_ instance: Instance) async throws {
        try await instance.waitFor("every node up") { $0.nodes.allSatisfy { $0.health == .up || $0.health == .draining } }
    }

    /// Stops one instance (its cache written) before the others.
    func stop(_ instance: Instance) async {
        await instance.authority.stop()
        await instance.pool.stop()
        instances.removeAll { $0.name == instance.name && $0.pool === instance.pool }
    }

    /// `stop(instance)` unless it takes longer than `limit`: false then, and the instance is
    /// left behind (a hung stop cannot be cut short), so that the test reports instead of hanging.
    func stop(_ instance: Instance, within limit: Duration) async -> Bool {
        let done = Mutex(false)
        instances.removeAll { $0.pool === instance.pool }
        Task {
            await self.stop(instance)
            done.withLock { $0 = true }
        }
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if done.withLock({ $0 }) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return done.withLock { $0 }
    }

    func work(_ server: DemoServer) -> Int64 { server.counters["demo.calls.work"] ?? 0 }

    func stop() async {
        for instance in instances {
            await instance.authority.stop()
            await instance.pool.stop()
        }
        instances = []
        for server in servers { await server.stop() }
        try? await http.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `body` with a fixture, stopped at the end whatever happens.
    static func with(nodes: [String] = ["one", "two", "three"], _ body: (SharedFixture) async throws -> Void) async throws {
        let fixture = try await SharedFixture(nodes: nodes)
        do {
            try await body(fixture)
        } catch {
            await fixture.stop()
            throw error
        }
        await fixture.stop()
    }
}
