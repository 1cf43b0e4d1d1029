import NIOSSL

/// How the client speaks TLS to `https://` endpoints: the swift-nio-ssl configuration (its
/// certificates already read into memory), and where its parts came from, so that an error can
/// say which file to fix. The configuration's sources must be in memory, never `.file(…)`:
/// AsyncHTTPClient keeps one TLS context per configuration, and file sources compare by path, so
/// a renewed file would never be read again.
public struct EtcdTLS: Sendable {
    public var configuration: TLSConfiguration
    /// What the configuration trusts, as an error names it: "tls_ca_file /etc/etcd/ca.pem",
    /// "the system trust store".
    public var trustSource: String
    /// The client certificate sent, as an error names it ("tls_cert_file /etc/thrifttop/etcd.pem");
    /// nil when none is.
    public var clientIdentity: String?

    public init(configuration: TLSConfiguration, trustSource: String, clientIdentity: String?) {
        self.configuration = configuration
        self.trustSource = trustSource
        self.clientIdentity = clientIdentity
    }

    /// TLS 1.2 or later, the system's CAs, no client certificate: what an `https://` endpoint
    /// gets when nothing else is said.
    public static var systemTrust: EtcdTLS {
        EtcdTLS(configuration: clientConfiguration(), trustSource: "the system trust store", clientIdentity: nil)
    }

    /// A client configuration with the certificate and hostname checked (swift-nio-ssl's
    /// default) and TLS 1.2 at least (its default minimum is TLS 1.0).
    public static func clientConfiguration() -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }

    /// Whether `other` would make the same connections: the same CAs, certificate and key.
    func isSame(as other: EtcdTLS) -> Bool {
        configuration.bestEffortEquals(other.configuration)
    }
}
