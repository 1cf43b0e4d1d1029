import ClusterModel
import Testing
@testable import DashboardKit

/// What an operator sees of TLS nodes: a TLS column only when some node has TLS, marking a
/// certificate inside its warning days, an expired one and one nobody checks; the detail's
/// certificate lines.
@Suite("TLS display")
struct TLSDisplayTests {
    static let day = 86_400.0

    /// The fixture with alpha-1 on TLS 1.3 (a year left), beta-2's certificate 5 days from
    /// expiry, gamma-3's expired, delta-4 unchecked.
    static var snapshot: ClusterSnapshot {
        var snapshot = Fixture.snapshot
        let now = Fixture.wallTime
        func certificate(daysLeft: Double) -> PeerCertificate {
            PeerCertificate(subject: "CN=localhost", issuer: "CN=thrifttop test CA", alternativeNames: ["DNS:localhost", "IP:127.0.0.1"],
                            notValidBefore: now - 30 * day, notValidAfter: now + daysLeft * day)
        }
        let tls: [String: NodeTLS] = [
            "alpha-1": NodeTLS(version: "TLS 1.3", certificate: certificate(daysLeft: 364.5)),
            "beta-2": NodeTLS(version: "TLS 1.2", certificate: certificate(daysLeft: 5.5)),
            "gamma-3": NodeTLS(version: "TLS 1.3", certificate: certificate(daysLeft: -2)),
            "delta-4": NodeTLS(version: "TLS 1.3", certificate: certificate(daysLeft: 100), insecureSkipVerify: true),
        ]
        snapshot.nodes = snapshot.nodes.map { node in
            var n = node
            n.tls = tls[n.name]
            return n
        }
        return snapshot
    }

    func row(_ screen: Screen, _ name: String) -> String {
        screen.rows.first { $0.contains(name) } ?? ""
    }

    @Test func theTableMarksExpiringExpiredAndUncheckedCertificates() {
        let screen = Dashboard.render(Self.snapshot, DashboardState(width: 160, height: 30), width: 160, height: 30)
        #expect(screen.rows.contains { $0.contains("TLS") && $0.contains("NAME") }, "a TLS column heading")
        #expect(row(screen, "alpha-1").contains("1.3 364d"))
        #expect(row(screen, "beta-2").contains("⚠ 5d"))
        #expect(row(screen, "gamma-3").contains("✗ expired"))
        #expect(row(screen, "delta-4").contains("⚠ noverify"))
        #expect(row(screen, "epsilon-5").contains(" - "), "a plaintext node among TLS ones")
    }

    @Test func theMarksSurviveANarrowTerminal() {
        let screen = Dashboard.render(Self.snapshot, DashboardState(width: 60, height: 30), width: 60, height: 30)
        #expect(row(screen, "beta-2").contains("⚠ 5d"))
    }

    @Test func aClusterWithoutTLSHasNoTLSColumn() {
        let screen = Dashboard.render(Fixture.snapshot, DashboardState(width: 160, height: 30), width: 160, height: 30)
        #expect(!screen.rows.contains { $0.contains("NAME") && $0.contains("TLS") })
    }

    @Test func theDetailShowsThePeerCertificate() {
        let snapshot = Self.snapshot
        let lines = NodeDetailWidget(node: snapshot.node(named: "beta-2")!, snapshot: snapshot, scroll: 0).lines(width: 120).map(\.text)
        #expect(lines.contains("TLS          TLS 1.2"))
        #expect(lines.contains("Certificate  CN=localhost"))
        #expect(lines.contains("  SANs       DNS:localhost, IP:127.0.0.1"))
        #expect(lines.contains("  issuer     CN=thrifttop test CA"))
        #expect(lines.contains { $0.hasPrefix("  valid      2026-10-22 12:34 – 2026-11-27 00:34 UTC · 5 days left (warns under 14 days)") })
        let expired = NodeDetailWidget(node: snapshot.node(named: "gamma-3")!, snapshot: snapshot, scroll: 0).lines(width: 120).map(\.text)
        #expect(expired.contains { $0.contains("expired 2 days ago") })
        let unchecked = NodeDetailWidget(node: snapshot.node(named: "delta-4")!, snapshot: snapshot, scroll: 0).lines(width: 120).map(\.text)
        #expect(unchecked.contains("TLS          TLS 1.3 · ⚠ certificate NOT verified (tls_insecure_skip_verify)"))
        let plain = NodeDetailWidget(node: snapshot.node(named: "epsilon-5")!, snapshot: snapshot, scroll: 0).lines(width: 120).map(\.text)
        #expect(!plain.contains { $0.hasPrefix("TLS ") })
    }
}
