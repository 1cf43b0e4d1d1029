import ClusterModel
import Foundation
import NIOCore
import NIOSSL

/// Why a client's TLS handshake with one of our endpoints (a listener, the admin endpoint)
/// failed, in plain words for an event, and as a short label for a metric.
///
/// The cause is `TLSReason`'s reading of the error; a client certificate that failed
/// verification is still readable then, which tells expired, not yet valid and signed by
/// another CA apart.
public struct TLSHandshakeFailure: Sendable, Equatable, CustomStringConvertible {
    /// The `reason` label of a handshake failure counter.
    public enum Reason: String, Sendable, CaseIterable {
        case noClientCertificate = "no_client_certificate"
        case clientCertificateRejected = "client_certificate_rejected"
        /// The client did not accept our certificate (its alert says so).
        case certificateRefusedByClient = "certificate_refused_by_client"
        case version
        case noSharedCipher = "no_shared_cipher"
        /// The client hung up half-way.
        case closed
        case timeout
        case other
    }

    public var reason: Reason
    public var text: String
    public var description: String { text }

    public init(reason: Reason, text: String) {
        self.reason = reason
        self.text = text
    }

    /// A client that began a handshake and did not finish it within `after`.
    public static func timeout(after: TimeAmount) -> TLSHandshakeFailure {
        let seconds = Double(after.nanoseconds) / 1e9
        let shown = seconds == seconds.rounded() ? "\(Int(seconds))" : "\((seconds * 10).rounded() / 10)"
        return TLSHandshakeFailure(reason: .timeout, text: "the client did not finish its handshake within \(shown) s")
    }

    /// `error` as NIOSSL reported it; `clientCertificate` is the one the client sent, if any.
    public init(_ error: any Error, clientCertificate: NIOSSLCertificate?, now: Double = Date().timeIntervalSince1970) {
        guard let reason = TLSReason(error) else {
            if let error = error as? IOError {
                self.init(reason: .closed, text: "the connection failed during the handshake: \(error.description)")
            } else {
                self.init(reason: .other, text: "TLS handshake failed: \(TextSanitizer.clean("\(error)", maximumLength: 200))")
            }
            return
        }
        switch reason {
        case .closedDuringHandshake:
            self.init(reason: .closed, text: "the client closed the connection during the handshake")
        case .peerSentNoCertificate, .peerAlert(.certificateRequired):
            self.init(reason: .noClientCertificate,
                      text: "no client certificate: this endpoint requires one signed by the CA in tls_client_ca_file")
        case .certificateNotVerified:
            self.init(reason: .clientCertificateRejected, text: Self.rejected(clientCertificate, now: now))
        case .peerAlert(.unknownCA):
            self.init(reason: .certificateRefusedByClient,
                      text: "the client does not trust the CA that signed this endpoint's certificate (tls_cert_file): alert unknown CA")
        case .peerAlert(.handshakeFailure):
            self.init(reason: .other, text: "TLS handshake failed: \(TLSReason.Alert.handshakeFailure.words)")
        case let .peerAlert(alert):
            self.init(reason: .certificateRefusedByClient, text: "the client refused this endpoint's certificate (tls_cert_file): \(alert.words)")
        case .version:
            self.init(reason: .version, text: "the client offers no TLS version this endpoint takes (TLS 1.2 or newer)")
        case .noSharedCipher:
            self.init(reason: .noSharedCipher, text: "the client offers no cipher this endpoint takes")
        case .notTLS:
            self.init(reason: .other, text: "the client's bytes are not TLS (likely a mismatch: the client must use TLS)")
        case .hostnameMismatch:
            // A server checks no client's name; said plainly should swift-nio-ssl ever do so.
            self.init(reason: .other, text: "TLS handshake failed: the client certificate is not for the name checked")
        case let .other(names):
            let detail = names.isEmpty ? TextSanitizer.clean("\(error)", maximumLength: 200) : names.map(TLSReason.words).joined(separator: ", ")
            self.init(reason: .other, text: "TLS handshake failed: \(detail)")
        }
    }

    /// Why a client certificate that the client CA file does not vouch for was refused.
    private static func rejected(_ certificate: NIOSSLCertificate?, now: Double) -> String {
        guard let certificate else {
            return "the client certificate is not signed by the CA in tls_client_ca_file, or is expired or not yet valid"
        }
        let shown = PeerCertificate(certificate)
        switch shown.validity(at: now) {
        case .expired:
            return "the client certificate \(shown.subject) expired \(RFC3339.string(fromUnixSeconds: shown.notValidAfter))"
        case .notYetValid:
            return "the client certificate \(shown.subject) is not valid before \(RFC3339.string(fromUnixSeconds: shown.notValidBefore))"
        case .current:
            return "the client certificate \(shown.subject) (issuer \(shown.issuer)) is not signed by the CA in tls_client_ca_file"
        }
    }
}
