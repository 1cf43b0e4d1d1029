import AsyncHTTPClient
import ClusterModel
import ClusterPool
import EtcdClient
import EtcdHarness
import Foundation
@testable import SharedState
import Testing
import TLSHarness

/// EtcdClient against a real etcd 3.4 serving TLS (certificates made at test time): what works
/// with the right CA, and what each way of getting TLS wrong is called.
@Suite("TLS to etcd", .serialized, .timeLimit(.minutes(2)))
struct EtcdTLSTests {
    @Test func withTheRightCAPutsGetsAndWatchesWork() async throws {
        let certs = try TestCertificates()
        let etcd = try await EtcdServer.start(name: "tls", tls: .init(certFile: certs.cert("server"), keyFile: certs.key("server")))
        #expect(etcd.endpoint.hasPrefix("https://127.0.0.1:"))
        try await withTLSClient(etcd.endpoint, stateTLS(ca: certs.ca)) { client in
            let written = try await client.put("/t/a", Array("over TLS".utf8))
            #expect(try await client.get("/t/a")?.value == Array("over TLS".utf8))
            let watch = WatchRecorder(client.watch(prefix: "/t/", from: written + 1))
            try await etcd.etcdctl(["put", "/t/b", "from etcdctl"])
            #expect(await watch.events(1).map(\.key) == ["/t/b"])
            await watch.cancel()
        }
    }

