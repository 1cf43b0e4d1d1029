import ClusterModel
import ConfigFormat

/// `[state]`: where operator state (drains, weights) lives. `file` (the default) is the
/// top-level `state_file`, for one instance; `etcd` shares it between every instance on the
/// same prefix, with `state_file` as this instance's cache of the last shared state it saw.
public struct StateSettings: Sendable, Equatable {
    public enum Store: String, Sendable, Equatable, CaseIterable { case file, etcd }

    public var store: Store = .file
    /// `http://HOST:PORT` of etcd members (the v3 JSON gateway).
    public var endpoints: [String] = []
    /// nil: `/thrifttop/CLUSTER/`.
    public var prefix: String?
    public var username: String?
    /// The etcd user's password, the file's first line (mode 600).
    public var passwordFile: String?

    public init() {}

    /// Where this cluster's keys live: the configured prefix, or `/thrifttop/CLUSTER/`.
    public func keyPrefix(cluster: String) -> String { prefix ?? "/thrifttop/\(cluster)/" }
}

extension ClusterConfig {
    static func stateSettings(_ root: ConfigTable) throws -> StateSettings {
        var state = StateSettings()
        guard let table = try root.table("state") else { return state }
        try table.checkKeys(allowed: ["store", "endpoints", "prefix", "username", "password_file"])
        if let text = try table.string("store") {
            guard let store = StateSettings.Store(rawValue: text) else {
                throw table.error("store", "must be \"file\" (state_file, this instance only) or \"etcd\" (shared by every instance) (got \"\(text)\")")
            }
            state.store = store
        }
        let etcdKeys = ["endpoints", "prefix", "username", "password_file"]
        if state.store == .file, let key = etcdKeys.first(where: table.contains) {
            throw table.error(key, "is for store = \"etcd\"; this [state] keeps the state in state_file")
        }
        guard state.store == .etcd else { return state }
        guard let endpoints = try table.strings("endpoints"), !endpoints.isEmpty else {
            throw table.error("endpoints", "store = \"etcd\" needs endpoints = [\"http://HOST:2379\", …]")
        }
        for endpoint in endpoints {
            if endpoint.hasPrefix("https://") {
                throw table.error("endpoints", "\(endpoint): TLS to etcd is not built yet (it comes with the TLS issue); use http:// on a trusted network")
            }
            // As EtcdEndpoint reads it: a scheme, HOST:PORT and at most a trailing slash.
            let rest = endpoint.dropFirst(7)
            let hostPort = rest.hasSuffix("/") ? rest.dropLast() : rest
            guard endpoint.hasPrefix("http://"), !hostPort.contains("/"), (try? NodeAddress(parsing: String(hostPort))) != nil else {
                throw table.error("endpoints", "\"\(endpoint)\" is not an etcd endpoint (http://HOST:PORT)")
            }
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
        return state
    }
}
