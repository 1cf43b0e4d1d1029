import ClusterModel
import ConfigFormat
import NIOCore
import ThriftWire
import TLSSupport

/// One `[[listener]]`: where `thrifttop serve` (and the dashboard over the same config) takes
/// Thrift calls from clients and routes each through the pool.
public struct ListenerConfig: Sendable, Equatable {
    /// Protocol and transport of a listener: fixed, or detected per connection from its first bytes.
    public enum Detect<Kind: Sendable & Equatable>: Sendable, Equatable {
        case auto
        case fixed(Kind)
    }

    public var address: NodeAddress
    public var protocolKind: Detect<ThriftProtocolKind> = .auto
    public var transport: Detect<ThriftTransportKind> = .auto
    /// The path HTTP clients POST to (`path`); other paths get 404.
    public var httpPath = "/"
    /// Client connections at once; more are closed as they arrive.
    public var maxConnections = 10_000
    /// A client connection with nothing sent and nothing pending for this long is closed.
    public var idleTimeout: TimeAmount = .seconds(300)
    /// Set: the listener takes TLS clients only (`tls_cert_file`, `tls_key_file`, and
    /// `tls_client_ca_file` to require client certificates).
    public var tls: ServerTLSFiles?

    public init(address: NodeAddress) {
        self.address = address
    }
}

/// `[proxy]`: how proxied calls are treated.
public struct ProxySettings: Sendable, Equatable {
    /// Exact method names, or `prefix*` globs, safe to send twice: retried after a write.
    public var idempotentMethods: [MethodPattern] = []
    /// Per attempt; nil: the node's `call_timeout_ms`.
    public var callTimeout: TimeAmount?
    /// On SIGTERM, how long calls in flight may take to finish before connections close.
    public var shutdownGrace: TimeAmount = .seconds(10)
    /// Event loops for client connections and their calls to the nodes (`threads`); nil: one
    /// per core. The pool's own loop is one of them.
    public var threads: Int?

    /// The loops a proxy runs: `threads`, else the machine's cores.
    public var threadCount: Int { threads ?? System.coreCount }

    public init() {}

    public func isIdempotent(_ method: some StringProtocol) -> Bool {
        idempotentMethods.contains { $0.matches(method) }
    }
}

/// An exact name or a `prefix*` glob.
public struct MethodPattern: Sendable, Equatable, CustomStringConvertible {
    public var text: String

    public init(_ text: String) {
        self.text = text
    }

    public func matches(_ name: some StringProtocol) -> Bool {
        if text.hasSuffix("*") { return name.hasPrefix(text.dropLast()) }
        return name == text
    }

    public var description: String { text }
}

/// One `[[route]]`: calls of a multiplexed service, or of a method, go to one node group.
public struct RouteConfig: Sendable, Equatable {
    public enum Match: Sendable, Equatable {
        /// The TMultiplexedProtocol prefix before `:`.
        case service(String)
        /// The method name after any `Service:` prefix; `prefix*` allowed.
        case method(MethodPattern)
    }

    public var match: Match
    public var group: String

    public init(match: Match, group: String) {
        self.match = match
        self.group = group
    }

    /// Whether a call named `name` (`method` or `Service:method`) takes this route.
    public func matches(_ name: String) -> Bool {
        let colon = name.lastIndex(of: ":")
        switch match {
        case let .service(service):
            guard let colon else { return false }
            return name[..<colon] == service
        case let .method(pattern):
            return pattern.matches(colon.map { name[name.index(after: $0)...] } ?? name[...])
        }
    }
}

extension [RouteConfig] {
    /// The group of the first route `name` matches, in file order; nil: every node.
    public func group(for name: String) -> String? {
        first { $0.matches(name) }?.group
    }
}

extension ClusterConfig {
    static let listenerKeys = ["address", "protocol", "transport", "path", "max_connections", "idle_timeout_s"] + serverTLSKeys

