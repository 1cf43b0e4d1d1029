import ClusterModel
import Foundation
import NIOCore
import NIOSSL
import NIOTLS

/// Counts what a server sends before the TLS handshake ends (nothing at all says "a plaintext
/// server"), at the pipeline's head; leaves once the handshake is done.
final class TLSBytesSeen: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private(set) var count = 0
    private(set) var first: [UInt8] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        if first.count < 2 { first += buffer.readableBytesView.prefix(2 - first.count) }
        count += buffer.readableBytes
        context.fireChannelRead(data)
    }
}

/// Watches one client handshake (after `NIOSSLClientHandler`): completes `session` with the
/// version and certificate, or fails it with a `NodeTLSFailure` naming the cause; enforces the
/// handshake deadline (swift-nio-ssl has none). After the handshake it names errors a TLS 1.3
/// server can still send (it refuses a missing client certificate only then).
final class TLSHandshakeWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let session: EventLoopPromise<TLSSession>
    private let client: NodeTLSClient
    private let expectedName: String
    /// The DNS name checked (nil for an IP address, checked by swift-nio-ssl against IP SANs).
    private let dnsName: String?
    private let timeout: TimeAmount
    private let bytes: TLSBytesSeen
    private let ssl: NIOSSLClientHandler
    private let requestsBefore: Int
    private var timer: Scheduled<Void>?
    private var done = false

    init(client: NodeTLSClient, host: String, timeout: TimeAmount, bytes: TLSBytesSeen, ssl: NIOSSLClientHandler,
         session: EventLoopPromise<TLSSession>) {
        self.client = client
        dnsName = client.settings.expectedName(host: host)
        expectedName = dnsName ?? host
        self.timeout = timeout
        self.bytes = bytes
        self.ssl = ssl
        self.session = session
        requestsBefore = client.certificateRequestCount
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) {
            let (watch, context) = bound.value
            watch.fail(context, NodeTLSFailure.timedOut(after: watch.timeout, watch.evidence(ChannelError.connectTimeout(watch.timeout))))
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event, !done {
            let peer = ssl.peerCertificate
            let certificate = peer.map(PeerCertificate.init)
            if let dnsName, !client.settings.insecureSkipVerify, let peer, let certificate,
               !DNSName.certificate(alternativeNames: PeerCertificate.alternativeNames(of: peer), subject: certificate.subject, matches: dnsName) {
                fail(context, NodeTLSFailure.hostnameMismatch(expected: dnsName, peer: certificate, settings: client.settings))
                return
            }
            done = true
            timer?.cancel()
            session.succeed(TLSSession(version: ssl.tlsVersion?.displayName, certificate: certificate,
                                       clientCertificateRequested: client.certificateRequestCount != requestsBefore))
            context.pipeline.syncOperations.removeHandler(bytes, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard done else {
            fail(context, NodeTLSFailure.classify(evidence(error)))
            return
        }
        // A TLS 1.3 server refuses a client certificate after our side of the handshake ended.
        let text = String(describing: error)
        if error is NIOSSLError || error is BoringSSLError, text.contains("ALERT") || text.contains("CERTIFICATE_REQUIRED") {
            context.fireErrorCaught(NodeTLSFailure.classify(evidence(error)))
        } else {
            context.fireErrorCaught(error)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !done { fail(context, NodeTLSFailure.closedDuringHandshake(evidence(ChannelError.eof))) }
        context.fireChannelInactive()
    }

    private func fail(_ context: ChannelHandlerContext, _ failure: NodeTLSFailure) {
        guard !done else { return }
        done = true
        timer?.cancel()
        session.fail(failure)
        context.close(promise: nil)
    }

    private func evidence(_ error: any Error) -> TLSHandshakeEvidence {
        TLSHandshakeEvidence(error: error, settings: client.settings, expectedName: expectedName, peer: ssl.peerCertificate,
                             bytesReceived: bytes.count, firstBytes: bytes.first,
                             certificateRequested: client.certificateRequestCount != requestsBefore,
                             now: Date().timeIntervalSince1970)
    }
}

/// A DNS name against a certificate's names, as RFC 6125 has it: its DNS SANs (a `*` standing
/// for the whole first label), or its subject's CN when it has no SANs at all.
///
/// swift-nio-ssl also accepts a certificate whose IP SAN is the connected address when a DNS
/// name was asked for; a node with `tls_server_name` must show that name, so this check runs
/// after its own.
enum DNSName {
    /// `alternativeNames` as `PeerCertificate.alternativeNames(of:)` gives them, all of them.
    static func certificate(alternativeNames: [String], subject: String, matches name: String) -> Bool {
        let dnsNames = alternativeNames.filter { $0.hasPrefix("DNS:") }.map { String($0.dropFirst(4)) }
        if alternativeNames.isEmpty {
            let commonName = subject.split(separator: ",").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("CN=") }
            return commonName.map { matches(pattern: String($0.trimmingCharacters(in: .whitespaces).dropFirst(3)), name) } ?? false
        }
        return dnsNames.contains { matches(pattern: $0, name) }
    }

    static func matches(pattern: String, _ name: String) -> Bool {
        func normal(_ s: String) -> String { (s.hasSuffix(".") ? String(s.dropLast()) : s).lowercased() }
        let pattern = normal(pattern), name = normal(name)
        if pattern == name { return true }
        guard pattern.hasPrefix("*."), let dot = name.firstIndex(of: "."), dot != name.startIndex else { return false }
        return name[dot...] == pattern.dropFirst()
    }
}

@available(*, unavailable)
extension TLSBytesSeen: Sendable {}

@available(*, unavailable)
extension TLSHandshakeWatch: Sendable {}
