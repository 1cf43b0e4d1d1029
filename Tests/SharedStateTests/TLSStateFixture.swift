import ClusterPool
import DemoCluster
import EtcdHarness
import Foundation
import SharedState
import Testing
import TLSHarness

/// A TLS etcd, demo servers on 127.0.0.1, and thrifttop instances that open their shared state
/// as `serve` does: `SharedStateConnection.open` from the config's `[state]` (endpoints and TLS
/// files), then the pool, then the authority following the prefix. `stop()` stops everything;
/// etcd is killed by PID at deinit, the certificates' folder removed.
final class TLSStateFixture: @unchecked Sendable {
    let certs: TestCertificates
    let etcd: EtcdServer
    let servers: [DemoServer]
    let directory: URL
    private var running: [(SharedFixture.Instance, SharedStateConnection)] = []

    init(certs: TestCertificates, etcd: EtcdServer.TLS) async throws {
        self.certs = certs
        self.etcd = try await EtcdServer.start(name: "tls-state", tls: etcd)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-tls-state-\(UUID().uuidString)")
        servers = ["one", "two", "three"].map { DemoServer(spec: DemoNodeSpec(name: $0), group: SharedFixture.serverGroup) }
        // A start that fails stops what it started (etcd goes with its deinit).
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for server in servers { try await server.start() }
        } catch {
            for server in servers { await server.stop() }
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    /// The cluster with `[state]` on this etcd and these TLS files.
    func config(instance: String, ca: String?, cert: String? = nil, key: String? = nil) -> ClusterConfig {
        var settings = NodeSettings()
        settings.heartbeatInterval = .milliseconds(100)
        var config = ClusterConfig(name: "tls", nodes: servers.map {
            NodeConfig(name: $0.spec.name, address: NodeAddress(host: "127.0.0.1", port: $0.port), settings: settings)
        })
        config.instance = instance
        config.state.store = .etcd
        config.state.endpoints = [etcd.endpoint]
        config.state.tlsCAFile = ca
        config.state.tlsCertFile = cert
        config.state.tlsKeyFile = key
        config.stateFile = directory.appendingPathComponent("\(instance).state.json").path
        config.auditLog = directory.appendingPathComponent("\(instance).audit.jsonl").path
        return config
    }

    /// Starts an instance as `serve` does; what `open` throws (a `StartError`) comes out as is,
    /// with the pool stopped again.
    func start(_ config: ClusterConfig) async throws -> (SharedFixture.Instance, SharedStateConnection) {
        let pool = try ClusterPool(config: config, eventLoop: SharedFixture.poolGroup.next(), options: PoolOptions(seed: 7, user: "tester"))
        let connection: SharedStateConnection
        do {
            connection = try #require(try await SharedStateConnection.open(for: pool))
        } catch {
            await pool.stop()
            throw error
        }
        try await pool.start()
        await connection.authority.begin(startWithoutState: false)
        let instance = SharedFixture.Instance(name: config.instance ?? "?", pool: pool, authority: connection.authority)
        running.append((instance, connection))
        return (instance, connection)
    }

    /// The text of the error that stops `config` from starting (an issue when it starts).
    func startError(_ config: ClusterConfig, sourceLocation: SourceLocation = #_sourceLocation) async -> String {
        do {
            _ = try await start(config)
            Issue.record("the instance started", sourceLocation: sourceLocation)
            return ""
        } catch {
            #expect(error is EtcdOperatorAuthority.StartError, "\(type(of: error)): \(error)", sourceLocation: sourceLocation)
            return "\(error)"
        }
    }

    func stop() async {
        for (instance, connection) in running {
            await connection.close()
            await instance.pool.stop()
        }
        running = []
        for server in servers { await server.stop() }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `body` with a fixture, stopped at the end whatever happens.
    static func with(etcd: (TestCertificates) -> EtcdServer.TLS, _ body: (TLSStateFixture) async throws -> Void) async throws {
        let certs = try TestCertificates()
        let fixture = try await TLSStateFixture(certs: certs, etcd: etcd(certs))
        do {
            try await body(fixture)
        } catch {
            await fixture.stop()
            throw error
        }
        await fixture.stop()
    }
}
