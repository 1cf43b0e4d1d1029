import ClusterModel
import NIOCore
import ThriftWire

/// How to heartbeat a node.
public enum HeartbeatKind: Sendable, Equatable {
    /// fb303 `getStatus`; the status decides the state.
    case fb303
    /// A named method with no args: any well-formed reply (a TApplicationException
    /// UNKNOWN_METHOD included) proves the Thrift stack answers.
    case method(String)
}

/// Per-node connection and heartbeat settings (set in `[defaults]`, overridden per node).
public struct NodeSettings: Sendable, Equatable {
    public var heartbeatInterval: TimeAmount = .seconds(1)
    public var callTimeout: TimeAmount = .seconds(1)
    public var connectTimeout: TimeAmount = .seconds(1)
    public var protocolKind: ThriftProtocolKind = .binary
    public var transport: ThriftTransportKind = .framed
    /// THeader transforms and the HTTP path (`transforms`, `path`).
    public var wire = TransportOptions()
    public var heartbeat: HeartbeatKind = .fb303
    /// How often fb303 details (name, version, counters…) are fetched.
    public var detailsInterval: TimeAmount = .seconds(30)
    /// Connections for balanced calls (the heartbeat connection is separate), opened on demand.
    public var maxConnections = 8
    /// Calls waiting for a free call connection; beyond it the node takes no more.
    public var maxPending = 1000
    /// nil: plaintext.
    public var tls: NodeTLSSettings?

    public init() {}

    /// The node's wire form as an operator reads it: "framed/binary", "header/compact zlib",
    /// "http/json POST /thrift".
    public var wireText: String {
        var text = "\(transport.rawValue)/\(protocolKind.rawValue)"
        if transport == .header, !wire.headerTransforms.isEmpty {
            text += " " + wire.headerTransforms.map { "\($0)" }.joined(separator: ",")
        }
        if transport == .http { text += " POST \(wire.httpPath)" }
        return text
    }

    /// How long a heartbeat may wait for its reply: `call_timeout_ms`, but at most the interval
    /// less two ticks (deadlines are enforced at tick granularity), so that a lost heartbeat
    /// has failed before the next one is due and that one is not skipped (one outstanding per
    /// node): a hung server is then down within `fall` intervals. Never under half the interval.
    public func heartbeatTimeout(tick: TimeAmount = PoolOptions.defaultTick) -> TimeAmount {
        min(callTimeout, max(heartbeatInterval - tick * 2, .nanoseconds(heartbeatInterval.nanoseconds / 2)))
    }
}

/// One server of the cluster.
public struct NodeConfig: Sendable, Equatable {
    public var name: String
    public var address: NodeAddress
    /// Within `OperatorCommand.weightRange`; 0 means no traffic (but heartbeats go on).
    public var weight: Int
    public var group: String?
    public var tags: [String]
    public var settings: NodeSettings

    public init(name: String, address: NodeAddress, weight: Int = 100, group: String? = nil, tags: [String] = [], settings: NodeSettings = NodeSettings()) {
        self.name = name
        self.address = address
        self.weight = weight
        self.group = group
        self.tags = tags
        self.settings = settings
    }
}

/// Failure detection settings.
public struct HealthSettings: Sendable, Equatable {
    /// Consecutive failed heartbeats before a node is down.
    public var fall = 3
    /// Consecutive good heartbeats before a down node is up again.
    public var rise = 2
    /// φ above this marks a node suspect.
    public var phiThreshold = 8.0
    public init() {}
}

/// Retry settings; the budget is Finagle's.
public struct RetrySettings: Sendable, Equatable {
    public var maxAttempts = 3
    public var budgetPercent = 20.0
    public var budgetMinPerSecond = 10.0
    public var budgetTTL: TimeAmount = .seconds(10)
    public init() {}
}

/// Passive outlier ejection settings.
public struct OutlierSettings: Sendable, Equatable {
    public var consecutiveFailures = 5
    public var baseEjection: TimeAmount = .seconds(30)
    public var maxEjection: TimeAmount = .seconds(300)
    public var maxEjectedPercent = 50.0
    public init() {}
}

/// A whole cluster config (`cluster.toml`): nodes, defaults and the pool's policies.
public struct ClusterConfig: Sendable, Equatable {
    public var name: String
    public var nodes: [NodeConfig]
    public var balancer: BalancerKind = .p2cPeakEWMA
    /// A drain or a weight of 0 that would leave fewer routable nodes than this is refused
    /// unless forced (`OperatorRules`).
    public var minRoutable = 1
    /// Panic mode below this share of routable nodes among those in rotation: what the routable
    /// nodes cannot take overflows to connected nodes in rotation that are not up.
    public var panicThreshold = 0.5
    public var health = HealthSettings()
    public var retry = RetrySettings()
    public var outlier = OutlierSettings()
    public var eventLogCapacity = 10_000
    /// Where drains and weights are kept across restarts; nil: not kept.
    public var stateFile: String?
    /// Where every operator action is appended (JSONL); nil: not written.
    public var auditLog: String?
    /// Where clients send calls for the pool to route (`thrifttop serve`).
    public var listeners: [ListenerConfig] = []
    public var proxy = ProxySettings()
    /// Calls routed to node groups, first match wins; unmatched calls go to every node.
    public var routes: [RouteConfig] = []
    /// Names this instance in the audit log and in events; nil: the host name.
    public var instance: String?
    public var admin = AdminSettings()
    public var alerts = AlertSettings()
    public var metrics = MetricsSettings()
    /// `[record]`: where `serve` records snapshots.
    public var record = RecordSettings()
    /// `[state]`: a state file (this instance) or etcd (shared by every instance).
    public var state = StateSettings()

    public init(name: String, nodes: [NodeConfig]) {
        self.name = name
        self.nodes = nodes
    }
}

extension ClusterConfig {
    /// Names this instance in events, the audit log and the shared state: `instance`, else the
    /// host name.
    public var instanceName: String { instance ?? Self.hostName }

    /// The floor and panic threshold as the operator rules take them.
    public var ruleSettings: OperatorRuleSettings { OperatorRuleSettings(minRoutable: minRoutable, panicThreshold: panicThreshold) }

    /// Read once: the name an instance has when the config names none.
    static let hostName = PoolOptions.hostName()
}

extension ClusterConfig {
    /// What a config asks for that the pool will not do as written, one line each, for the
    /// loader's caller to print: today, heartbeats that time out before `call_timeout_ms`.
    public var warnings: [String] {
        var byTimeout: [String: [String]] = [:]
        // Only a timeout beyond the interval: the two ticks of slack below it are no surprise.
        for node in nodes where node.settings.callTimeout > node.settings.heartbeatInterval {
            let s = node.settings
            let text = "heartbeats time out after \(s.heartbeatTimeout().nanoseconds / 1_000_000) ms, not call_timeout_ms "
                + "\(s.callTimeout.nanoseconds / 1_000_000): a heartbeat must fail before the next is due "
                + "(heartbeat_interval_ms \(s.heartbeatInterval.nanoseconds / 1_000_000)); a server slower than that is marked failing"
            byTimeout[text, default: []].append(node.name)
        }
        return byTimeout.sorted { $0.key < $1.key }.map { text, names in
            let who = names.count == nodes.count ? "every node" : names.count == 1 ? "node \(names[0])" : "nodes \(names.joined(separator: ", "))"
            return "\(who): \(text)"
        }
    }
}
