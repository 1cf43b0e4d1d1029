import ClusterModel
import Foundation
import TLSSupport

/// A TLS failure between this client and an etcd endpoint, as swift-nio-ssl reports it: BoringSSL
/// gives only a reason name in its error text (and one name, CERTIFICATE_VERIFY_FAILED, for an
/// unknown CA, an expired and a not-yet-valid certificate alike), so the certificate etcd shows
/// is fetched again to tell them apart (`PeerCertificateProbe`).
///
/// Every case is a configuration to fix, not an outage: the text says what, and the client
/// reports it as `EtcdError.tls` rather than riding it out as `.unreachable`.
enum TLSFailure: Equatable {
    /// Our check of etcd's certificate failed: unknown CA, expired or not yet valid.
    case verificationFailed
    /// The certificate is not for the endpoint's host (DNS and IP alternative names).
    case hostnameMismatch
    /// An `https://` endpoint answers in plain HTTP.
    case plaintextServer
    /// etcd sent an alert about our client certificate, or its absence (`--client-cert-auth`).
    case clientCertificateRefused(alert: TLSReason.Alert)
    /// etcd does not speak TLS 1.2 or later.
    case versionRefused

    /// What `error` (from AsyncHTTPClient or swift-nio-ssl) means; nil when it is not a TLS
    /// failure, or one that says nothing certain about the configuration.
    init?(_ error: any Error) {
        switch TLSReason(error) {
        case .hostnameMismatch: self = .hostnameMismatch
        case .certificateNotVerified: self = .verificationFailed
        case .notTLS: self = .plaintextServer
        // TLS 1.3 says CERTIFICATE_REQUIRED when no client certificate came; TLS 1.2 has only
        // the others, HANDSHAKE_FAILURE among them.
        case let .peerAlert(alert): self = .clientCertificateRefused(alert: alert)
        case .version: self = .versionRefused
        case nil, .peerSentNoCertificate, .noSharedCipher, .closedDuringHandshake, .other: return nil
        }
    }

    /// The peer closed in the middle of the handshake: what a plain etcd does with a TLS hello
    /// (and a TLS server that gave up), told apart by asking it in plain HTTP.
    static func closedDuringHandshake(_ error: any Error) -> Bool {
        TLSReason(error) == .closedDuringHandshake
    }

    /// Whether the failure is about etcd's certificate, so that seeing it explains the failure.
    var wantsPeerCertificate: Bool { self == .verificationFailed || self == .hostnameMismatch }

    /// The failure in words, for `endpoint` (the error text puts the endpoint before it);
    /// `certificate` is the one etcd showed when it could be fetched again.
    func describe(_ endpoint: EtcdEndpoint, tls: EtcdTLS, certificate: PeerCertificate?, now: Double) -> String {
        switch self {
        case .verificationFailed:
            guard let certificate else {
                return "its TLS certificate did not verify against \(tls.trustSource) (an unknown CA, expired or not yet valid)"
            }
            let named = "its TLS certificate (\(certificate.subject))"
            switch certificate.validity(at: now) {
            case .expired: return "\(named) expired at \(RFC3339.string(fromUnixSeconds: certificate.notValidAfter))"
            case .notYetValid: return "\(named) is not valid before \(RFC3339.string(fromUnixSeconds: certificate.notValidBefore))"
            case .current: return "\(named) is issued by \(certificate.issuer), which is not a CA of \(tls.trustSource)"
            }
        case .hostnameMismatch:
            guard let certificate else { return "its TLS certificate is not for \(EtcdText.clean(endpoint.host))" }
            let names = certificate.alternativeNames.isEmpty ? "no alternative names" : certificate.alternativeNames.joined(separator: ", ")
            return "its TLS certificate (\(certificate.subject)) is not for \(EtcdText.clean(endpoint.host)): it names \(names)"
        case .plaintextServer:
            return "it answers in plain HTTP, not TLS: write http://\(Self.hostPort(endpoint)), or start etcd with --cert-file and --key-file"
        case let .clientCertificateRefused(alert):
            guard let identity = tls.clientIdentity else {
                return "it wants a TLS client certificate (etcd --client-cert-auth) and none is configured: set tls_cert_file and tls_key_file"
            }
            return "it refused the TLS client certificate of \(identity) (\(Self.refusal(alert)))"
        case .versionRefused:
            return "it does not speak TLS 1.2 or later"
        }
    }

    /// An http:// endpoint whose etcd closed the connection at once, and turned out to speak TLS.
    static func describeTLSServer(_ endpoint: EtcdEndpoint) -> String {
        "it speaks TLS, not plain HTTP: write https://\(hostPort(endpoint)) (and tls_ca_file, if etcd's CA is not in the system trust store)"
    }

    private static func hostPort(_ endpoint: EtcdEndpoint) -> String {
        String(endpoint.url.drop { $0 != "/" }.dropFirst(2))
    }

    private static func refusal(_ alert: TLSReason.Alert) -> String {
        switch alert {
        case .unknownCA: "its CA is not one etcd trusts (--trusted-ca-file)"
        case .certificateExpired: "it has expired"
        default: "etcd found it bad: signed by a CA not in its --trusted-ca-file, expired, or not for client authentication"
        }
    }
}
