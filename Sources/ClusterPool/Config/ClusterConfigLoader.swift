import ClusterModel
import ConfigFormat
import NIOCore
import ThriftWire

extension ClusterConfig {
    static let topKeys = ["name", "balancer", "min_routable", "panic_threshold", "event_log_capacity", "state_file",
                          "audit_log", "defaults", "health", "retry", "outlier", "node", "listener", "proxy", "route", "instance", "admin", "alerts", "metrics", "record", "state"]
    static let settingKeys = ["heartbeat_interval_ms", "call_timeout_ms", "connect_timeout_ms", "protocol", "transport",
                              "transforms", "path", "heartbeat_method", "details_interval_s", "max_connections", "max_pending"] + tlsKeys
    static let defaultsKeys = settingKeys + ["weight"]
    static let nodeKeys = ["name", "address", "weight", "group", "tags"] + settingKeys
    static let healthKeys = ["fall", "rise", "phi_threshold"]
    static let retryKeys = ["max_attempts", "budget_percent", "budget_min_per_second", "budget_ttl_s"]
    static let outlierKeys = ["consecutive_failures", "base_ejection_s", "max_ejection_s", "max_ejected_percent"]
    static let adminKeys = ["socket", "address", "token_file", "read_only_token_file"] + serverTLSKeys
    static let alertKeys = ["command", "min_interval_s", "timeout_s", "method_error_rate", "min_calls", "snapshot_dir", "snapshot_keep"]
    static let metricsKeys = ["per_node_histograms", "max_methods"]
    static let recordKeys = ["dir", "max_mb", "keep_hours"]
    static let proxyKeys = ["idempotent_methods", "call_timeout_ms", "shutdown_grace_s", "threads"]
    static let routeKeys = ["service", "method", "group"]
    static let stateKeys = ["store", "endpoints", "prefix", "username", "password_file", "tls_ca_file", "tls_cert_file", "tls_key_file"]

    /// Every key the loader accepts, by the table it goes in: what `docs/configuration.md`
    /// must document (a test checks).
    public static var acceptedKeys: [(table: String, keys: [String])] {
        [("top level", topKeys), ("[defaults]", defaultsKeys), ("[[node]]", nodeKeys), ("[health]", healthKeys),
         ("[retry]", retryKeys), ("[outlier]", outlierKeys), ("[[listener]]", listenerKeys), ("[proxy]", proxyKeys),
         ("[[route]]", routeKeys), ("[admin]", adminKeys), ("[alerts]", alertKeys), ("[metrics]", metricsKeys), ("[record]", recordKeys), ("[state]", stateKeys)]
    }