    @Test func aWrongCAIsATLSErrorNamingTheEndpointTheIssuerAndTheCAFile() async throws {
        let certs = try TestCertificates()
        let etcd = try await EtcdServer.start(name: "tls-ca", tls: .init(certFile: certs.cert("server"), keyFile: certs.key("server")))
        try await withTLSClient(etcd.endpoint, stateTLS(ca: certs.otherCA)) { client in
            let error = await etcdError { try await client.get("/t/a") }
            guard case let .tls(text)? = error else {
                Issue.record("a wrong CA gave \(String(describing: error))")
                return
            }
            #expect(error?.isUnreachable == false)
            #expect(text == "TLS to etcd failed reading the key \"/t/a\": \(etcd.endpoint): its TLS certificate (CN=localhost) is issued by "
                + "CN=thrifttop test CA, which is not a CA of [state] tls_ca_file \(certs.otherCA)")
            // A watch is refused the same way, not retried as an outage.
            let watch = WatchRecorder(client.watch(prefix: "/t/", from: 1))
            #expect(await watch.wait(seconds: 10) { $0.endedAt != nil })
            #expect((watch.now.error as? EtcdError).map { if case .tls = $0 { true } else { false } } == true, "\(String(describing: watch.now.error))")
        }
    }

    /// A member whose certificate fails beside members that are down: an outage (a start then
    /// falls back on its cache) whose reason still says what is wrong with that certificate,
    /// not a configuration error that would stop the start.
    @Test func aTLSFailureBesideMembersThatAreDownIsAnOutageThatNamesIt() async throws {
        let certs = try TestCertificates()
        let expired = try await EtcdServer.start(name: "tls-expired-member", tls: .init(certFile: certs.cert("expired"), keyFile: certs.key("expired")))
        let gone = try await EtcdServer.start(name: "tls-gone-member", tls: .init(certFile: certs.cert("server"), keyFile: certs.key("server")))
        await gone.kill()
        try await withTLSClient(expired.endpoint, also: [gone.endpoint], stateTLS(ca: certs.ca)) { client in
            let error = await etcdError { try await client.status() }
            guard case let .unreachable(text)? = error else {
                Issue.record("one expired member and one down gave \(String(describing: error))")
                return
            }
            #expect(text.contains("\(expired.endpoint): its TLS certificate (CN=localhost) expired at 20"), "\(text)")
            #expect(text.contains("\(gone.endpoint): "), "\(text)")
        }
    }

    @Test func anExpiredOrNotYetValidCertificateIsSaidSoWithItsDate() async throws {
        let certs = try TestCertificates()
        for (name, words) in [("expired", "expired at 20"), ("notyet", "is not valid before 20")] {
            let etcd = try await EtcdServer.start(name: "tls-\(name)", tls: .init(certFile: certs.cert(name), keyFile: certs.key(name)))
            try await withTLSClient(etcd.endpoint, stateTLS(ca: certs.ca)) { client in
                let text = await etcdError { try await client.status() }?.description ?? ""
                #expect(text.contains("\(etcd.endpoint): its TLS certificate (CN=localhost) \(words)") && text.hasSuffix("Z"), "\(text)")
            }
        }
    }

    @Test func aCertificateForAnotherNameIsRefusedListingTheNamesItHas() async throws {
        let certs = try TestCertificates()
        let etcd = try await EtcdServer.start(name: "tls-name", tls: .init(certFile: certs.cert("wrongname"), keyFile: certs.key("wrongname")))
        try await withTLSClient(etcd.endpoint, stateTLS(ca: certs.ca)) { client in
            let text = await etcdError { try await client.status() }?.description ?? ""
            #expect(text.hasSuffix("\(etcd.endpoint): its TLS certificate (CN=other.example) is not for 127.0.0.1: it names DNS:other.example, IP:10.9.9.9"),
                    "\(text)")
        }
    }

    @Test func httpsToAPlainEtcdAndHttpToATLSEtcdAreSaidToBeWrittenTheWrongWayRound() async throws {
        let certs = try TestCertificates()
        let plain = try await EtcdServer.start(name: "plain")
        let https = plain.endpoint.replacingOccurrences(of: "http://", with: "https://")
        try await withTLSClient(https, stateTLS(ca: certs.ca)) { client in
            let text = await etcdError { try await client.status() }?.description ?? ""
            #expect(text.hasSuffix("\(https): it answers in plain HTTP, not TLS: write \(plain.endpoint), or start etcd with --cert-file and --key-file"),
                    "\(text)")
        }
        let secure = try await EtcdServer.start(name: "secure", tls: .init(certFile: certs.cert("server"), keyFile: certs.key("server")))
        let http = secure.endpoint.replacingOccurrences(of: "https://", with: "http://")
        try await withTLSClient(http, stateTLS(ca: certs.ca)) { client in
            let error = await etcdError { try await client.status() }
            #expect(error?.isUnreachable == false)
            #expect(error?.description.hasSuffix("\(http): it speaks TLS, not plain HTTP: write \(secure.endpoint) "
                + "(and tls_ca_file, if etcd's CA is not in the system trust store)") == true, "\(String(describing: error))")
        }
    }

    @Test func etcdWithClientCertAuthRefusesAClientWithoutACertificateOrWithAnUntrustedOne() async throws {
        let certs = try TestCertificates()
        let etcd = try await EtcdServer.start(name: "mtls", tls: mutualTLS(certs))
        try await withTLSClient(etcd.endpoint, stateTLS(ca: certs.ca)) { client in
            let text = await etcdError { try await client.status() }?.description ?? ""
            #expect(text.hasSuffix("\(etcd.endpoint): it wants a TLS client certificate (etcd --client-cert-auth) and none is configured: "
                + "set tls_cert_file and tls_key_file"), "\(text)")
        }
        try await withTLSClient(etcd.endpoint, stateTLS(ca: certs.ca, cert: certs.cert("untrusted-client"), key: certs.key("untrusted-client"))) { client in
            let text = await etcdError { try await client.status() }?.description ?? ""
            #expect(text.contains("\(etcd.endpoint): it refused the TLS client certificate of [state] tls_cert_file \(certs.cert("untrusted-client"))"), "\(text)")
        }
        try await withTLSClient(etcd.endpoint, stateTLS(ca: certs.ca, cert: certs.cert("client"), key: certs.key("client"))) { client in
            try await client.put("/t/a", [1])
            #expect(try await client.get("/t/a")?.value == [1])
        }
    }

    @Test func replacedTLSReachesNewRequestsWhileAWatchUnderWayKeepsItsConnection() async throws {
        let certs = try TestCertificates()
        let etcd = try await EtcdServer.start(name: "mtls-swap", tls: mutualTLS(certs))
        let good = try stateTLS(ca: certs.ca, cert: certs.cert("client"), key: certs.key("client"))
        let untrusted = try stateTLS(ca: certs.ca, cert: certs.cert("untrusted-client"), key: certs.key("untrusted-client"))
        try await withTLSClient(etcd.endpoint, good) { client in
            let revision = try await client.put("/t/a", [1])
            let watch = WatchRecorder(client.watch(prefix: "/t/", from: revision + 1, silenceLimit: .seconds(60)))
            try await etcd.etcdctl(["put", "/t/b", "1"])
            #expect(await watch.events(1).count == 1)

            #expect(client.replaceTLS(untrusted))
            #expect(!client.replaceTLS(untrusted), "the same files again are no change")
            let refused = await etcdError { try await client.get("/t/a") }
            #expect(refused?.description.contains("refused the TLS client certificate") == true, "\(String(describing: refused))")
            // The watch's connection was made before: it stays, and still delivers.
            try await etcd.etcdctl(["put", "/t/c", "2"])
            #expect(await watch.events(2).map(\.key) == ["/t/b", "/t/c"])
            #expect(watch.now.error == nil)

            client.replaceTLS(good)
            #expect(try await client.get("/t/a")?.value == [1])
            await watch.cancel()
        }
    }
}

