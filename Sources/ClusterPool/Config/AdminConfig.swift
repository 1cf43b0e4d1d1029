import ClusterModel
import ConfigFormat
import Foundation
import TLSSupport

/// `[admin]`: where the admin endpoint listens. A Unix socket by default (the peer's uid is the
/// operator); TCP only when asked for, and then only with a token file: on loopback, or on any
/// address over TLS.
public struct AdminSettings: Sendable, Equatable {
    /// The Unix socket; nil: the default path for the cluster (`defaultSocketPath`). Ignored when
    /// `socketEnabled` is false.
    public var socket: String?
    /// `socket = ""` turns the Unix socket off.
    public var socketEnabled = true
    /// `HOST:PORT` for TCP; nil: no TCP endpoint.
    public var address: NodeAddress?
    /// One token per line, optionally `NAME:TOKEN`; required with `address`.
    public var tokenFile: String?
    /// Tokens that may read but not act.
    public var readOnlyTokenFile: String?
    /// TLS on the TCP endpoint (the Unix socket has none); required for a non-loopback address.
    public var tls: ServerTLSFiles?

    public init() {}

    /// `$XDG_RUNTIME_DIR/thrifttop/CLUSTER.sock`, else `/tmp/thrifttop-UID/CLUSTER.sock`.
    public static func defaultSocketPath(cluster: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        AdminSocketLocation.path(cluster: cluster, environment: environment)
    }
}

extension ClusterConfig {
    static func adminSettings(_ root: ConfigTable) throws -> AdminSettings {
        var admin = AdminSettings()
        guard let table = try root.table("admin") else { return admin }
        try table.checkKeys(allowed: adminKeys)
        if let socket = try table.string("socket") {
            admin.socketEnabled = !socket.isEmpty
            admin.socket = socket.isEmpty ? nil : socket
        }
        if let text = try table.string("address") {
            do {
                admin.address = try NodeAddress(listening: text)
            } catch let error as NodeAddress.ParseError {
                throw table.error("address", error.reason + " (got \"\(text)\")")
            }
        }
        admin.tokenFile = try table.string("token_file")
        admin.readOnlyTokenFile = try table.string("read_only_token_file")
        if admin.address != nil && admin.tokenFile == nil {
            throw table.error("address", "a TCP admin endpoint needs token_file (one token per line, NAME:TOKEN to name its operator)")
        }
        admin.tls = try serverTLS(table)
        if admin.tls != nil && admin.address == nil {
            throw table.error("tls_cert_file", "TLS is for the TCP endpoint, and there is none: set address = \"HOST:PORT\" (the Unix socket has no TLS)")
        }
        if let address = admin.address, admin.tls == nil, !Self.isLoopback(address.host) {
            throw table.error("address", "\(address) is not a loopback address: tokens would cross the network in the clear; set tls_cert_file and tls_key_file to serve it over TLS, or listen on 127.0.0.1")
        }
        return admin
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
