import ClusterModel
import ClusterPool
import DemoCluster
import Foundation
import MetricsTestKit
import NIOCore
import NIOPosix
import NIOSSL
import Testing
import ThriftProxy
import ThriftWire
import TLSHarness
import TLSSupport

/// `[[listener]] tls_cert_file`: Apache Thrift's Python TLS client (TSSLSocket) and swift-nio-ssl
/// clients through a TLS listener to plaintext demo servers; client certificates required or
/// refused by name; plaintext on one side only named as a likely mismatch; a stalled handshake
/// closed; certificates replaced by a reload while connections stay open.
@Suite("TLS listeners", .serialized)
struct ListenerTLSTests {
    /// Two plaintext demo servers behind one listener with `tls`; everything stopped at the end.
    static func run(tls: ServerTLSFiles?, idleTimeout: TimeAmount? = nil, metrics: TestMetrics = TestMetrics(),
                    _ body: (ProxyFixture) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let servers = [DemoServer(spec: DemoNodeSpec(name: "demo-a"), group: group), DemoServer(spec: DemoNodeSpec(name: "demo-b"), group: group)]
        for server in servers { try await server.start() }
        do {
            try await ProxyFixture.run(servers.map { ProxyFixture.node($0.spec.name, port: $0.port) }, listener: { listener in
                listener.tls = tls
                if let idleTimeout { listener.idleTimeout = idleTimeout }
            }, options: { $0.metricsFactory = metrics }, body)
        } catch {
            for server in servers { await server.stop() }
            throw error
        }
        for server in servers { await server.stop() }
    }

    /// A framed binary Thrift client of the listener over swift-nio-ssl, trusting `ca`, showing
    /// `client` (cert, key) when given.
    static func tlsClient(port: Int, ca: String, client: (String, String)? = nil) async throws -> ThriftConnection {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
        if let (cert, key) = client {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        }
        let context = try NIOSSLContext(configuration: configuration)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return try await channel.eventLoop.submit {
            try ThriftConnection.attach(to: channel, protocolKind: .binary, transport: .framed)
        }.get()
    }

    /// The first pool event containing `text`, waiting for it up to `seconds`.
    static func event(_ fixture: ProxyFixture, containing text: String, seconds: Double = 10) async throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let events = try await fixture.events()
            if let event = events.first(where: { $0.message.contains(text) }) { return event.message }
            guard Date() < deadline else {
                throw PythonProcess.Failure(description: "no event with \"\(text)\" within \(seconds) s; events: "
                    + events.suffix(8).map(\.message).joined(separator: " | "))
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// How the Python client's `basic` calls failed (it could not connect, or its first call
    /// got a transport error: with TLS 1.3 a refused client certificate shows only then); nil
    /// when they succeeded.
    static func pythonRefused(port: Int, _ arguments: [String]) async -> String? {
        do {
            let result = try await pythonProxyClient(port: port, arguments + ["--timeout-ms", "3000", "basic"], seconds: 20)
            return (result["echo"] as? [String: Any])?["transport"] as? String
        } catch {
            return "\(error)"
        }
    }

    static func failures(_ metrics: TestMetrics, _ reason: String) -> Int64 {
        metrics.counterTotal(label: PoolMetricNames.proxyTLSHandshakeFailures, dimensions: [("reason", reason)])
    }

    @Test func apacheThriftsPythonTLSClientReachesPlaintextServersThroughATLSListener() async throws {
        let certs = try TestCertificates()
        try await Self.run(tls: ServerTLSFiles(certFile: certs.cert("server"), keyFile: certs.key("server"))) { proxy in
            let result = try await pythonProxyClient(port: proxy.port, ["--tls-ca", certs.ca, "basic"])
            #expect((result["echo"] as? [String: Any])?["ok"] as? String == "hello")
            #expect((result["declared"] as? [String: Any])?["code"] as? Int == -5)
            #expect(["demo-a", "demo-b"].contains((result["name"] as? [String: Any])?["ok"] as? String))
            let swift = try await Self.tlsClient(port: proxy.port, ca: certs.ca)
            #expect(["demo-a", "demo-b"].contains(try await swift.call(FB303.GetName.self)))
            await swift.close()
            let events = try await proxy.events()
            #expect(!events.contains { $0.message.contains("TLS handshake") || $0.message.contains("closed client") },
                    "clients that close without close_notify are not failures: \(events.map(\.message))")
        }
    }