/// `[state]` with https:// endpoints, opened as `serve` and the dashboard open it: shared state
/// end to end over TLS, what stops a start, and a reload reading renewed files.
@Suite("[state] over TLS", .serialized, .timeLimit(.minutes(2)))
struct StateOverTLSTests {
    static func server(_ certs: TestCertificates) -> EtcdServer.TLS { .init(certFile: certs.cert("server"), keyFile: certs.key("server")) }

    @Test func aDrainOnOneInstanceReachesTheOtherOverTLS() async throws {
        try await TLSStateFixture.with(etcd: Self.server) { fixture in
            let (a, _) = try await fixture.start(fixture.config(instance: "serve-a", ca: fixture.certs.ca))
            let (b, _) = try await fixture.start(fixture.config(instance: "serve-b", ca: fixture.certs.ca))
            #expect(await a.execute(.drain(node: "two"), user: "alice").isDone)
            let seen = try await b.waitFor("two drained on serve-b") { $0.node(named: "two")?.operatorDrained == true }
            #expect(seen.node(named: "two")?.lastChange?.instance == "serve-a")
            let listing = try await fixture.etcd.etcdctl(["get", "--prefix", "/thrifttop/tls/nodes/"])
            #expect(listing.contains("/thrifttop/tls/nodes/two"))
        }
    }

