import ClusterModel
import ClusterPool
import DemoCluster
import Foundation
import MetricsTestKit
import NIOCore
import NIOPosix
import TLSHarness
import Testing
import ThriftWire

/// The pool over Apache Thrift's Python server on TLS (TSSLServerSocket, framed binary), with
/// certificates made by openssl for this run: heartbeats and proxied calls with the right CA,
/// every failure named, mTLS, an unchecked node, an expiring certificate, and a reload that reads
/// the files again.
@Suite("Node TLS against Apache Thrift", .serialized)
struct NodeTLSTests {
    let certs: TestCertificates

    init() throws {
        certs = try TestCertificates()
    }

    /// A Python TLS server presenting certificate NAME (nil: plaintext).
    func server(_ certificate: String?, clientCA: Bool = false, maxVersion: String? = nil) throws -> (PythonProcess, Int) {
        var extra: [String] = []
        if let certificate { extra += ["--tls-cert", certs.cert(certificate), "--tls-key", certs.key(certificate)] }
        if clientCA { extra += ["--tls-client-ca", certs.ca] }
        if let maxVersion { extra += ["--tls-max-version", maxVersion] }
        return try startPythonServer(name: certificate ?? "plain", extra: extra)
    }

    func node(_ name: String, _ host: String = "127.0.0.1", port: Int, tls configure: ((inout NodeTLSSettings) -> Void)? = { _ in }) -> NodeConfig {
        var node = ProxyFixture.node(name, port: port)
        node.address = NodeAddress(host: host, port: port)
        node.settings.connectTimeout = .milliseconds(1500)
        if let configure {
            var tls = NodeTLSSettings()
            tls.caFile = certs.ca
            configure(&tls)
            node.settings.tls = tls
        }
        return node
    }

    @Test func heartbeatsAndProxiedCallsReachATLSServerCheckedByNameAndByIP() async throws {
        let (python, port) = try server("server")
        defer { python.stop() }
        let (mtls, mtlsPort) = try server("server", clientCA: true)
        defer { mtls.stop() }
        let nodes = [
            node("by-name", "localhost", port: port),
            node("by-ip", port: port),
            node("with-client-cert", port: mtlsPort) {
                $0.certFile = certs.cert("client")
                $0.keyFile = certs.key("client")
            },
        ]
        try await ProxyFixture.run(nodes) { fixture in
            let client = try await fixture.client()
            defer { Task { await client.close() } }
            for i in 0..<30 {
                #expect(try await client.call(DemoService.Work.self, .init(costMicros: 0, payload: [UInt8]("tls \(i)".utf8))) == [UInt8]("tls \(i)".utf8))
            }
            let snapshot = try await fixture.pool.currentSnapshot()
            #expect(snapshot.nodes.map(\.calls).reduce(0, +) == 30, "every call went to a TLS node")
            for node in snapshot.nodes {
                let tls = try #require(node.tls, "\(node.name)")
                #expect(tls.version == "TLS 1.3")
                let certificate = try #require(tls.certificate)
                #expect(certificate.subject == "CN=localhost")
                #expect(certificate.issuer == "CN=thrifttop test CA")
                #expect(certificate.alternativeNames == ["DNS:localhost", "IP:127.0.0.1", "IP:::1"])
                #expect(certificate.daysLeft(at: snapshot.wallTime) == 364)
                #expect(!tls.certificateExpiresSoon(at: snapshot.wallTime))
            }
            #expect(try await fixture.events().contains { $0.message == "connected to localhost:\(port) over TLS 1.3" })
        }
    }

