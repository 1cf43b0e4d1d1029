import ArgumentParser
import AsyncHTTPClient
import ClusterModel
import ClusterPool
import DemoCluster
import EtcdClient
import Foundation
import NIOCore
import NIOPosix
import SharedState
import Synchronization

/// `thrifttop bench-etcd`: how long a drain made on one instance takes to be in force on
/// another through etcd (from the operator's command to the other pool routing by it), beside
/// etcd's own put → watch delay measured with the same client in the same run. For `make bench`.
struct BenchEtcdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-etcd",
        abstract: "Drain propagation between two instances through etcd (for make bench).",
        version: ThrifttopVersion.text,
        shouldDisplay: false
    )

    @Option(help: "etcd's client URL (a test etcd: keys under /thrifttop-bench/ are written).")
    var endpoint: String

    @Option(help: "Drains to time (each followed by an undrain, untimed, seen on both before the next).")
    var drains = 200

    func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let servers = ["one", "two", "three"].map { DemoServer(spec: DemoNodeSpec(name: $0), group: group) }
        for server in servers { try await server.start() }
        let http = HTTPClient(eventLoopGroup: group, configuration: EtcdClient.httpConfiguration)
        let client = EtcdClient(endpoints: [try EtcdEndpoint(parsing: endpoint)], credentials: nil, http: http)
        let raw = try await rawWatchDelays(client)

        var instances: [(ClusterPool, EtcdOperatorAuthority)] = []
        let keys = SharedKeys(prefix: "/thrifttop-bench/\(UUID().uuidString.prefix(8))/")
        for name in ["bench-a", "bench-b"] {
            var config = ClusterConfig(name: "bench", nodes: servers.map { NodeConfig(name: $0.spec.name, address: NodeAddress(host: "127.0.0.1", port: $0.port)) })
            config.instance = name
            let pool = try ClusterPool(config: config, eventLoop: group.next())
            let settings = EtcdOperatorAuthority.Settings(keys: keys, location: endpoint, cacheFile: nil)
            let authority = try await EtcdOperatorAuthority.connect(pool: pool, client: client, settings: settings)
            try await pool.start()
            await authority.begin(startWithoutState: false)
            instances.append((pool, authority))
        }
        let (a, b) = (instances[0].0, instances[1].0)
        for pool in [a, b] { try await Self.until("every node up") { pool.snapshot.nodes.allSatisfy { $0.health == .up } } }
        var delays: [Double] = []
        for i in 0..<drains {
            let started = ContinuousClock.now
            let result = await a.execute(.drain(node: "one"))
            guard result.isDone else { throw ValidationError("drain \(i) refused: \(result)") }
            try await Self.until("drain \(i) on the second instance", pollMicros: 100) { b.snapshot.node(named: "one")?.operatorDrained == true }
            delays.append(Self.millis(ContinuousClock.now - started))
            guard await a.execute(.undrain(node: "one")).isDone else { throw ValidationError("undrain \(i) refused") }
            try await Self.until("undrain \(i) on the second instance") { b.snapshot.node(named: "one")?.operatorDrained == false }
        }
        for (pool, authority) in instances {
            await authority.stop()
            await pool.stop()
        }
        for server in servers { await server.stop() }
        try await http.shutdown()
        try await group.shutdownGracefully()
        let report: [String: Double] = [
            "drains": Double(drains),
            "propagation_p50_ms": Self.percentile(delays, 50), "propagation_p99_ms": Self.percentile(delays, 99),
            "raw_p50_ms": Self.percentile(raw, 50), "raw_p99_ms": Self.percentile(raw, 99),
        ]
        let json = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }

    /// Polls `condition` until it holds; 10 s at most.
    static func until(_ what: String, pollMicros: Int = 1000, _ condition: () -> Bool) async throws {
        let started = ContinuousClock.now
        while !condition() {
            guard ContinuousClock.now - started < .seconds(10) else { throw ValidationError("gave up waiting for \(what) after 10 s") }
            try await Task.sleep(for: .microseconds(pollMicros))
        }
    }

    /// etcd alone: a put by one request to its event on a watch, `drains` times.
    private func rawWatchDelays(_ client: EtcdClient) async throws -> [Double] {
        let prefix = "/thrifttop-bench/raw-\(UUID().uuidString.prefix(8))/"
        let start = try await client.status() + 1
        let seen = Mutex(0)
        let watcher = Task {
            for try await batch in client.watch(prefix: prefix, from: start) { seen.withLock { $0 += batch.events.count } }
        }
        defer { watcher.cancel() }
        var delays: [Double] = []
        for i in 0..<drains {
            let started = ContinuousClock.now
            try await client.put(prefix + "k", Array("\(i)".utf8))
            try await Self.until("put \(i) on the watch", pollMicros: 100) { seen.withLock { $0 } > i }
            delays.append(Self.millis(ContinuousClock.now - started))
        }
        return delays
    }

    static func millis(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1)]
    }
}