    @Test func aWrongCAStopsTheStartNamingTheEndpointAndTheCAFile() async throws {
        try await TLSStateFixture.with(etcd: Self.server) { fixture in
            let text = await fixture.startError(fixture.config(instance: "serve-a", ca: fixture.certs.otherCA))
            #expect(text.hasPrefix("etcd (\(fixture.etcd.endpoint) /thrifttop/tls/): TLS to etcd failed"), "\(text)")
            #expect(text.hasSuffix("\(fixture.etcd.endpoint): its TLS certificate (CN=localhost) is issued by CN=thrifttop test CA, "
                + "which is not a CA of [state] tls_ca_file \(fixture.certs.otherCA)"), "\(text)")
        }
    }

    @Test func aTLSFileThatCannotBeUsedStopsTheStartNamingTheKeyAndThePath() async throws {
        try await TLSStateFixture.with(etcd: Self.server) { fixture in
            let missing = fixture.directory.appendingPathComponent("nope.pem").path
            #expect(await fixture.startError(fixture.config(instance: "a", ca: missing)) == "[state] tls_ca_file \(missing): no such file")
            let certs = fixture.certs
            let mismatched = fixture.config(instance: "a", ca: certs.ca, cert: certs.cert("client"), key: certs.key("server"))
            #expect(await fixture.startError(mismatched)
                == "[state] tls_key_file \(certs.key("server")): is not the private key of the certificate in \(certs.cert("client"))")
            let notPEM = fixture.config(instance: "a", ca: certs.key("ca"))
            #expect(await fixture.startError(notPEM).hasPrefix("[state] tls_ca_file \(certs.key("ca")): "))
        }
    }

    @Test func etcdWithClientCertAuthStopsAStartWithoutTLSCertFileAndTakesOneWithIt() async throws {
        try await TLSStateFixture.with(etcd: mutualTLS) { fixture in
            let certs = fixture.certs
            let text = await fixture.startError(fixture.config(instance: "serve-a", ca: certs.ca))
            #expect(text.contains("it wants a TLS client certificate (etcd --client-cert-auth) and none is configured"), "\(text)")
            let (a, _) = try await fixture.start(fixture.config(instance: "serve-a", ca: certs.ca, cert: certs.cert("client"), key: certs.key("client")))
            #expect(await a.execute(.drain(node: "one")).isDone)
        }
    }

    @Test func aReloadReadsRenewedFilesUnderTheSamePathsForNewConnections() async throws {
        try await TLSStateFixture.with(etcd: mutualTLS) { fixture in
            let certs = fixture.certs
            let cert = fixture.directory.appendingPathComponent("etcd-client.pem").path
            let key = fixture.directory.appendingPathComponent("etcd-client.key").path
            func install(_ name: String) throws {
                for (from, to) in [(certs.cert(name), cert), (certs.key(name), key)] {
                    try? FileManager.default.removeItem(atPath: to)
                    try FileManager.default.copyItem(atPath: from, toPath: to)
                }
            }
            try install("client")
            let config = fixture.config(instance: "serve-a", ca: certs.ca, cert: cert, key: key)
            let (a, connection) = try await fixture.start(config)
            let readAgain = "[state] TLS files read again: new connections to etcd use them"
            func reload() async throws -> (ReloadOutcome, [String]) {
                let before = try await a.pool.currentSnapshot().events.last?.id ?? 0
                let outcome = await a.pool.reload(config, also: [connection])
                return (outcome, try await a.pool.currentSnapshot().events.filter { $0.id > before }.map(\.message))
            }

            // The same contents: read, in the outcome, but no event.
            var (outcome, events) = try await reload()
            #expect(outcome.isDone && outcome.notApplied.isEmpty && !events.contains(readAgain), "\(outcome.message) \(events)")
            #expect(outcome.tlsFilesReread == ["[state] etcd"], "\(outcome.message)")

            // A file that is not PEM: named, and the certificate read before stays in use.
            try "not a certificate\n".write(toFile: cert, atomically: true, encoding: .utf8)
            (outcome, _) = try await reload()
            #expect(outcome.notApplied.contains { $0.hasPrefix("[state] tls_cert_file \(cert): is not a PEM certificate file") }, "\(outcome.message)")
            #expect(outcome.message.contains("connections to etcd keep the certificates read before"))
            #expect(outcome.tlsFilesReread.isEmpty, "\(outcome.message)")
            #expect(await a.execute(.drain(node: "one")).isDone)

            // A certificate etcd does not trust: read, in force for the next connection, refused.
            try install("untrusted-client")
            (outcome, events) = try await reload()
            #expect(outcome.notApplied.isEmpty && events.contains(readAgain), "\(outcome.message) \(events)")
            let refused = await a.execute(.undrain(node: "one"))
            #expect(!refused.isDone && refused.description.contains("refused the TLS client certificate of [state] tls_cert_file \(cert)"), "\(refused)")

            // A renewed certificate etcd trusts (another one from its CA): in force again.
            try install("etcd")
            (outcome, events) = try await reload()
            #expect(outcome.notApplied.isEmpty && events.contains(readAgain), "\(outcome.message) \(events)")
            var undone = await a.execute(.undrain(node: "one"))
            // On a slow machine the watch may have gone silent meanwhile (its status probes were
            // refused too), so the authority counts etcd as unreachable until its next resync.
            let deadline = Date().addingTimeInterval(10)
            while !undone.isDone && Date() < deadline {
                try await Task.sleep(for: .milliseconds(200))
                undone = await a.execute(.undrain(node: "one"))
            }
            #expect(undone.isDone, "\(undone)")
        }
    }
}

/// etcd wanting client certificates from the test CA; the harness presents the test client's.
func mutualTLS(_ certs: TestCertificates) -> EtcdServer.TLS {
    EtcdServer.TLS(certFile: certs.cert("etcd"), keyFile: certs.key("etcd"), clientCAFile: certs.ca,
                   clientCertFile: certs.cert("client"), clientKeyFile: certs.key("client"))
}

/// The client's TLS as `[state]` with these files makes it.
func stateTLS(ca: String?, cert: String? = nil, key: String? = nil) throws -> EtcdTLS {
    var state = StateSettings()
    state.tlsCAFile = ca
    state.tlsCertFile = cert
    state.tlsKeyFile = key
    return try StateTLS.read(state)
}

/// `withClient` over TLS.
func withTLSClient<T>(_ endpoint: String, also others: [String] = [], _ tls: EtcdTLS, _ body: (EtcdClient) async throws -> T) async throws -> T {
    let parsed = try ([endpoint] + others).map(EtcdEndpoint.init(parsing:))
    return try await HTTPClient.withHTTPClient(configuration: EtcdClient.httpConfiguration) { http in
        try await body(EtcdClient(endpoints: parsed, credentials: nil, http: http, tls: tls))
    }
}