    /// Each failure as the node's last error, a `tls` event, and nothing routed to it.
    @Test func everyHandshakeFailureIsNamed() async throws {
        let servers = try ["expired", "notyet", "wrongname", "untrusted"].map { try server($0) }
        let (good, goodPort) = try server("server")
        let (plain, plainPort) = try server(nil)
        let (mtls13, mtls13Port) = try server("server", clientCA: true)
        let (mtls12, mtls12Port) = try server("server", clientCA: true, maxVersion: "1.2")
        let all = servers.map(\.0) + [good, plain, mtls13, mtls12]
        defer { all.forEach { $0.stop() } }
        let cases: [(NodeConfig, String)] = [
            (node("expired", port: servers[0].1), "TLS expired: the server's certificate (CN=localhost) expired 20"),
            (node("notyet", port: servers[1].1), "TLS not yet valid: the server's certificate (CN=localhost) is valid only from 20"),
            (node("wrongname", port: servers[2].1),
             "TLS hostname mismatch: expected 127.0.0.1, the certificate has DNS:other.example, IP:10.9.9.9 (tls_server_name sets the name to check)"),
            (node("wrong-server-name", port: goodPort) { $0.serverName = "db.example" },
             "TLS hostname mismatch: expected db.example, the certificate has DNS:localhost, IP:127.0.0.1, IP:::1"),
            (node("untrusted", port: servers[3].1),
             "TLS unknown CA: the server's certificate (CN=localhost) is issued by CN=some other CA, which is not in tls_ca_file \(certs.ca)"),
            (node("system-store", "localhost", port: goodPort) { $0.caFile = nil },
             "TLS unknown CA: the server's certificate (CN=localhost) is issued by CN=thrifttop test CA, which is not in the system trust store"),
            (node("plaintext-server", port: plainPort), "TLS handshake timeout: no TLS reply within 1500 ms: likely a plaintext server on a TLS node (tls = true)"),
            (node("plaintext-node", port: goodPort, tls: nil), "likely a TLS server (set tls = true)"),
            (node("mtls13-no-cert", port: mtls13Port), "TLS client certificate wanted: 127.0.0.1:\(mtls13Port) asked for a client certificate and closed the connection on the first call: set tls_cert_file and tls_key_file"),
            (node("mtls12-no-cert", port: mtls12Port), "TLS client certificate wanted: the server wants a client certificate: set tls_cert_file and tls_key_file"),
            (node("mtls12-untrusted-cert", port: mtls12Port) {
                $0.certFile = certs.cert("untrusted-client")
                $0.keyFile = certs.key("untrusted-client")
            }, "TLS client certificate refused: the server refused our client certificate \(certs.cert("untrusted-client")): its CA is not one the server trusts"),
            (node("tls13-only", "localhost", port: mtls12Port) { $0.minimumVersion = .tls13 },
             "TLS no TLS version in common: the server and tls_min_version = \"1.3\" share no TLS version"),
        ]
        var config = ClusterConfig(name: "tls-failures", nodes: cases.map(\.0))
        config.minRoutable = 0
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pool = try ClusterPool(config: config, eventLoop: group.next(), options: PoolOptions(seed: 7))
        try await pool.start()
        defer { Task { await pool.stop(); try? await group.shutdownGracefully() } }
        let deadline = Date().addingTimeInterval(20)
        var snapshot = try await pool.currentSnapshot()
        func named(_ node: NodeSnapshot, _ expected: String) -> Bool { node.lastError?.contains(expected) == true }
        while Date() < deadline, !zip(snapshot.nodes, cases).allSatisfy({ named($0, $1.1) }) {
            try await Task.sleep(for: .milliseconds(50))
            snapshot = try await pool.currentSnapshot()
        }
        for (node, (_, expected)) in zip(snapshot.nodes, cases) {
            #expect(named(node, expected), "\(node.name): \(node.lastError ?? "no error"); events: \(snapshot.events.filter { $0.node == node.name }.map(\.message))")
            #expect(!node.routable, "\(node.name)")
        }
        let tlsEvents = Set(snapshot.events.filter { $0.kind == .tls && $0.severity == .error }.compactMap(\.node))
        #expect(tlsEvents == Set(cases.map(\.0.name)).subtracting(["plaintext-node"]), "a tls event for each TLS failure")
        await pool.stop()
    }

    @Test func anUncheckedNodeIsWarnedOfAndAnExpiringCertificateIsMarkedAndExported() async throws {
        let (untrusted, untrustedPort) = try server("untrusted")
        defer { untrusted.stop() }
        let (soon, soonPort) = try server("soon")
        defer { soon.stop() }
        let metrics = TestMetrics()
        let nodes = [
            node("unchecked", port: untrustedPort) { $0.caFile = nil; $0.insecureSkipVerify = true },
            node("soon", port: soonPort),
        ]
        try await ProxyFixture.run(nodes, configure: { _ in }, options: { $0.metricsFactory = metrics }) { fixture in
            let snapshot = try await fixture.pool.currentSnapshot()
            let events = snapshot.events
            #expect(events.contains { $0.severity == .warning && $0.kind == .tls && $0.message.hasPrefix("unchecked: tls_insecure_skip_verify = true: its certificate is not checked") })
            let unchecked = try #require(snapshot.node(named: "unchecked")?.tls)
            #expect(unchecked.insecureSkipVerify)
            #expect(unchecked.certificate?.issuer == "CN=some other CA", "shown, though not checked")
            let soonTLS = try #require(snapshot.node(named: "soon")?.tls)
            #expect(soonTLS.certificateExpiresSoon(at: snapshot.wallTime))
            #expect(events.contains { $0.severity == .warning && $0.kind == .tls && $0.node == "soon" && $0.message.contains("in 4 days (tls_cert_warn_days 14)") })
            let notAfter = try #require(soonTLS.certificate?.notValidAfter)
            let exported = try metrics.expectGauge(PoolMetricNames.nodeCertExpiry, [("cluster", "proxied"), ("node", "soon")]).lastValue
            #expect(exported == notAfter)
        }
    }

