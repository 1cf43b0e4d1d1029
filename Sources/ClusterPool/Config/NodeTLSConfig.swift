import ConfigFormat
import Foundation
import TLSSupport

/// A node's TLS (`tls = true` and the `tls_*` keys, per node or in `[defaults]`): how the pool's
/// heartbeats and calls reach a server that speaks Thrift over TLS. Verified by default.
public struct NodeTLSSettings: Sendable, Hashable {
    public enum MinimumVersion: String, Sendable, Hashable, CaseIterable {
        case tls12 = "1.2"
        case tls13 = "1.3"
    }

    /// PEM CA certificates to trust; nil: the system trust store.
    public var caFile: String?
    /// A client certificate and its key (mTLS); both or neither.
    public var certFile: String?
    public var keyFile: String?
    /// SNI and the name checked against the certificate; nil: the address's host (an IP address
    /// is checked against the certificate's IP SANs, and no SNI is sent).
    public var serverName: String?
    public var minimumVersion = MinimumVersion.tls12
    /// A certificate expiring sooner than this is marked on the main screen.
    public var certWarnDays = 14
    /// No chain and no name check: the node is marked, and its start is a warning event.
    public var insecureSkipVerify = false

    public init() {}

    /// Where trust comes from, for error texts.
    public var trustDescription: String { caFile.map { "tls_ca_file \($0)" } ?? "the system trust store" }

    /// The name to send as SNI and check, for a node at `host`: nil for an IP address.
    public func expectedName(host: String) -> String? {
        if let serverName { return serverName }
        return IPAddressText.isIPAddress(host) ? nil : host
    }
}

extension ClusterConfig {
    static let tlsKeys = ["tls", "tls_ca_file", "tls_cert_file", "tls_key_file", "tls_server_name", "tls_min_version",
                          "tls_cert_warn_days", "tls_insecure_skip_verify"]

    /// `base` with this table's `tls*` keys; nil when TLS is off. In `[defaults]` the `tls_*`
    /// keys may be set for nodes that turn `tls` on themselves; on a node they need TLS on.
    static func tlsSettings(_ table: ConfigTable, base: (enabled: Bool, settings: NodeTLSSettings), isDefaults: Bool) throws
        -> (enabled: Bool, settings: NodeTLSSettings)
    {
        let enabled = try table.bool("tls") ?? base.enabled
        var s = base.settings
        if let path = try table.string("tls_ca_file") { s.caFile = try nonEmpty(table, "tls_ca_file", path) }
        if let path = try table.string("tls_cert_file") { s.certFile = try nonEmpty(table, "tls_cert_file", path) }
        if let path = try table.string("tls_key_file") { s.keyFile = try nonEmpty(table, "tls_key_file", path) }
        if let name = try table.string("tls_server_name") {
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-.".contains($0)) }) else {
                throw table.error("tls_server_name", "must be a DNS name (letters, digits, - and .) (got \"\(name)\")")
            }
            guard !IPAddressText.isIPAddress(name) else {
                throw table.error("tls_server_name", "\(name) is an IP address: leave tls_server_name out and an IP address in `address` is checked against the certificate's IP SANs")
            }
            s.serverName = name
        }
        if table.contains("tls_min_version") {
            let text: String?
            do { text = try table.string("tls_min_version") } catch {
                throw table.error("tls_min_version", "must be a string, \"1.2\" or \"1.3\" (quoted: 1.2 unquoted is a number)")
            }
            guard let text, let version = NodeTLSSettings.MinimumVersion(rawValue: text) else {
                throw table.error("tls_min_version", "must be \"1.2\" or \"1.3\"")
            }
            s.minimumVersion = version
        }
        s.certWarnDays = try table.int("tls_cert_warn_days", range: 0...3650) ?? s.certWarnDays
        s.insecureSkipVerify = try table.bool("tls_insecure_skip_verify") ?? s.insecureSkipVerify
        if (s.certFile == nil) != (s.keyFile == nil) {
            throw table.error(s.certFile == nil ? "tls_key_file" : "tls_cert_file", "tls_cert_file and tls_key_file go together (a client certificate and its key)")
        }
        if !enabled, !isDefaults, let key = tlsKeys.dropFirst().first(where: table.contains) {
            throw table.error(key, "is for a TLS node: add tls = true (here or in [defaults])")
        }
        if s.insecureSkipVerify && s.caFile != nil && table.contains("tls_insecure_skip_verify") && table.contains("tls_ca_file") {
            throw table.error("tls_insecure_skip_verify", "with tls_ca_file: either check against the CA or skip the check, not both")
        }
        return (enabled, s)
    }

    private static func nonEmpty(_ table: ConfigTable, _ key: String, _ path: String) throws -> String {
        guard !path.isEmpty else { throw table.error(key, "must be a file path") }
        return path
    }
}