    static func listeners(_ root: ConfigTable) throws -> [ListenerConfig] {
        var seen: Set<NodeAddress> = []
        return try root.tables("listener").map { table in
            try table.checkKeys(allowed: listenerKeys)
            guard let text = try table.string("address") else {
                throw table.error(nil, "every [[listener]] needs an address (HOST:PORT, e.g. \"127.0.0.1:9090\")")
            }
            let address: NodeAddress
            do {
                address = try NodeAddress(listening: text)
            } catch let error as NodeAddress.ParseError {
                throw table.error("address", error.reason + " (got \"\(text)\")")
            }
            guard address.port == 0 || seen.insert(address).inserted else { throw table.error("address", "\(address) is already a listener") }
            var listener = ListenerConfig(address: address)
            listener.protocolKind = try detect(table, "protocol")
            listener.transport = try detect(table, "transport")
            if let path = try table.httpPath() {
                if case let .fixed(transport) = listener.transport, transport != .http {
                    throw table.error("path", "applies to HTTP clients, but this listener is set to transport = \"\(transport.rawValue)\"")
                }
                listener.httpPath = path
            }
            listener.maxConnections = try table.int("max_connections", range: 1...1_000_000) ?? listener.maxConnections
            if let seconds = try table.number("idle_timeout_s", range: 0.1...86_400) {
                listener.idleTimeout = .nanoseconds(Int64(seconds * 1e9))
            }
            listener.tls = try serverTLS(table)
            return listener
        }
    }

    private static func detect<T: RawRepresentable & CaseIterable & Sendable & Equatable>(
        _ table: ConfigTable, _ key: String
    ) throws -> ListenerConfig.Detect<T> where T.RawValue == String {
        guard let text = try table.string(key), text != "auto" else { return .auto }
        guard let kind = T(rawValue: text) else {
            throw table.error(key, "must be one of auto, \(T.allCases.map(\.rawValue).joined(separator: ", ")) (got \"\(text)\")")
        }
        return .fixed(kind)
    }

    static func proxySettings(_ root: ConfigTable) throws -> ProxySettings {
        var proxy = ProxySettings()
        guard let table = try root.table("proxy") else { return proxy }
        try table.checkKeys(allowed: proxyKeys)
        proxy.idempotentMethods = try (table.strings("idempotent_methods") ?? []).map { text in
            guard !text.isEmpty, !text.dropLast().contains("*") else {
                throw table.error("idempotent_methods", "\"\(text)\": an exact method name, or a prefix ending in * (e.g. \"get*\")")
            }
            return MethodPattern(text)
        }
        if let ms = try table.int("call_timeout_ms", range: 1...3_600_000) { proxy.callTimeout = .milliseconds(Int64(ms)) }
        if let seconds = try table.number("shutdown_grace_s", range: 0...3600) { proxy.shutdownGrace = .nanoseconds(Int64(seconds * 1e9)) }
        proxy.threads = try table.int("threads", range: 1...1024)
        return proxy
    }

    static func routes(_ root: ConfigTable, nodes: [NodeConfig]) throws -> [RouteConfig] {
        let groups = Set(nodes.compactMap(\.group))
        return try root.tables("route").map { table in
            try table.checkKeys(allowed: routeKeys)
            guard let group = try table.string("group") else { throw table.error(nil, "every [[route]] needs a group") }
            guard groups.contains(group) else {
                let hint = NameSuggestion.closest(to: group, in: groups.sorted()).map { " (did you mean \"\($0)\"?)" } ?? ""
                throw table.error("group", "no node has group \"\(group)\"\(hint)")
            }
            switch (try table.string("service"), try table.string("method")) {
            case let (service?, nil):
                guard !service.isEmpty, !service.contains(":") else { throw table.error("service", "a service name, without ':'") }
                return RouteConfig(match: .service(service), group: group)
            case let (nil, method?):
                guard !method.isEmpty, !method.dropLast().contains("*"), !method.contains(":") else {
                    throw table.error("method", "\"\(method)\": a method name (without Service:), or a prefix ending in *")
                }
                return RouteConfig(match: .method(MethodPattern(method)), group: group)
            case (.some, .some):
                throw table.error(nil, "a [[route]] matches a service or a method, not both")
            case (nil, nil):
                throw table.error(nil, "a [[route]] needs service = \"NAME\" or method = \"NAME\"")
            }
        }
    }
}

extension ListenerConfig.Detect where Kind: RawRepresentable, Kind.RawValue == String {
    /// As the config says it: "auto" or the kind's name.
    public var text: String {
        switch self {
        case .auto: "auto"
        case let .fixed(kind): kind.rawValue
        }
    }
}
