import ClusterModel
import NIOCore
import NIOSSL
import TLSSupport
import ThriftWire

/// Why a TLS handshake with a node failed, in an operator's words: what was wrong with which
/// certificate, and which key fixes it. The pool reports it as the node's last error, in events
/// and in `check` (which exits 2 for it).
public struct NodeTLSFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        case unknownCA = "unknown CA"
        case expired
        case notYetValid = "not yet valid"
        case hostnameMismatch = "hostname mismatch"
        case handshakeTimeout = "handshake timeout"
        case clientCertificateWanted = "client certificate wanted"
        case clientCertificateRefused = "client certificate refused"
        case plaintextServer = "plaintext server"
        case versionMismatch = "no TLS version in common"
        case other = "handshake failed"
    }

    public var kind: Kind
    public var detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = TextSanitizer.clean(detail)
    }

    public var description: String { "TLS \(kind.rawValue): \(detail)" }
}

/// What the classifier knows about one failed handshake.
struct TLSHandshakeEvidence {
    var error: any Error
    var settings: NodeTLSSettings
    /// What the certificate was checked against: a DNS name, or the address's IP.
    var expectedName: String
    /// The leaf the server showed, if it got that far (BoringSSL keeps it on a failed verify).
    var peer: NIOSSLCertificate?
    /// Bytes the server sent before the failure, and its first two.
    var bytesReceived: Int
    var firstBytes: [UInt8]
    /// The server sent a CertificateRequest during this handshake.
    var certificateRequested: Bool
    /// Unix seconds.
    var now: Double
}

extension NodeTLSFailure {
    /// Names the cause of a failed handshake from swift-nio-ssl's error (`TLSReason`), the
    /// certificate the server showed, and what came over the wire.
    static func classify(_ evidence: TLSHandshakeEvidence) -> NodeTLSFailure {
        if let failure = evidence.error as? NodeTLSFailure { return failure }
        let settings = evidence.settings
        // What is left to say when nothing else names the cause.
        let raw = NodeTLSFailure(.other, String(String(describing: evidence.error).prefix(200)))
        guard let reason = TLSReason(evidence.error) else {
            return evidence.error is ChannelError ? closedDuringHandshake(evidence) : raw
        }
        switch reason {
        case .hostnameMismatch:
            return hostnameMismatch(expected: evidence.expectedName, peer: evidence.peer.map(PeerCertificate.init), settings: settings)
        case .certificateNotVerified:
            guard let peer = evidence.peer.map(PeerCertificate.init) else {
                return NodeTLSFailure(.unknownCA, "the server's certificate could not be verified against \(settings.trustDescription)")
            }
            switch peer.validity(at: evidence.now) {
            case .expired:
                return NodeTLSFailure(.expired, "the server's certificate (\(peer.subject)) expired \(RFC3339.string(fromUnixSeconds: peer.notValidAfter))")
            case .notYetValid:
                return NodeTLSFailure(.notYetValid, "the server's certificate (\(peer.subject)) is valid only from \(RFC3339.string(fromUnixSeconds: peer.notValidBefore))")
            case .current:
                return NodeTLSFailure(.unknownCA, "the server's certificate (\(peer.subject)) is issued by \(peer.issuer), which is not in \(settings.trustDescription)")
            }
        case .peerAlert(.certificateRequired):
            return clientCertificateWanted
        case .peerAlert(.handshakeFailure):
            // TLS 1.2's catch-all: a client certificate wanted only if the server asked for one.
            if evidence.certificateRequested && settings.certFile == nil { return clientCertificateWanted }
            return NodeTLSFailure(.other, "the server refused the handshake (\(TLSReason.Alert.handshakeFailure.words))")
        case let .peerAlert(alert):
            return NodeTLSFailure(.clientCertificateRefused, "the server refused our client certificate \(settings.certFile ?? ""): \(refusal(alert))")
        case .version:
            return NodeTLSFailure(.versionMismatch, "the server and tls_min_version = \"\(settings.minimumVersion.rawValue)\" share no TLS version")
        case .notTLS:
            return NodeTLSFailure(.plaintextServer, "the server answered \(hex(evidence.firstBytes)), which is not TLS: likely a plaintext server on a TLS node (tls = true)")
        case .closedDuringHandshake:
            return closedDuringHandshake(evidence)
        case .noSharedCipher:
            return NodeTLSFailure(.other, "the server and this client share no cipher")
        case .peerSentNoCertificate:
            // A server's own reading; a client does not meet it.
            return NodeTLSFailure(.other, "PEER_DID_NOT_RETURN_A_CERTIFICATE")
        case let .other(names):
            return names.first.map { NodeTLSFailure(.other, $0) } ?? raw
        }
    }

    private static let clientCertificateWanted = NodeTLSFailure(.clientCertificateWanted, "the server wants a client certificate: set tls_cert_file and tls_key_file")

    /// What the server's alert says of our client certificate.
    private static func refusal(_ alert: TLSReason.Alert) -> String {
        switch alert {
        case .unknownCA: "its CA is not one the server trusts"
        case .certificateExpired: "the server says it expired"
        case .badCertificate: "the server calls it bad"
        case .certificateUnknown: "the server does not accept it"
        case .accessDenied: "the server denies it access"
        case .certificateRevoked: "the server says it is revoked"
        case .unsupportedCertificate: "the server does not support its kind"
        case .certificateRequired, .handshakeFailure: alert.words
        }
    }

    static func hostnameMismatch(expected: String, peer: PeerCertificate?, settings: NodeTLSSettings) -> NodeTLSFailure {
        let names = peer?.alternativeNames ?? []
        let has = names.isEmpty ? (peer.map { "only the subject \($0.subject)" } ?? "no names") : names.joined(separator: ", ")
        return NodeTLSFailure(.hostnameMismatch, "expected \(expected), the certificate has \(has)"
            + (settings.serverName == nil ? " (tls_server_name sets the name to check)" : ""))
    }

    static func closedDuringHandshake(_ evidence: TLSHandshakeEvidence) -> NodeTLSFailure {
        if evidence.bytesReceived == 0 {
            return NodeTLSFailure(.plaintextServer, "the server closed the connection without a TLS reply: likely a plaintext server on a TLS node (tls = true)")
        }
        if evidence.certificateRequested && evidence.settings.certFile == nil {
            return NodeTLSFailure(.clientCertificateWanted, "the server asked for a client certificate and closed: set tls_cert_file and tls_key_file")
        }
        return NodeTLSFailure(.other, "the server closed the connection during the handshake")
    }

    static func timedOut(after timeout: TimeAmount, _ evidence: TLSHandshakeEvidence) -> NodeTLSFailure {
        let ms = timeout.nanoseconds / 1_000_000
        if evidence.bytesReceived == 0 {
            return NodeTLSFailure(.handshakeTimeout, "no TLS reply within \(ms) ms: likely a plaintext server on a TLS node (tls = true), or a hung server")
        }
        return NodeTLSFailure(.handshakeTimeout, "the handshake did not finish within \(ms) ms")
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.isEmpty ? "nothing" : HexBytes.text(bytes) + " …"
    }
}