    @Test func aReloadReadsTheFilesAgainAndKeepsOpenConnections() async throws {
        let (mtls, mtlsPort) = try server("server", clientCA: true, maxVersion: "1.2")
        defer { mtls.stop() }
        let (good, goodPort) = try server("server")
        defer { good.stop() }
        // The client certificate's file holds one the server refuses, until it is renewed.
        let folder = certs.folder.appendingPathComponent("renewed")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let certFile = folder.appendingPathComponent("client.pem").path
        let keyFile = folder.appendingPathComponent("client.key").path
        try FileManager.default.copyItem(atPath: certs.cert("untrusted-client"), toPath: certFile)
        try FileManager.default.copyItem(atPath: certs.key("untrusted-client"), toPath: keyFile)
        let nodes = [
            node("steady", port: goodPort),
            node("renewed", port: mtlsPort) {
                $0.certFile = certFile
                $0.keyFile = keyFile
            },
        ]
        var config = ClusterConfig(name: "tls-reload", nodes: nodes)
        config.minRoutable = 0
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pool = try ClusterPool(config: config, eventLoop: group.next(), options: PoolOptions(seed: 7))
        try await pool.start()
        defer { Task { await pool.stop(); try? await group.shutdownGracefully() } }
        try await ProxyFixture.waitUntil(pool, "steady up, renewed refused", seconds: 20) {
            $0.node(named: "steady")?.health == .up && $0.node(named: "renewed")?.lastError?.contains("client certificate refused") == true
        }
        let connectedBefore = try await pool.currentSnapshot().events.filter { $0.node == "steady" && $0.message.hasPrefix("connected") }.count
        for (from, to) in [(certs.cert("client"), certFile), (certs.key("client"), keyFile)] {
            try FileManager.default.removeItem(atPath: to)
            try FileManager.default.copyItem(atPath: from, toPath: to)
        }
        let outcome = await pool.reload(config)
        #expect(outcome.isDone && outcome.message.contains("TLS files re-read for TLS nodes"), "\(outcome.message)")
        try await ProxyFixture.waitUntil(pool, "renewed up with the renewed certificate", seconds: 20) { $0.node(named: "renewed")?.health == .up }
        let after = try await pool.currentSnapshot()
        #expect(after.events.filter { $0.node == "steady" && $0.message.hasPrefix("connected") }.count == connectedBefore,
                "the steady node's connection was not dropped")
        #expect(after.node(named: "steady")?.health == .up)
        await pool.stop()
    }

    @Test func aBadFileStopsTheStartAndIsRefusedByAReload() async throws {
        var broken = node("a", port: 1) { $0.caFile = "/nonexistent/ca.pem" }
        var config = ClusterConfig(name: "bad-files", nodes: [broken, node("b", port: 2) { $0.caFile = "/nonexistent/ca.pem" }])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { Task { try? await group.shutdownGracefully() } }
        let pool = try ClusterPool(config: config, eventLoop: group.next())
        await #expect { try await pool.start() } throws: {
            "\($0)" == "node \"a\" (and 1 more with the same tls_* keys): tls_ca_file /nonexistent/ca.pem: no such file"
        }
        // A pool that runs refuses a reload whose key file is not a key, and keeps its config.
        broken.settings.tls?.caFile = certs.ca
        config.nodes = [broken]
        let running = try ClusterPool(config: config, eventLoop: group.next())
        try await running.start()
        var bad = config
        bad.nodes[0].settings.tls?.certFile = certs.cert("client")
        bad.nodes[0].settings.tls?.keyFile = certs.cert("client")
        let outcome = await running.reload(bad)
        #expect(outcome.refusal == "node \"a\": tls_key_file \(certs.cert("client")): is not a PEM private key (unencrypted PKCS#8, EC or RSA)")
        await running.stop()
    }
}
