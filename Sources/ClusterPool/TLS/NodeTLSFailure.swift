import ClusterModel
import NIOCore
import NIOSSL
import TLSSupport

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
    /// Names the cause of a failed handshake from swift-nio-ssl's error (BoringSSL's reason
    /// names), the certificate the server showed, and what came over the wire.
    static func classify(_ evidence: TLSHandshakeEvidence) -> NodeTLSFailure {
        let text = String(describing: evidence.error)
        let settings = evidence.settings
        if let failure = evidence.error as? NodeTLSFailure { return failure }
        if let extra = evidence.error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            return hostnameMismatch(expected: evidence.expectedName, peer: evidence.peer.map(PeerCertificate.init), settings: settings)
        }
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            guard let peer = evidence.peer.map(PeerCertificate.init) else {
                return NodeTLSFailure(.unknownCA, "the server's certificate could not be verified against \(settings.trustDescription)")
            }
            if evidence.now > peer.notValidAfter {
                return NodeTLSFailure(.expired, "the server's certificate (\(peer.subject)) expired \(RFC3339.string(fromUnixSeconds: peer.notValidAfter))")
            }
            if evidence.now < peer.notValidBefore {
                return NodeTLSFailure(.notYetValid, "the server's certificate (\(peer.subject)) is valid only from \(RFC3339.string(fromUnixSeconds: peer.notValidBefore))")
            }
            return NodeTLSFailure(.unknownCA, "the server's certificate (\(peer.subject)) is issued by \(peer.issuer), which is not in \(settings.trustDescription)")
        }
        if text.contains("CERTIFICATE_REQUIRED") || (evidence.certificateRequested && settings.certFile == nil && text.contains("HANDSHAKE_FAILURE")) {
            return NodeTLSFailure(.clientCertificateWanted, "the server wants a client certificate: set tls_cert_file and tls_key_file")
        }
        for (alert, why) in [("ALERT_UNKNOWN_CA", "its CA is not one the server trusts"), ("ALERT_CERTIFICATE_EXPIRED", "the server says it expired"),
                             ("ALERT_BAD_CERTIFICATE", "the server calls it bad"), ("ALERT_CERTIFICATE_UNKNOWN", "the server does not accept it"),
                             ("ALERT_ACCESS_DENIED", "the server denies it access")] where text.contains(alert) {
            return NodeTLSFailure(.clientCertificateRefused, "the server refused our client certificate \(settings.certFile ?? ""): \(why)")
        }
        if text.contains("UNSUPPORTED_PROTOCOL") || text.contains("ALERT_PROTOCOL_VERSION") {
            return NodeTLSFailure(.versionMismatch, "the server and tls_min_version = \"\(settings.minimumVersion.rawValue)\" share no TLS version")
        }
        if text.contains("WRONG_VERSION_NUMBER") || text.contains("HTTP_REQUEST") {
            return NodeTLSFailure(.plaintextServer, "the server answered \(hex(evidence.firstBytes)), which is not TLS: likely a plaintext server on a TLS node (tls = true)")
        }
        if text.contains("EOF during handshake") || text.contains("eofDuringHandshake") || evidence.error is ChannelError {
            return closedDuringHandshake(evidence)
        }
        return NodeTLSFailure(.other, reason(text))
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

    /// BoringSSL's reason name out of its error stack, e.g. `NO_SHARED_CIPHER`.
    private static func reason(_ text: String) -> String {
        if let range = text.range(of: "OPENSSL_internal:") {
            let rest = text[range.upperBound...]
            return String(rest.prefix { $0 != " " && $0 != "," && $0 != "]" && $0 != ")" })
        }
        return String(text.prefix(200))
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.isEmpty ? "nothing" : bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: " ") + " …"
    }
}