    /// Parses and validates `cluster.toml` text. Every problem is a `ConfigError` naming the
    /// file, line and field (a node by its name); all the problems found are reported at once,
    /// and nothing is started on a bad config.
    public init(parsing source: String, file: String) throws {
        let root = try ConfigDocument(source: source, file: file).root
        var problems = ConfigProblems()
        problems.check { try root.checkKeys(allowed: Self.topKeys) }
        var defaults = NodeSettings()
        var defaultWeight = 100
        var defaultTLS = (enabled: false, settings: NodeTLSSettings())
        let defaultsRead = problems.check { () -> Bool in
            guard let table = try root.table("defaults") else { return true }
            try table.checkKeys(allowed: Self.defaultsKeys)
            defaults = try Self.settings(table, base: defaults)
            defaultTLS = try Self.tlsSettings(table, base: defaultTLS, isDefaults: true)
            defaultWeight = try table.int("weight", range: OperatorCommand.weightRange) ?? 100
            return true
        }
        var nodes: [NodeConfig] = []
        let nodeTables = try root.tables("node")
        if nodeTables.isEmpty {
            problems.check { throw root.error("node", "a cluster needs at least one [[node]] with a name and an address") }
        }
        var seenAddresses: [NodeAddress: String] = [:]
        // Nodes read without the defaults they were written for would show false errors.
        for table in nodeTables where defaultsRead == true {
            problems.check {
                let node = try Self.node(table, defaults: (defaults, defaultTLS, defaultWeight), seen: nodes, addresses: seenAddresses)
                seenAddresses[node.address] = node.name
                nodes.append(node)
            }
        }
        // The rest reads the nodes (routes name their groups; min_routable counts them): with a
        // node in error, they are counted as written and the routes are checked once they load.
        let nodesRead = problems.errors.isEmpty
        self.init(name: (problems.check { try root.string("name") } ?? nil) ?? "cluster", nodes: nodes)
        problems.check {
            guard let text = try root.string("balancer") else { return }
            guard let kind = BalancerKind(rawValue: text) else {
                let names = BalancerKind.allCases.map(\.rawValue)
                let hint = NameSuggestion.closest(to: text, in: names).map { " (did you mean \"\($0)\"?)" } ?? ""
                throw root.error("balancer", "must be one of \(names.joined(separator: ", "))\(hint)")
            }
            balancer = kind
        }
        minRoutable = (problems.check { try root.int("min_routable", range: 0...nodeTables.count) } ?? nil) ?? min(1, nodes.count)
        panicThreshold = (problems.check { try root.number("panic_threshold", range: 0...1) } ?? nil) ?? 0.5
        eventLogCapacity = (problems.check { try root.int("event_log_capacity", range: 100...1_000_000) } ?? nil) ?? 10_000
        stateFile = problems.check { try root.string("state_file") } ?? nil
        auditLog = problems.check { try root.string("audit_log") } ?? nil
        listeners = problems.check { try Self.listeners(root) } ?? []
        proxy = problems.check { try Self.proxySettings(root) } ?? proxy
        routes = nodesRead ? problems.check { try Self.routes(root, nodes: nodes) } ?? [] : []
        admin = problems.check { try Self.adminSettings(root) } ?? admin
        alerts = problems.check { try Self.alertSettings(root) } ?? alerts
        metrics = problems.check { try Self.metricsSettings(root) } ?? metrics
        record = problems.check { try Self.recordSettings(root) } ?? record
        state = problems.check { try Self.stateSettings(root) } ?? state
        problems.check {
            guard let name = try root.string("instance") else { return }
            guard !name.isEmpty, name.count <= 64, name.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }) else {
                throw root.error("instance", "must be 1–64 printable characters without spaces")
            }
            instance = name
        }
        problems.check {
            guard let table = try root.table("health") else { return }
            try table.checkKeys(allowed: Self.healthKeys)
            health.fall = try table.int("fall", range: 1...100) ?? health.fall
            health.rise = try table.int("rise", range: 1...100) ?? health.rise
            health.phiThreshold = try table.number("phi_threshold", range: 1...100) ?? health.phiThreshold
        }
        problems.check {
            guard let table = try root.table("retry") else { return }
            try table.checkKeys(allowed: Self.retryKeys)
            retry.maxAttempts = try table.int("max_attempts", range: 1...10) ?? retry.maxAttempts
            retry.budgetPercent = try table.number("budget_percent", range: 0...1000) ?? retry.budgetPercent
            retry.budgetMinPerSecond = try table.number("budget_min_per_second", range: 0...100_000) ?? retry.budgetMinPerSecond
            retry.budgetTTL = try Self.seconds(table, "budget_ttl_s", range: 1...60) ?? retry.budgetTTL
        }
        problems.check {
            guard let table = try root.table("outlier") else { return }
            try table.checkKeys(allowed: Self.outlierKeys)
            outlier.consecutiveFailures = try table.int("consecutive_failures", range: 1...1000) ?? outlier.consecutiveFailures
            outlier.baseEjection = try Self.seconds(table, "base_ejection_s", range: 0.1...3600) ?? outlier.baseEjection
            outlier.maxEjection = try Self.seconds(table, "max_ejection_s", range: 0.1...86400) ?? outlier.maxEjection
            outlier.maxEjectedPercent = try table.number("max_ejected_percent", range: 0...100) ?? outlier.maxEjectedPercent
        }
        try problems.throwIfAny()
    }

    /// One `[[node]]`, with the defaults under it; `seen` are the nodes before it.
    private static func node(_ table: ConfigTable, defaults: (settings: NodeSettings, tls: (enabled: Bool, settings: NodeTLSSettings), weight: Int),
                             seen nodes: [NodeConfig], addresses seenAddresses: [NodeAddress: String]) throws -> NodeConfig {
        try table.checkKeys(allowed: Self.nodeKeys)
        guard let name = try table.string("name"), !name.isEmpty else { throw table.error(nil, "every node needs a name") }
        guard name.count <= 64, name.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }) else {
            throw table.error("name", "must be 1–64 printable characters without spaces")
        }
        if nodes.contains(where: { $0.name == name }) { throw table.error("name", "duplicate node name \"\(name)\"") }
        guard let addressText = try table.string("address") else { throw table.error(nil, "node \"\(name)\" needs an address (HOST:PORT)") }
        let address: NodeAddress
        do {
            address = try NodeAddress(parsing: addressText)
        } catch let error as NodeAddress.ParseError {
            throw table.error("address", error.reason + " (got \"\(addressText)\")")
        }
        if let other = seenAddresses[address] {
            throw table.error("address", "\(address) is already node \"\(other)\"")
        }
        var settings = try Self.settings(table, base: defaults.settings)
        let tls = try Self.tlsSettings(table, base: defaults.tls, isDefaults: false)
        settings.tls = tls.enabled ? tls.settings : nil
        return NodeConfig(
            name: name, address: address,
            weight: try table.int("weight", range: OperatorCommand.weightRange) ?? defaults.weight,
            group: try table.string("group"),
            tags: try table.strings("tags") ?? [],
            settings: settings)
    }

    static func settings(_ table: ConfigTable, base: NodeSettings) throws -> NodeSettings {
        var s = base
        if let ms = try table.int("heartbeat_interval_ms", range: 10...3_600_000) { s.heartbeatInterval = .milliseconds(Int64(ms)) }
        if let ms = try table.int("call_timeout_ms", range: 1...3_600_000) { s.callTimeout = .milliseconds(Int64(ms)) }
        if let ms = try table.int("connect_timeout_ms", range: 1...600_000) { s.connectTimeout = .milliseconds(Int64(ms)) }
        if let seconds = try seconds(table, "details_interval_s", range: 1...86400) { s.detailsInterval = seconds }
        s.maxConnections = try table.int("max_connections", range: 1...10_000) ?? s.maxConnections
        s.maxPending = try table.int("max_pending", range: 0...1_000_000) ?? s.maxPending
        let wire = try table.wireFormat()
        s.protocolKind = wire.protocolKind ?? s.protocolKind
        s.transport = wire.transport ?? s.transport
        if let names = try table.strings("transforms") {
            s.wire.headerTransforms = try names.map { name in
                guard let transform = THeaderTransform.named(name) else {
                    throw table.error("transforms", "unknown THeader transform \"\(name)\": thrifttop reads and writes \"zlib\" only")
                }
                return transform
            }
        }
        if let path = try table.httpPath() { s.wire.httpPath = path }
        if table.contains("transforms"), s.transport != .header {
            throw table.error("transforms", "applies to transport = \"header\" only (this node's transport is \"\(s.transport.rawValue)\")")
        }
        if table.contains("path"), s.transport != .http {
            throw table.error("path", "applies to transport = \"http\" only (this node's transport is \"\(s.transport.rawValue)\")")
        }
        if let method = try table.string("heartbeat_method") {
            guard !method.isEmpty, method.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw table.error("heartbeat_method", "must be a method name (letters, digits, _), or absent for fb303 getStatus")
            }
            s.heartbeat = method == "getStatus" ? .fb303 : .method(method)
        }
        return s
    }

    static func seconds(_ table: ConfigTable, _ key: String, range: ClosedRange<Double>) throws -> TimeAmount? {
        try table.number(key, range: range).map { .nanoseconds(Int64($0 * 1e9)) }
    }
}
