import ClusterModel
import ConfigFormat

/// `[state]`: where operator state (drains, weights) lives. `file` (the default) is the
/// top-level `state_file`, for one instance; `etcd` shares it between every instance on the
/// same prefix, with `state_file` as this instance's cache of the last shared state it saw.
public struct StateSettings: Sendable, Equatable {
    public enum Store: String, Sendable, Equatable, CaseIterable { case file, etcd }

    public var store: Store = .file
    /// `http://HOST:PORT` or `https://HOST:PORT` of etcd members (the v3 JSON gateway), all
    /// with the same scheme.
    public var endpoints: [String] = []
    /// nil: `/thrifttop/CLUSTER/`.
    public var prefix: String?
    public var username: String?
    /// The etcd user's password, the file's first line (mode 600).
    public var passwordFile: String?
    /// For `https://` endpoints: the CAs that sign etcd's certificate (nil: the system trust
    /// store), and a client certificate with its key (etcd `--client-cert-auth`), PEM files
    /// read at start and again on every reload.
    public var tlsCAFile: String?
    public var tlsCertFile: String?
    public var tlsKeyFile: String?

    public init() {}

    /// Where this cluster's keys live: the configured prefix, or `/thrifttop/CLUSTER/`.
    public func keyPrefix(cluster: String) -> String { prefix ?? "/thrifttop/\(cluster)/" }
}

extension ClusterConfig {
    static func stateSettings(_ root: ConfigTable) throws -> StateSettings {
        var state = StateSettings()
        guard let table = try root.table("state") else { return state }
        try table.checkKeys(allowed: stateKeys)
        if let text = try table.string("store") {
            guard let store = StateSettings.Store(rawValue: text) else {
                throw table.error("store", "must be \"file\" (state_file, this instance only) or \"etcd\" (shared by every instance) (got \"\(text)\")")
            }
            state.store = store
        }
        let etcdKeys = stateKeys.filter { $0 != "store" }
        if state.store == .file, let key = etcdKeys.first(where: table.contains) {
            throw table.error(key, "is for store = \"etcd\"; this [state] keeps the state in state_file")
        }
        guard state.store == .etcd else { return state }
        guard let endpoints = try table.strings("endpoints"), !endpoints.isEmpty else {
            throw table.error("endpoints", "store = \"etcd\" needs endpoints = [\"http://HOST:2379\", …]")
        }
        for endpoint in endpoints {
            // As EtcdEndpoint reads it: a scheme, HOST:PORT and at most a trailing slash.
            let scheme = ["http://", "https://"].first { endpoint.hasPrefix($0) }
            let rest = endpoint.dropFirst(scheme?.count ?? 0)
            let hostPort = rest.hasSuffix("/") ? rest.dropLast() : rest
            guard scheme != nil, !hostPort.contains("/"), (try? NodeAddress(parsing: String(hostPort))) != nil else {
                throw table.error("endpoints", "\"\(endpoint)\" is not an etcd endpoint (http://HOST:PORT or https://HOST:PORT)")
            }
        }
        let tls = endpoints.filter { $0.hasPrefix("https://") }
        if !tls.isEmpty && tls.count < endpoints.count {
            let plain = endpoints.first { !$0.hasPrefix("https://") } ?? ""
            throw table.error("endpoints", "mixes https:// (\(tls[0])) and http:// (\(plain)): the members of one etcd cluster are reached the same way")
        }
        state.endpoints = endpoints
        if let prefix = try table.string("prefix") {
            guard prefix.hasPrefix("/"), prefix.count > 1, prefix.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }) else {
                throw table.error("prefix", "must be a key path that starts with / and has no spaces (e.g. \"/thrifttop/prod/\")")
            }
            state.prefix = prefix.hasSuffix("/") ? prefix : prefix + "/"
        }
        state.username = try table.string("username")
        state.passwordFile = try table.string("password_file")
        if (state.username == nil) != (state.passwordFile == nil) {
            throw table.error(state.username == nil ? "password_file" : "username", "username and password_file go together (etcd authentication)")
        }
        try tlsFiles(table, into: &state, https: !tls.isEmpty)
        return state
    }

    /// `tls_ca_file`, `tls_cert_file` + `tls_key_file`: only with https:// endpoints, the
    /// certificate and its key together. The files are read when the state store opens.
    private static func tlsFiles(_ table: ConfigTable, into state: inout StateSettings, https: Bool) throws {
        state.tlsCAFile = try table.string("tls_ca_file")
        state.tlsCertFile = try table.string("tls_cert_file")
        state.tlsKeyFile = try table.string("tls_key_file")
        let given = [("tls_ca_file", state.tlsCAFile), ("tls_cert_file", state.tlsCertFile), ("tls_key_file", state.tlsKeyFile)]
        for (key, value) in given {
            if value?.isEmpty == true { throw table.error(key, "must be a path to a PEM file") }
        }
        if !https, let key = given.first(where: { $0.1 != nil })?.0 {
            throw table.error(key, "is for https:// endpoints; these endpoints are http:// (write https://HOST:PORT for an etcd with TLS)")
        }
        if (state.tlsCertFile == nil) != (state.tlsKeyFile == nil) {
            throw table.error(state.tlsCertFile == nil ? "tls_key_file" : "tls_cert_file",
                              "tls_cert_file and tls_key_file go together (the client certificate etcd --client-cert-auth asks for, and its key)")
        }
    }
}
