import AdminServer
import AsyncHTTPClient
import ClusterModel
import ClusterPool
import Foundation
import NIOCore
import NIOPosix
import RemoteCluster
import Testing
import TLSHarness
import TLSSupport

/// `[admin] tls_cert_file`: the TCP admin endpoint over TLS, asked with curl and with what
/// `thrifttop attach https://` uses (RemoteCluster over AsyncHTTPClient): tokens over https, client
/// certificates required, a wrong CA and plaintext on one side only refused by name, the
/// certificate read again by a reload while attached dashboards stay.
@Suite("Admin endpoint over TLS", .serialized)
struct AdminTLSTests {
    static let token = "alice-0123456789abcdef"

    /// An admin endpoint on 127.0.0.1 with a token file and `tls` (nil: plaintext TCP).
    static func run(tls: ServerTLSFiles?, _ body: (AdminServer, NodeAddress) async throws -> Void) async throws {
        try await AdminServerTests.run({ settings, directory in
            let tokens = directory.appendingPathComponent("tokens")
            try "alice:\(token)\n".write(to: tokens, atomically: true, encoding: .utf8)
            chmod(tokens.path, 0o600)
            settings.socketEnabled = false
            settings.address = NodeAddress(host: "127.0.0.1", port: 0)
            settings.tokenFile = tokens.path
            settings.tls = tls
        }) { admin, _ in
            try await body(admin, try #require(admin.tcpAddress))
        }
    }

    /// A RemoteCluster of `endpoint`, as `attach` makes it with `tls`; stopped at the end.
    static func attached(_ endpoint: AdminEndpoint, tls: AdminClientTLS, _ body: (RemoteCluster) async throws -> Void) async throws {
        let http = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: try RemoteCluster.httpConfiguration(tls: tls))
        let remote = RemoteCluster(endpoint: endpoint, http: http, token: token, tls: tls)
        do {
            try await body(remote)
        } catch {
            await remote.stop()
            try? await http.shutdown()
            throw error
        }
        await remote.stop()
        try await http.shutdown()
    }

    static func eventually(within seconds: Double = 10, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    @Test func tokensWorkOverHTTPSAndAPlainHTTPClientIsToldToUseTLS() async throws {
        let certs = try TestCertificates()
        try await Self.run(tls: ServerTLSFiles(certFile: certs.cert("server"), keyFile: certs.key("server"))) { _, address in
            let base = "https://127.0.0.1:\(address.port)"
            let snapshot = try await AdminServerTests.curl(["--cacert", certs.ca, "-H", "Authorization: Bearer \(Self.token)", "\(base)/v1/snapshot"])
            #expect(snapshot.status == 200)
            #expect((try AdminServerTests.json(snapshot.body)["nodes"] as? [Any])?.count == 2)
            #expect(try await AdminServerTests.curl(["--cacert", certs.ca, "\(base)/v1/snapshot"]).status == 401)
            #expect(try await AdminServerTests.curl(["--cacert", certs.ca, "https://localhost:\(address.port)/healthz"]) == (200, "ok"))
            #expect(try await AdminServerTests.curl(["--cacert", certs.otherCA, "\(base)/healthz"]).status == 0, "curl refuses a certificate of another CA")
            let plain = try await AdminServerTests.curl(["http://127.0.0.1:\(address.port)/healthz"])
            #expect(plain.status == 400)
            #expect(try AdminServerTests.json(plain.body)["error"] as? String
                == "this admin endpoint speaks TLS: use https:// (plain http:// here is likely a mismatch)")
        }
    }

