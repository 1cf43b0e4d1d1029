import ClusterModel
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOSSL
import TLSHarness
import Testing
@testable import ClusterPool

/// The client handshake's own deadline and first-bytes reading, on an embedded channel whose
/// clock the test drives: exact, no wall clock.
@Suite("TLS handshake")
struct TLSHandshakeTests {
    let certificates: TestCertificates
    let client: NodeTLSClient

    init() throws {
        certificates = try TestCertificates()
        var settings = NodeTLSSettings()
        settings.caFile = certificates.ca
        client = try NodeTLSClient(settings: settings)
    }

    func start(_ channel: EmbeddedChannel, timeout: TimeAmount = .seconds(1)) throws -> EventLoopFuture<TLSSession> {
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9090)).wait()
        return ThriftConnection.handshake(channel, host: "127.0.0.1", tls: client, timeout: timeout)
    }

    /// The failure's text once the future has failed (embedded: callbacks run at once).
    func failure(_ future: EventLoopFuture<TLSSession>) -> String? {
        let text = NIOLockedValueBox<String?>(nil)
        future.whenFailure { error in text.withLockedValue { $0 = "\(error)" } }
        return text.withLockedValue { $0 }
    }

    @Test func aServerThatNeverAnswersTimesOutExactlyAtTheDeadlineAndIsCalledLikelyPlaintext() throws {
        let channel = EmbeddedChannel()
        let session = try start(channel)
        let hello = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(hello.getInteger(at: 0, as: UInt8.self) == 0x16, "a ClientHello went out")
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(999))
        #expect(failure(session) == nil)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(failure(session) == "TLS handshake timeout: no TLS reply within 1000 ms: likely a plaintext server on a TLS node (tls = true), or a hung server")
        #expect(!channel.isActive, "the connection is closed")
    }

    @Test func aPartialReplyThatStallsIsAHandshakeTimeoutWithoutThePlaintextGuess() throws {
        let channel = EmbeddedChannel()
        let session = try start(channel, timeout: .milliseconds(250))
        _ = try channel.readOutbound(as: ByteBuffer.self)
        try channel.writeInbound(ByteBuffer(bytes: [0x16, 0x03, 0x03, 0x00, 0x40]))  // a record header, no body
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(250))
        #expect(failure(session) == "TLS handshake timeout: the handshake did not finish within 250 ms")
    }

    @Test func aThriftReplyToAClientHelloIsAPlaintextServer() throws {
        let channel = EmbeddedChannel()
        let session = try start(channel)
        _ = try channel.readOutbound(as: ByteBuffer.self)
        // A framed binary reply's first bytes: length, then 80 01.
        _ = try? channel.writeInbound(ByteBuffer(bytes: [0x00, 0x00, 0x00, 0x20, 0x80, 0x01, 0x00, 0x02] + [UInt8](repeating: 0, count: 32)))
        let text = try #require(failure(session))
        #expect(text == "TLS plaintext server: the server answered 00 00 …, which is not TLS: likely a plaintext server on a TLS node (tls = true)")
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(failure(session) == text, "the timer does not report it again")
    }

    @Test func aCloseBeforeAnyReplyIsAPlaintextServer() throws {
        let channel = EmbeddedChannel()
        let session = try start(channel)
        _ = try channel.readOutbound(as: ByteBuffer.self)
        channel.pipeline.fireChannelInactive()
        #expect(failure(session)?.hasPrefix("TLS plaintext server: the server closed the connection without a TLS reply") == true)
    }

    @Test func dnsNamesMatchAsRFC6125HasIt() {
        #expect(DNSName.matches(pattern: "*.example.com", "db.example.com"))
        #expect(DNSName.matches(pattern: "DB.Example.com.", "db.example.com"))
        #expect(!DNSName.matches(pattern: "*.example.com", "example.com"), "a wildcard is one whole label")
        #expect(!DNSName.matches(pattern: "*.example.com", "a.b.example.com"))
        #expect(!DNSName.certificate(alternativeNames: ["IP:127.0.0.1"], subject: "CN=db.example", matches: "db.example"),
                "with SANs the CN does not count, and an IP SAN is no DNS name")
        #expect(DNSName.certificate(alternativeNames: [], subject: "CN=db.example, O=x", matches: "db.example"))
        // The check reads every name, not the first 64 that the snapshot keeps for display.
        let many = (0..<80).map { "DNS:n\($0).example" }
        #expect(DNSName.certificate(alternativeNames: many, subject: "CN=x", matches: "n79.example"))
    }
}
