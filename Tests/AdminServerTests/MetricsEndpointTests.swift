import AdminServer
import ClusterModel
import ClusterPool
import DemoCluster
import Foundation
import NIOCore
import NIOPosix
import Testing
import ThriftProxy

/// `GET /metrics` over a live pool: demo servers, a node nothing listens on, a proxy listener
/// with demo traffic through it and an operator drain; read with curl as a scraper would, and
/// checked with Prometheus's own `promtool check metrics`.
@Suite("Metrics endpoint", .serialized)
struct MetricsEndpointTests {
    /// One sample of the exposition: name, labels, value.
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    static func samples(_ text: String) -> [Sample] {
        text.split(separator: "\n").compactMap { line -> Sample? in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { return nil }
            let series = line[..<space]
            guard let brace = series.firstIndex(of: "{") else { return Sample(name: String(series), labels: [:], value: value) }
            var labels: [String: String] = [:]
            // Label values here (names, addresses, states) hold no quotes or commas.
            for pair in series[series.index(after: brace)..<series.index(before: series.endIndex)].split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
            }
            return Sample(name: String(series[..<brace]), labels: labels, value: value)
        }
    }

    /// The samples of `name` whose labels include `labels`.
    static func values(_ samples: [Sample], _ name: String, _ labels: [String: String] = [:]) -> [Double] {
        samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }.map(\.value)
    }

    static func value(_ samples: [Sample], _ name: String, _ labels: [String: String]) -> Double? {
        let found = values(samples, name, labels)
        return found.count == 1 ? found[0] : nil
    }

    /// A program's exit status and its stdout+stderr, waited for on a Dispatch thread (not one of
    /// Swift's cooperative threads, which the servers under test need).
    static func run(_ executable: String, _ arguments: [String], input: String) async throws -> (status: Int32, output: String) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: executable)
                    process.arguments = arguments
                    let stdin = Pipe(), out = Pipe()
                    process.standardInput = stdin
                    process.standardOutput = out
                    process.standardError = out
                    try process.run()
                    stdin.fileHandleForWriting.write(Data(input.utf8))
                    try stdin.fileHandleForWriting.close()
                    let data = out.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
                })
            }
        }
    }

    /// Demo servers a and b, a node "gone" that refuses connections, a listener, and the admin
    /// endpoint exporting a registry of the test's own; traffic through the listener until a
    /// has taken some calls, then a drained. `body` gets the socket path, the listener's address,
    /// and the calls a and b had been sent when a was drained.
    static func withLivePool(perNodeHistograms: Bool,
                             _ body: (String, String, ClusterPool, DemoTraffic, (a: Int, b: Int)) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-metrics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let servers = [DemoServer(spec: DemoNodeSpec(name: "a"), group: group), DemoServer(spec: DemoNodeSpec(name: "b"), group: group)]
        for server in servers { try await server.start() }
        var settings = NodeSettings()
        settings.heartbeatInterval = .milliseconds(100)
        var config = ClusterConfig(name: "met", nodes: servers.map {
            NodeConfig(name: $0.spec.name, address: NodeAddress(host: "127.0.0.1", port: $0.port), settings: settings)
        } + [NodeConfig(name: "gone", address: NodeAddress(host: "127.0.0.1", port: 1), settings: settings)])
        config.listeners = [ListenerConfig(address: NodeAddress(host: "127.0.0.1", port: 0))]
        config.admin.socket = directory.appendingPathComponent("run/met.sock").path
        config.metrics.perNodeHistograms = perNodeHistograms
        let metrics = PrometheusMetrics()
        let pool = try ClusterPool(config: config, eventLoop: group.next(), options: PoolOptions(seed: 3, metricsFactory: metrics.factory))
        var proxy: ProxyServer?, admin: AdminServer?, traffic: DemoTraffic?
        func stopAll() async {
            traffic?.stop()
            await proxy?.shutdown(grace: .seconds(1))
            await admin?.stop()
            await pool.stop()
            for server in servers { await server.stop() }
            try? await group.shutdownGracefully()
        }
        do {
            proxy = try await ProxyServer.start(pool: pool, listeners: config.listeners)
            try await pool.start()
            admin = try await AdminServer.start(pool: pool, settings: config.admin, group: group, metrics: metrics)
            let listener = try #require(proxy?.boundAddresses.first)
            try await waitFor("a and b up, gone down", pool) { s in
                s.nodes.map(\.health) == [.up, .up, .down]
            }
            traffic = DemoTraffic(host: listener.host, port: listener.port, loop: pool.eventLoop, callsPerSecond: 200, workers: 4)
            traffic?.start(seed: 5)
            try await waitFor("a and b take calls", pool) { s in s.nodes.prefix(2).allSatisfy { $0.calls >= 10 } }
            #expect(await pool.execute(.drain(node: "a")).isDone)
            // Counted as sent: a drained node is sent nothing more from here.
            let drained = try await pool.currentSnapshot().nodes
            try await body(try #require(admin?.socketPath), listener.description, pool, try #require(traffic), (drained[0].calls, drained[1].calls))
        } catch {
            await stopAll()
            throw error
        }
        await stopAll()
    }

    static func waitFor(_ what: String, _ pool: ClusterPool, _ condition: (ClusterSnapshot) -> Bool) async throws {
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if condition(try await pool.currentSnapshot()) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("timed out waiting for \(what)")
        throw CancellationError()
    }

    /// The exposition exactly as served (curl writes it to a file: nothing trimmed).
    static func scrape(_ socket: String) async throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-scrape-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        let answer = try await AdminServerTests.curl(["--unix-socket", socket, "-o", file.path, "-w", "%{content_type}\n%{http_code}", "http://local/metrics"])
        #expect(answer.status == 200)
        #expect(answer.body == "text/plain; version=0.0.4; charset=utf-8", "the exposition's content type")
        return try String(contentsOf: file, encoding: .utf8)
    }

    /// promtool's verdict: exit 0 and nothing said (no lint warning either).
    static func expectPromtoolAccepts(_ text: String) async throws {
        let check = try await run("/usr/bin/promtool", ["check", "metrics"], input: text)
        #expect(check.status == 0 && check.output.isEmpty, "promtool check metrics: \(check.status) \(check.output)")
    }

    @Test func metricsShowWhatAnOperatorLooksForAndPassPromtool() async throws {
        try await Self.withLivePool(perNodeHistograms: false) { socket, listener, pool, traffic, atDrain in
            let during = Self.samples(try await Self.scrape(socket))
            #expect((Self.value(during, "thrifttop_proxy_connections", ["cluster": "met", "listener": listener]) ?? 0) >= 1,
                    "the traffic's connections are open")
            // Once b alone has taken more, the traffic stops; with every call answered the counts add up.
            try await Self.waitFor("b takes the calls", pool) { $0.nodes[1].calls >= atDrain.b + 20 }
            traffic.stop()
            try await Self.waitFor("no call in flight", pool) { $0.nodes.allSatisfy { $0.inFlight == 0 } }
            // The clients' connections close a moment later.
            var text = try await Self.scrape(socket)
            for _ in 0..<100 where Self.value(Self.samples(text), "thrifttop_proxy_connections", ["cluster": "met", "listener": listener]) != 0 {
                try await Task.sleep(for: .milliseconds(50))
                text = try await Self.scrape(socket)
            }
            let s = Self.samples(text)
            func node(_ name: String, _ more: [String: String] = [:]) -> [String: String] { ["cluster": "met", "node": name].merging(more) { $1 } }
            #expect(Self.value(s, "thrifttop_node_up", node("a")) == 1, "drained, a still answers its heartbeats")
            #expect(Self.value(s, "thrifttop_node_up", node("b")) == 1)
            #expect(Self.value(s, "thrifttop_node_up", node("gone")) == 0)
            #expect(Self.value(s, "thrifttop_node_drained", node("a")) == 1)
            #expect(Self.value(s, "thrifttop_node_drained", node("b")) == 0)
            #expect(Self.value(s, "thrifttop_node_routable", node("a")) == 0)
            #expect(Self.value(s, "thrifttop_node_routable", node("b")) == 1)
            #expect(Self.value(s, "thrifttop_node_health", node("gone", ["health": "down"])) == 1)
            #expect(Self.value(s, "thrifttop_node_health", node("a", ["health": "draining"])) == 1)
            #expect(Self.value(s, "thrifttop_node_health", node("a", ["health": "up"])) == 0, "the state it left")
            #expect(Self.values(s, "thrifttop_node_health", node("a")).reduce(0, +) == 1, "one state at a time")
            #expect(Self.value(s, "thrifttop_node_weight", node("b")) == 100)
            #expect(Self.value(s, "thrifttop_routable_nodes", ["cluster": "met"]) == 1)
            #expect(Self.value(s, "thrifttop_cluster_availability_ratio", ["cluster": "met"]) != nil)
            #expect(Self.value(s, "thrifttop_operator_actions_total", ["cluster": "met", "action": "drain", "outcome": "done"]) == 1)
            // Every call the listener answered went to a or b, once (no failures, so no retries).
            let snapshot = try await pool.currentSnapshot()
            let beats = Self.value(s, "thrifttop_heartbeats_total", node("a", ["outcome": "ok"])) ?? 0
            #expect(beats >= 1 && beats <= Double(snapshot.nodes[0].heartbeatsOK), "as many as answered by the scrape")
            let callsA = try #require(Self.value(s, "thrifttop_calls_total", node("a", ["outcome": "ok"])))
            let callsB = try #require(Self.value(s, "thrifttop_calls_total", node("b", ["outcome": "ok"])))
            #expect(callsA == Double(snapshot.nodes[0].calls) && callsB == Double(snapshot.nodes[1].calls))
            #expect(callsA == Double(atDrain.a) && callsB >= Double(atDrain.b + 20), "after the drain only b took calls")
            let proxied = try #require(Self.value(s, "thrifttop_proxy_calls_total", ["cluster": "met", "listener": listener, "outcome": "ok"]))
            #expect(proxied == callsA + callsB)
            // Per method: the traffic's one method, every call a success, with its latency.
            let work = ["cluster": "met", "method": "work"]
            #expect(Self.value(s, "thrifttop_method_calls_total", work.merging(["outcome": "success"]) { $1 }) == callsA + callsB)
            #expect(Self.value(s, "thrifttop_method_call_duration_seconds_count", work) == callsA + callsB)
            #expect(Self.value(s, "thrifttop_proxy_connections", ["cluster": "met", "listener": listener]) == 0, "the traffic's connections closed")
            // The cluster's histograms, with their buckets; no per-node ones without the key.
            #expect(Self.value(s, "thrifttop_call_duration_seconds_count", ["cluster": "met"]) == callsA + callsB)
            #expect(Self.value(s, "thrifttop_call_duration_seconds_bucket", ["cluster": "met", "le": "+Inf"]) == callsA + callsB)
            #expect(Self.values(s, "thrifttop_call_duration_seconds_bucket").count == 17, "16 buckets and +Inf")
            #expect(Self.value(s, "thrifttop_heartbeat_duration_seconds_bucket", ["cluster": "met", "le": "0.001"]) != nil)
            #expect(!s.contains { $0.name.hasSuffix("_duration_seconds_bucket") && $0.labels["node"] != nil })
            // Every family has its help line, then promtool's verdict.
            let families = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
            // All but the ejections counter, which a node gets at its first ejection, and the TLS
            // handshake failures, which a TLS listener gets at its first failure, and certificate
            // expiry, which a TLS node gets at its first handshake, and the per-node method series,
            // which only per_node_histograms asks for.
            #expect(Set(families.map(String.init)) == Set(PoolMetricNames.help.keys).subtracting([
                PoolMetricNames.ejections, PoolMetricNames.proxyTLSHandshakeFailures, PoolMetricNames.nodeCertExpiry,
                PoolMetricNames.methodAttempts, PoolMetricNames.methodAttemptDuration,
            ]))
            for family in families { #expect(text.contains("# HELP \(family) "), "\(family) has a # HELP line") }
            #expect(Set(families).count == families.count, "each family once, though its series are spread over registry shards")
            try await Self.expectPromtoolAccepts(text)
        }
    }

    @Test func perNodeHistogramsOnlyWithTheKey() async throws {
        try await Self.withLivePool(perNodeHistograms: true) { socket, _, _, _, _ in
            let text = try await Self.scrape(socket)
            let s = Self.samples(text)
            let buckets = s.filter { $0.name == "thrifttop_call_duration_seconds_bucket" }
            #expect(!buckets.isEmpty && buckets.allSatisfy { $0.labels["node"] != nil }, "each node's own, none for the cluster alone")
            #expect(Self.value(s, "thrifttop_call_duration_seconds_bucket", ["cluster": "met", "node": "b", "le": "+Inf"]) != nil)
            #expect(Self.value(s, "thrifttop_heartbeat_duration_seconds_count", ["cluster": "met", "node": "a"]) != nil)
            // Per node and method, the attempts there; the per-cluster method series stay.
            #expect(Self.value(s, "thrifttop_method_attempts_total", ["cluster": "met", "node": "b", "method": "work", "outcome": "success"]) ?? 0 > 0)
            #expect(Self.value(s, "thrifttop_method_attempt_duration_seconds_count", ["cluster": "met", "node": "b", "method": "work"]) ?? 0 > 0)
            #expect(Self.value(s, "thrifttop_method_calls_total", ["cluster": "met", "method": "work", "outcome": "success"]) ?? 0 > 0)
            try await Self.expectPromtoolAccepts(text)
        }
    }

    @Test func withoutARegistryMetricsIsNotFoundAndSaysWhy() async throws {
        try await AdminServerTests.run({ _, _ in }) { admin, _ in
            let answer = try await AdminServerTests.curl(["--unix-socket", try #require(admin.socketPath), "http://local/metrics"])
            #expect(answer.status == 404)
            #expect(answer.body.contains("exports no metrics"))
        }
    }
}