    @Test func anEndpointThatRequiresClientCertificatesTakesItsCAsAndNamesWhyItRefusesOthers() async throws {
        let certs = try TestCertificates()
        let files = ServerTLSFiles(certFile: certs.cert("server"), keyFile: certs.key("server"), clientCAFile: certs.ca)
        try await Self.run(tls: files) { _, address in
            let base = "https://127.0.0.1:\(address.port)"
            let client = ["--cacert", certs.ca, "--cert", certs.cert("client"), "--key", certs.key("client")]
            #expect(try await AdminServerTests.curl(client + ["\(base)/healthz"]) == (200, "ok"))
            #expect(try await AdminServerTests.curl(["--cacert", certs.ca, "\(base)/healthz"]).status == 0)
            let other = ["--cacert", certs.ca, "--cert", certs.cert("untrusted-client"), "--key", certs.key("untrusted-client")]
            #expect(try await AdminServerTests.curl(other + ["\(base)/healthz"]).status == 0)
            var messages: [String] = []
            let deadline = Date().addingTimeInterval(10)
            repeat {
                let snapshot = try await AdminServerTests.curl(client + ["-H", "Authorization: Bearer \(Self.token)", "\(base)/v1/snapshot"])
                let events = (try AdminServerTests.json(snapshot.body)["events"] as? [[String: Any]]) ?? []
                messages = events.compactMap { $0["message"] as? String }.filter { $0.contains("TLS handshake") }
                if messages.count < 2 { try await Task.sleep(for: .milliseconds(50)) }
            } while messages.count < 2 && Date() < deadline
            #expect(messages.count == 2, "one event per refused connection: \(messages)")
            #expect(messages.contains { $0.hasPrefix("admin endpoint 127.0.0.1:\(address.port): TLS handshake with 127.0.0.1:")
                    && $0.hasSuffix("failed: no client certificate: this endpoint requires one signed by the CA in tls_client_ca_file") }, "\(messages)")
            #expect(messages.contains { $0.hasSuffix("failed: the client certificate CN=thrifttop-client (issuer CN=some other CA) is not signed by the CA in tls_client_ca_file") },
                    "\(messages)")

            // attach with and without a client certificate.
            let endpoint = AdminEndpoint.https(host: "127.0.0.1", port: address.port)
            try await Self.attached(endpoint, tls: AdminClientTLS(caFile: certs.ca, certFile: certs.cert("client"), keyFile: certs.key("client"))) { remote in
                #expect(await remote.configurationProblem() == nil)
                remote.start()
                #expect(await Self.eventually { remote.feed.isLive && remote.feed.snapshot.nodes.count == 2 })
            }
            try await Self.attached(endpoint, tls: AdminClientTLS(caFile: certs.ca)) { remote in
                let problem = await remote.configurationProblem()
                #expect(problem == "https://127.0.0.1:\(address.port): the daemon refused the handshake: it requires a client certificate (give --cert-file and --key-file)")
            }
        }
    }

    @Test func attachOverHTTPSFollowsTheDaemonWithItsCAAndRefusesAnotherByName() async throws {
        let certs = try TestCertificates()
        try await Self.run(tls: ServerTLSFiles(certFile: certs.cert("server"), keyFile: certs.key("server"))) { _, address in
            let endpoint = try AdminEndpoint(parsing: "https://127.0.0.1:\(address.port)")
            try await Self.attached(endpoint, tls: AdminClientTLS(caFile: certs.ca)) { remote in
                #expect(await remote.configurationProblem() == nil)
                remote.start()
                #expect(await Self.eventually { remote.feed.isLive && remote.feed.snapshot.nodes.count == 2 })
                #expect(await remote.execute(.drain(node: "a")).isDone)
                #expect(await Self.eventually { remote.feed.snapshot.node(named: "a")?.operatorDrained == true })
            }
            let wrong = "https://127.0.0.1:\(address.port): the daemon's certificate is not signed by the CA in --ca-file \(certs.otherCA), or it has expired or is not valid yet"
            try await Self.attached(endpoint, tls: AdminClientTLS(caFile: certs.otherCA)) { remote in
                #expect(await remote.configurationProblem() == wrong)
                remote.start()
                #expect(await Self.eventually {
                    if case let .unreachable(_, reason, _) = remote.feed.link { return "\(endpoint): \(reason)" == wrong }
                    return false
                }, "\(remote.feed.link)")
            }
            try await Self.attached(.http(host: "127.0.0.1", port: address.port), tls: AdminClientTLS()) { remote in
                #expect(await remote.configurationProblem()
                    == "http://127.0.0.1:\(address.port): the daemon's admin endpoint speaks TLS: plain http:// is likely a mismatch (attach https://…)")
            }
        }
        try await Self.run(tls: nil) { _, address in
            try await Self.attached(.https(host: "127.0.0.1", port: address.port), tls: AdminClientTLS(caFile: certs.ca)) { remote in
                #expect(await remote.configurationProblem()
                    == "https://127.0.0.1:\(address.port): the daemon does not answer in TLS: likely a mismatch (a plaintext admin endpoint takes http://)")
            }
        }
    }

    @Test func aReloadReadsTheCertificateAgainWhileAttachedDashboardsStay() async throws {
        let certs = try TestCertificates()
        let cert = certs.folder.appendingPathComponent("admin.pem").path, key = certs.folder.appendingPathComponent("admin.key").path
        func install(_ name: String) throws {
            for (from, to) in [(certs.cert(name), cert), (certs.key(name), key)] {
                try? FileManager.default.removeItem(atPath: to)
                try FileManager.default.copyItem(atPath: from, toPath: to)
            }
        }
        try install("server")
        try await Self.run(tls: ServerTLSFiles(certFile: cert, keyFile: key)) { admin, address in
            try await Self.attached(.https(host: "127.0.0.1", port: address.port), tls: AdminClientTLS(caFile: certs.ca)) { remote in
                remote.start()
                #expect(await Self.eventually { remote.feed.isLive })
                try install("soon")
                var outcome = ReloadOutcome()
                await admin.reload(ClusterConfig(name: "adm", nodes: []), into: &outcome)
                #expect(outcome.tlsFilesReread == ["admin endpoint 127.0.0.1:\(address.port)"] && outcome.notApplied.isEmpty, "\(outcome)")
                #expect(try await ServedCertificate.pem(port: address.port, ca: certs.ca) == ServedCertificate.pem(file: certs.cert("soon")))

                try FileManager.default.removeItem(atPath: key)
                var failed = ReloadOutcome()
                await admin.reload(ClusterConfig(name: "adm", nodes: []), into: &failed)
                #expect(failed.tlsFilesReread.isEmpty)
                #expect(failed.notApplied == ["admin endpoint 127.0.0.1:\(address.port): tls_key_file \(key): no such file; its certificate in force stays"])
                #expect(try await ServedCertificate.pem(port: address.port, ca: certs.ca) == ServedCertificate.pem(file: certs.cert("soon")))
                #expect(remote.feed.isLive, "the attached stream went on through both reloads")
                #expect(await remote.execute(.drain(node: "b")).isDone)
            }
        }
    }

    @Test func filesThatCannotBeUsedStopTheStartNamingTheFile() async throws {
        let certs = try TestCertificates()
        let missing = certs.folder.appendingPathComponent("none.pem").path
        do {
            try await Self.run(tls: ServerTLSFiles(certFile: missing, keyFile: certs.key("server"))) { _, _ in
                Issue.record("the endpoint started without its certificate")
            }
        } catch {
            #expect("\(error)" == "admin endpoint 127.0.0.1:0: tls_cert_file \(missing): no such file")
        }
    }

    @Test func aNonLoopbackAddressIsTakenOverTLSOnlyAndTLSOnlyWithAnAddress() throws {
        func parse(_ admin: String) throws -> AdminSettings {
            try ClusterConfig(parsing: "[admin]\n" + admin + "\n[[node]]\nname = \"a\"\naddress = \"127.0.0.1:1\"\n", file: "c.toml").admin
        }
        func error(_ admin: String) -> String? {
            do {
                _ = try parse(admin)
                return nil
            } catch {
                return "\(error)"
            }
        }
        let tls = "tls_cert_file = \"/etc/tt/admin.pem\"\ntls_key_file = \"/etc/tt/admin.key\""
        let open = try parse("address = \"0.0.0.0:9901\"\ntoken_file = \"/t\"\n" + tls + "\ntls_client_ca_file = \"/etc/tt/ops-ca.pem\"")
        #expect(open.address == NodeAddress(host: "0.0.0.0", port: 9901))
        #expect(open.tls == ServerTLSFiles(certFile: "/etc/tt/admin.pem", keyFile: "/etc/tt/admin.key", clientCAFile: "/etc/tt/ops-ca.pem"))
        #expect(error("address = \"10.1.2.3:9900\"\ntoken_file = \"/t\"")
            == "c.toml:2: admin.address: 10.1.2.3:9900 is not a loopback address: tokens would cross the network in the clear; set tls_cert_file and tls_key_file to serve it over TLS, or listen on 127.0.0.1")
        #expect(error(tls) == "c.toml:2: admin.tls_cert_file: TLS is for the TCP endpoint, and there is none: set address = \"HOST:PORT\" (the Unix socket has no TLS)")
        #expect(error("address = \"10.1.2.3:9900\"\n" + tls) == "c.toml:2: admin.address: a TCP admin endpoint needs token_file (one token per line, NAME:TOKEN to name its operator)")
        #expect(error("address = \"127.0.0.1:9900\"\ntoken_file = \"/t\"\ntls_key_file = \"/k\"")
            == "c.toml:4: admin.tls_key_file: needs tls_cert_file too (the certificate this key belongs to, PEM)")
    }
}