    @Test func anMTLSListenerTakesClientCertificatesOfItsCAAndNamesWhyItRefusesOthers() async throws {
        let certs = try TestCertificates()
        let metrics = TestMetrics()
        let files = ServerTLSFiles(certFile: certs.cert("server"), keyFile: certs.key("server"), clientCAFile: certs.ca)
        try await Self.run(tls: files, metrics: metrics) { proxy in
            let result = try await pythonProxyClient(port: proxy.port, [
                "--tls-ca", certs.ca, "--tls-cert", certs.cert("client"), "--tls-key", certs.key("client"), "basic",
            ])
            #expect((result["echo"] as? [String: Any])?["ok"] as? String == "hello")

            #expect(await Self.pythonRefused(port: proxy.port, ["--tls-ca", certs.ca]) != nil, "no client certificate")
            let missing = try await Self.event(proxy, containing: "no client certificate")
            #expect(missing.hasPrefix("listener 127.0.0.1:\(proxy.port): TLS handshake with client 127.0.0.1:"), "\(missing)")
            #expect(missing.hasSuffix("failed: no client certificate: this endpoint requires one signed by the CA in tls_client_ca_file"), "\(missing)")

            #expect(await Self.pythonRefused(port: proxy.port, [
                "--tls-ca", certs.ca, "--tls-cert", certs.cert("untrusted-client"), "--tls-key", certs.key("untrusted-client"),
            ]) != nil, "a client certificate of another CA")
            let untrusted = try await Self.event(proxy, containing: "is not signed by the CA in tls_client_ca_file")
            #expect(untrusted.contains("failed: the client certificate CN=thrifttop-client (issuer CN=some other CA) is not signed"), "\(untrusted)")
            #expect(Self.failures(metrics, "no_client_certificate") == 1)
            #expect(Self.failures(metrics, "client_certificate_rejected") == 1)

            // The same from swift-nio-ssl, with and without the client certificate.
            let with = try await Self.tlsClient(port: proxy.port, ca: certs.ca, client: (certs.cert("client"), certs.key("client")))
            #expect(["demo-a", "demo-b"].contains(try await with.call(FB303.GetName.self)))
            await with.close()
            let without = try await Self.tlsClient(port: proxy.port, ca: certs.ca)
            await #expect(throws: (any Error).self) { _ = try await without.call(FB303.GetName.self) }
            await without.close()
            let events = try await proxy.events().filter { $0.message.contains("no client certificate") }
            #expect(events.count == 2, "once per connection: \(events.map(\.message))")
        }
    }

    @Test func aPlaintextClientOnATLSListenerAndATLSClientOnAPlaintextOneAreNamedAsLikelyMismatches() async throws {
        let certs = try TestCertificates()
        let metrics = TestMetrics()
        try await Self.run(tls: ServerTLSFiles(certFile: certs.cert("server"), keyFile: certs.key("server")), metrics: metrics) { proxy in
            let plain = try await proxy.client()
            await #expect(throws: (any Error).self) { _ = try await plain.call(FB303.GetName.self) }
            await plain.close()
            let named = try await Self.event(proxy, containing: "plaintext client")
            #expect(named.hasPrefix("plaintext client 127.0.0.1:"), "\(named)")
            #expect(named.hasSuffix(" on TLS listener 127.0.0.1:\(proxy.port): likely a mismatch (the client must use TLS)"), "\(named)")
            #expect(Self.failures(metrics, "plaintext_client") == 1)
        }
        try await Self.run(tls: nil) { proxy in
            #expect(await Self.pythonRefused(port: proxy.port, ["--tls-ca", certs.ca]) != nil)
            let named = try await Self.event(proxy, containing: "TLS client")
            #expect(named.hasPrefix("TLS client 127.0.0.1:"), "\(named)")
            #expect(named.contains(" on plaintext listener 127.0.0.1:\(proxy.port): it sent a TLS ClientHello; likely a mismatch"), "\(named)")
            // The listener still serves plaintext clients.
            let plain = try await proxy.client()
            #expect(["demo-a", "demo-b"].contains(try await plain.call(FB303.GetName.self)))
            await plain.close()
        }
    }

    @Test func aClientThatStallsHalfWayThroughItsHandshakeIsClosedAndNamed() async throws {
        let certs = try TestCertificates()
        let metrics = TestMetrics()
        let files = ServerTLSFiles(certFile: certs.cert("server"), keyFile: certs.key("server"))
        try await Self.run(tls: files, idleTimeout: .seconds(2), metrics: metrics) { proxy in
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: proxy.port).get()
            // The start of a ClientHello record (type 22, TLS 1.0 record version, 64 bytes to come), then nothing.
            try await channel.writeAndFlush(ByteBuffer(bytes: [0x16, 0x03, 0x01, 0x00, 0x40, 0x01, 0x00])).get()
            let started = Date()
            let closed = Task { try await channel.closeFuture.get() }
            let timer = Task {
                try await Task.sleep(for: .seconds(15))
                channel.close(promise: nil)
            }
            try await closed.value
            timer.cancel()
            #expect(Date().timeIntervalSince(started) < 12, "closed by the listener, not by the test's own bound")
            let named = try await Self.event(proxy, containing: "did not finish its handshake")
            #expect(named.hasSuffix("failed: the client did not finish its handshake within 2 s"), "\(named)")
            #expect(Self.failures(metrics, "timeout") == 1)
        }
    }

    @Test func aReloadServesNewCertificateFilesToNewHandshakesWhileOpenConnectionsGoOn() async throws {
        let certs = try TestCertificates()
        let cert = certs.folder.appendingPathComponent("listener.pem").path, key = certs.folder.appendingPathComponent("listener.key").path
        func install(_ name: String) throws {
            for (from, to) in [(certs.cert(name), cert), (certs.key(name), key)] {
                try? FileManager.default.removeItem(atPath: to)
                try FileManager.default.copyItem(atPath: from, toPath: to)
            }
        }
        try install("server")
        try await Self.run(tls: ServerTLSFiles(certFile: cert, keyFile: key)) { proxy in
            let open = try await Self.tlsClient(port: proxy.port, ca: certs.ca)
            #expect(["demo-a", "demo-b"].contains(try await open.call(FB303.GetName.self)))
            #expect(try await ServedCertificate.pem(port: proxy.port, ca: certs.ca) == ServedCertificate.pem(file: certs.cert("server")))

            // Renewed in place (same paths), as a certificate manager does.
            try install("soon")
            let renewed = await proxy.pool.reload(proxy.pool.config, also: [proxy.proxy])
            #expect(renewed.tlsFilesReread == ["listener 127.0.0.1:\(proxy.port)"] && renewed.notApplied.isEmpty, "\(renewed)")
            #expect(renewed.message == "reloaded: no node or listener changed; TLS files re-read for listener 127.0.0.1:\(proxy.port)")
            #expect(try await ServedCertificate.pem(port: proxy.port, ca: certs.ca) == ServedCertificate.pem(file: certs.cert("soon")))
            #expect(["demo-a", "demo-b"].contains(try await open.call(FB303.GetName.self)), "the open connection goes on")
            let shown = try #require(try await open.channel.nioSSL_peerCertificate().get())
            #expect(PeerCertificate(shown).notValidAfter == PeerCertificate(try NIOSSLCertificate.fromPEMFile(certs.cert("server"))[0]).notValidAfter,
                    "with the certificate it began with")

            // A file that fails to read: the certificate in force stays, and the outcome names the file.
            var broken = proxy.pool.config
            broken.listeners[0].tls?.certFile = certs.folder.appendingPathComponent("missing.pem").path
            let failed = await proxy.pool.reload(broken, also: [proxy.proxy])
            #expect(failed.isDone && failed.tlsFilesReread.isEmpty, "\(failed)")
            #expect(failed.notApplied == ["listener 127.0.0.1:\(proxy.port): tls_cert_file \(certs.folder.path)/missing.pem: no such file; its certificate in force stays"])
            #expect(try await ServedCertificate.pem(port: proxy.port, ca: certs.ca) == ServedCertificate.pem(file: certs.cert("soon")))
            let result = try await pythonProxyClient(port: proxy.port, ["--tls-ca", certs.ca, "basic"])
            #expect((result["echo"] as? [String: Any])?["ok"] as? String == "hello")
            #expect(["demo-a", "demo-b"].contains(try await open.call(FB303.GetName.self)))
            await open.close()
        }
    }

    /// New settings bind a listener anew; when its new certificate cannot be read, the one
    /// running goes on as it was instead of leaving the address with no listener.
    @Test func aListenerWhoseNewSettingsComeWithUnreadableFilesGoesOnAsItWas() async throws {
        let certs = try TestCertificates()
        try await Self.run(tls: ServerTLSFiles(certFile: certs.cert("server"), keyFile: certs.key("server"))) { proxy in
            let missing = certs.folder.appendingPathComponent("missing.pem").path
            var changed = proxy.pool.config
            changed.listeners[0].idleTimeout = .seconds(77)
            changed.listeners[0].tls?.certFile = missing
            let failed = await proxy.pool.reload(changed, also: [proxy.proxy])
            #expect(failed.isDone && failed.listenersRemoved.isEmpty && failed.listenersAdded.isEmpty, "\(failed)")
            #expect(failed.notApplied == ["cannot listen on 127.0.0.1:0: tls_cert_file \(missing): no such file; it goes on with the settings in force"],
                    "\(failed)")
            #expect(proxy.proxy.boundAddresses.map(\.port) == [proxy.port])
            #expect(try await ServedCertificate.pem(port: proxy.port, ca: certs.ca) == ServedCertificate.pem(file: certs.cert("server")))
            let result = try await pythonProxyClient(port: proxy.port, ["--tls-ca", certs.ca, "basic"])
            #expect((result["echo"] as? [String: Any])?["ok"] as? String == "hello")

            // With files that read, the new settings take its place.
            changed.listeners[0].tls?.certFile = certs.cert("soon")
            changed.listeners[0].tls?.keyFile = certs.key("soon")
            let applied = await proxy.pool.reload(changed, also: [proxy.proxy])
            #expect(applied.notApplied.isEmpty && applied.listenersRemoved == ["127.0.0.1:\(proxy.port)"] && applied.listenersAdded.count == 1, "\(applied)")
            let port = try #require(proxy.proxy.boundAddresses.first?.port)
            #expect(try await ServedCertificate.pem(port: port, ca: certs.ca) == ServedCertificate.pem(file: certs.cert("soon")))
        }
    }

    @Test func aListenerWhoseFilesCannotBeUsedStopsTheStartNamingTheFile() async throws {
        let certs = try TestCertificates()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pool = try ClusterPool(config: ClusterConfig(name: "bad-tls", nodes: [ProxyFixture.node("a", port: 1)]), eventLoop: group.next())
        func startError(_ files: ServerTLSFiles) async -> String? {
            var listener = ListenerConfig(address: NodeAddress(host: "127.0.0.1", port: 0))
            listener.tls = files
            do {
                let proxy = try await ProxyServer.start(pool: pool, listeners: [listener])
                await proxy.shutdown(grace: .zero)
                return nil
            } catch {
                return "\(error)"
            }
        }
        let missing = certs.folder.appendingPathComponent("none.pem").path
        #expect(await startError(ServerTLSFiles(certFile: missing, keyFile: certs.key("server")))
            == "cannot listen on 127.0.0.1:0: tls_cert_file \(missing): no such file")
        #expect(await startError(ServerTLSFiles(certFile: certs.cert("server"), keyFile: certs.key("client")))
            == "cannot listen on 127.0.0.1:0: tls_key_file \(certs.key("client")): is not the private key of the certificate in \(certs.cert("server"))")
        #expect(await startError(ServerTLSFiles(certFile: certs.cert("server"), keyFile: certs.key("server"), clientCAFile: certs.key("ca")))?
            .hasPrefix("cannot listen on 127.0.0.1:0: tls_client_ca_file \(certs.key("ca")): ") == true)
        try await group.shutdownGracefully()
    }

    @Test func listenerTLSKeysComeTogetherOrAreRefusedByName() throws {
        func parse(_ keys: String) throws -> ClusterConfig {
            try ClusterConfig(parsing: "[[node]]\nname = \"a\"\naddress = \"127.0.0.1:1\"\n[[listener]]\naddress = \"127.0.0.1:9443\"\n" + keys, file: "c.toml")
        }
        func error(_ keys: String) -> String? {
            do {
                _ = try parse(keys)
                return nil
            } catch {
                return "\(error)"
            }
        }
        let both = try parse("tls_cert_file = \"/etc/tt/l.pem\"\ntls_key_file = \"/etc/tt/l.key\"\ntls_client_ca_file = \"/etc/tt/ca.pem\"")
        #expect(both.listeners[0].tls == ServerTLSFiles(certFile: "/etc/tt/l.pem", keyFile: "/etc/tt/l.key", clientCAFile: "/etc/tt/ca.pem"))
        #expect(try parse("").listeners[0].tls == nil)
        #expect(error("tls_cert_file = \"/l.pem\"") == "c.toml:6: listener[0].tls_cert_file: needs tls_key_file too (the certificate's private key, PEM)")
        #expect(error("tls_key_file = \"/l.key\"") == "c.toml:6: listener[0].tls_key_file: needs tls_cert_file too (the certificate this key belongs to, PEM)")
        #expect(error("tls_client_ca_file = \"/ca.pem\"")
            == "c.toml:6: listener[0].tls_client_ca_file: requires client certificates over TLS: set tls_cert_file and tls_key_file too")
        #expect(error("tls_cert_file = \"\"\ntls_key_file = \"/l.key\"") == "c.toml:6: listener[0].tls_cert_file: must be the path of a PEM file")
    }
}
