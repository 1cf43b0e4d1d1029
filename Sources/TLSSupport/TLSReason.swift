import Foundation
import NIOSSL

/// Why a TLS handshake failed, read once from swift-nio-ssl's error for every side that words it
/// for its own operator: the pool towards a node (`NodeTLSFailure`), clients of a listener or of
/// the admin endpoint (`TLSHandshakeFailure`), etcd, and `attach`.
///
/// BoringSSL says most of it only as reason names inside the error's text
///
///     Error: 268435581 error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED at …
///                                                                   ^^^^^^^^^^^^^^^^^^^^^^^^^
///
/// and one name, CERTIFICATE_VERIFY_FAILED, stands for an unknown CA, an expired and a
/// not-yet-valid certificate alike: `PeerCertificate.validity(at:)` tells those apart when the
/// certificate can be read.
public enum TLSReason: Equatable, Sendable {
    /// The certificate is not for the name checked (swift-nio-ssl's own hostname check).
    case hostnameMismatch
    /// Our check of the peer's certificate failed: an unknown CA, expired or not yet valid.
    case certificateNotVerified
    /// We are the server, and the client sent no certificate where one is required.
    case peerSentNoCertificate
    /// The peer's alert about our certificate, or about its absence.
    case peerAlert(Alert)
    /// No TLS version in common (our refusal, or the peer's alert).
    case version
    case noSharedCipher
    /// The peer's bytes are not TLS: a plaintext peer, most likely.
    case notTLS
    /// The peer closed the connection in the middle of the handshake.
    case closedDuringHandshake
    /// Anything else: BoringSSL's reason names, if the error had any.
    case other(names: [String])

    /// The alerts a peer sends about a certificate (BoringSSL's `SSLV3_ALERT_…`/`TLSV1_ALERT_…`
    /// names, without that prefix).
    public enum Alert: String, Sendable, CaseIterable {
        /// TLS 1.3's way of saying a client certificate was wanted and none came.
        case certificateRequired = "CERTIFICATE_REQUIRED"
        /// TLS 1.2's catch-all, which is also what a server that wanted a client certificate sends.
        case handshakeFailure = "HANDSHAKE_FAILURE"
        case unknownCA = "UNKNOWN_CA"
        case badCertificate = "BAD_CERTIFICATE"
        case certificateUnknown = "CERTIFICATE_UNKNOWN"
        case certificateExpired = "CERTIFICATE_EXPIRED"
        case certificateRevoked = "CERTIFICATE_REVOKED"
        case unsupportedCertificate = "UNSUPPORTED_CERTIFICATE"
        case accessDenied = "ACCESS_DENIED"

        /// `alert bad certificate`, as an error message may quote it.
        public var words: String { TLSReason.words("ALERT_" + rawValue) }
    }

    /// What `error` says; nil when it is not a TLS error (an I/O error, a timeout of our own).
    public init?(_ error: any Error) {
        if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            self = .hostnameMismatch
            return
        }
        guard error is NIOSSLError || error is BoringSSLError else { return nil }
        self.init(describing: String(describing: error))
    }

    /// The reading of an error's text, by its reason names.
    init(describing text: String) {
        if text.contains("EOF during handshake") {
            self = .closedDuringHandshake
            return
        }
        let names = Self.reasonNames(in: text)
        func has(_ name: String) -> Bool { names.contains(name) }
        if has("CERTIFICATE_VERIFY_FAILED") {
            self = .certificateNotVerified
        } else if has("PEER_DID_NOT_RETURN_A_CERTIFICATE") {
            self = .peerSentNoCertificate
        } else if let alert = names.lazy.compactMap(Self.alert).first {
            self = .peerAlert(alert)
        } else if has("UNSUPPORTED_PROTOCOL") || names.contains(where: { $0.hasSuffix("ALERT_PROTOCOL_VERSION") }) {
            self = .version
        } else if has("NO_SHARED_CIPHER") {
            self = .noSharedCipher
        } else if has("WRONG_VERSION_NUMBER") || has("HTTP_REQUEST") || has("HTTPS_PROXY_REQUEST") || has("PACKET_LENGTH_TOO_LONG") {
            self = .notTLS
        } else {
            self = .other(names: names)
        }
    }

    /// BoringSSL's reason names in an error's text: `CERTIFICATE_VERIFY_FAILED` of
    /// `error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED at …`.
    static func reasonNames(in text: String) -> [String] {
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

    /// `SSLV3_ALERT_BAD_CERTIFICATE` → `.badCertificate`.
    private static func alert(_ name: String) -> Alert? {
        guard let range = name.range(of: "_ALERT_") else { return nil }
        return Alert(rawValue: String(name[range.upperBound...]))
    }
}
