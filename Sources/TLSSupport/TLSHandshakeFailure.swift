import ClusterModel
import Foundation
import NIOCore
import NIOSSL

/// Why a client's TLS handshake with one of our endpoints (a listener, the admin endpoint)
/// failed, in plain words for an event, and as a short label for a metric.
///
/// BoringSSL says most of it only as a reason name inside an error's text
/// (`…:OPENSSL_internal:PEER_DID_NOT_RETURN_A_CERTIFICATE at …`), so that is what is matched.
/// A client certificate that failed verification is still readable then, which tells expired,
/// not yet valid and signed by another CA apart.
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
        if case let NIOSSLError.handshakeFailed(.sslError(stack)) = error, stack == [.eofDuringHandshake] {
            self.init(reason: .closed, text: "the client closed the connection during the handshake")
            return
        }
        if let error = error as? IOError {
            self.init(reason: .closed, text: "the connection failed during the handshake: \(error.description)")
            return
        }
        let text = "\(error)"
        let names = Self.reasonNames(text)
        func has(_ name: String) -> Bool { names.contains { $0.contains(name) } }
        if has("PEER_DID_NOT_RETURN_A_CERTIFICATE") || has("CERTIFICATE_REQUIRED") {
            self.init(reason: .noClientCertificate,
                      text: "no client certificate: this endpoint requires one signed by the CA in tls_client_ca_file")
        } else if has("CERTIFICATE_VERIFY_FAILED") {
            self.init(reason: .clientCertificateRejected, text: Self.rejected(clientCertificate, now: now))
        } else if has("ALERT_UNKNOWN_CA") {
            self.init(reason: .certificateRefusedByClient,
                      text: "the client does not trust the CA that signed this endpoint's certificate (tls_cert_file): alert unknown CA")
        } else if let alert = names.first(where: { $0.contains("ALERT_") && $0.contains("CERTIFICATE") }) {
            self.init(reason: .certificateRefusedByClient, text: "the client refused this endpoint's certificate (tls_cert_file): \(Self.words(alert))")
        } else if has("UNSUPPORTED_PROTOCOL") || has("PROTOCOL_VERSION") {
            self.init(reason: .version, text: "the client offers no TLS version this endpoint takes (TLS 1.2 or newer)")
        } else if has("NO_SHARED_CIPHER") {
            self.init(reason: .noSharedCipher, text: "the client offers no cipher this endpoint takes")
        } else if has("WRONG_VERSION_NUMBER") || has("HTTP_REQUEST") {
            self.init(reason: .other, text: "the client's bytes are not TLS (likely a mismatch: the client must use TLS)")
        } else {
            let detail = names.isEmpty ? TextSanitizer.clean(text, maximumLength: 200) : names.map(Self.words).joined(separator: ", ")
            self.init(reason: .other, text: "TLS handshake failed: \(detail)")
        }
    }

    /// Why a client certificate that the client CA file does not vouch for was refused.
    private static func rejected(_ certificate: NIOSSLCertificate?, now: Double) -> String {
        guard let certificate else {
            return "the client certificate is not signed by the CA in tls_client_ca_file, or is expired or not yet valid"
        }
        let shown = PeerCertificate(certificate)
        if now > shown.notValidAfter {
            return "the client certificate \(shown.subject) expired \(RFC3339.string(fromUnixSeconds: shown.notValidAfter))"
        }
        if now < shown.notValidBefore {
            return "the client certificate \(shown.subject) is not valid before \(RFC3339.string(fromUnixSeconds: shown.notValidBefore))"
        }
        return "the client certificate \(shown.subject) (issuer \(shown.issuer)) is not signed by the CA in tls_client_ca_file"
    }

    /// BoringSSL's reason names in an error's text: `CERTIFICATE_VERIFY_FAILED` of
    /// `error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED at …`.
    static func reasonNames(_ text: String) -> [String] {
        text.components(separatedBy: "OPENSSL_internal:").dropFirst().compactMap { part in
            let name = part.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            return name.isEmpty ? nil : String(name)
        }
    }

    /// `SSLV3_ALERT_BAD_CERTIFICATE` → "alert bad certificate".
    static func words(_ name: String) -> String {
        var text = name
        for prefix in ["SSLV3_", "TLSV1_", "TLSV13_"] where text.hasPrefix(prefix) { text.removeFirst(prefix.count) }
        return text.lowercased().replacingOccurrences(of: "_", with: " ")
    }
}
