/// Everything a reader (the dashboard, `thrifttop check`, an embedder's metrics) needs about the
/// cluster at one moment: an immutable value, produced by the pool at most 10 times a second.
public struct ClusterSnapshot: Sendable, Equatable {
    /// The version of the JSON form (`ClusterSnapshot+JSON.swift`); bumped when a field changes meaning.
    public static let schemaVersion = 1

    public var clusterName: String
    /// Wall-clock time of the snapshot, seconds since 1970.
    public var wallTime: Double
    public var nodes: [NodeSnapshot]
    /// The newest events last; at most the pool's log capacity.
    public var events: [PoolEvent]
    /// Calls per second through the balancer, over the last few seconds.
    public var callsPerSecond: Double
    /// Retries per second.
    public var retriesPerSecond: Double
    /// `A = 1 − Π(1 − Aᵢ)` over routable nodes: the chance at least one routable node answers.
    public var availability: Double
    /// Fewer routable nodes than the panic threshold: traffic spreads over every node.
    public var panicMode: Bool
    public var balancer: String
    /// The operator action `undo` would revert, described; nil when there is none.
    public var undoDescription: String?

    public init(
        clusterName: String, wallTime: Double, nodes: [NodeSnapshot], events: [PoolEvent],
        callsPerSecond: Double = 0, retriesPerSecond: Double = 0, availability: Double = 0,
        panicMode: Bool = false, balancer: String = "p2c-peak-ewma", undoDescription: String? = nil
    ) {
        self.clusterName = clusterName
        self.wallTime = wallTime
        self.nodes = nodes
        self.events = events
        self.callsPerSecond = callsPerSecond
        self.retriesPerSecond = retriesPerSecond
        self.availability = availability
        self.panicMode = panicMode
        self.balancer = balancer
        self.undoDescription = undoDescription
    }

    public func node(named name: String) -> NodeSnapshot? { nodes.first { $0.name == name } }
}

/// One node at one moment.
public struct NodeSnapshot: Sendable, Equatable, Identifiable {
    public var id: String { name }
    public var name: String
    public var address: String
    public var group: String?
    public var tags: [String]
    public var health: NodeHealth
    /// What the server last said to `getStatus`; nil before the first reply or for non-fb303 heartbeats.
    public var fbStatus: String?
    public var statusDetails: String
    public var connected: Bool
    /// Whether new calls may go to it now.
    public var routable: Bool

    // Latency of heartbeats and calls, milliseconds, over the sliding window.
    public var latencyP50: Double?
    public var latencyP90: Double?
    public var latencyP99: Double?
    public var latencyMax: Double?
    public var latencyEWMA: Double?
    /// The last ~120 latency samples, oldest first (for sparklines).
    public var recentLatencies: [Double]
    /// Bucketed latency distribution (upper bound ms, count) over the window, for the detail view.
    public var latencyHistogram: [LatencyBucket]

    public var heartbeatsOK: Int
    public var heartbeatsFailed: Int
    public var phi: Double
    public var calls: Int
    public var callFailures: Int
    public var retries: Int
    public var inFlight: Int
    public var weight: Int
    public var configuredWeight: Int
    /// Share of the balancer's recent traffic that went to this node, 0…1.
    public var trafficShare: Double
    /// Share of good heartbeats over the availability window, 0…1.
    public var availability: Double
    /// The cluster's availability if this node were drained.
    public var clusterAvailabilityIfDrained: Double
    public var operatorDrained: Bool
    /// Seconds until a passive ejection ends; nil when not ejected.
    public var ejectedFor: Double?
    public var lastError: String?

    // fb303 details, fetched now and then.
    public var serverName: String?
    public var serverVersion: String?
    /// Unix seconds from `aliveSince`.
    public var aliveSince: Int64?
    public var counters: [String: Int64]

    /// Drained by the operator and nothing in flight any more.
    public var isFullyDrained: Bool { operatorDrained && inFlight == 0 }

    public init(name: String, address: String, health: NodeHealth = .unknown) {
        self.name = name
        self.address = address
        self.group = nil
        self.tags = []
        self.health = health
        self.fbStatus = nil
        self.statusDetails = ""
        self.connected = false
        self.routable = false
        self.recentLatencies = []
        self.latencyHistogram = []
        self.heartbeatsOK = 0
        self.heartbeatsFailed = 0
        self.phi = 0
        self.calls = 0
        self.callFailures = 0
        self.retries = 0
        self.inFlight = 0
        self.weight = 100
        self.configuredWeight = 100
        self.trafficShare = 0
        self.availability = 0
        self.clusterAvailabilityIfDrained = 0
        self.operatorDrained = false
        self.counters = [:]
    }
}

/// One bar of a latency histogram.
public struct LatencyBucket: Sendable, Equatable, Codable {
    enum CodingKeys: String, CodingKey { case upperBoundMillis = "le_ms", count }

    public var upperBoundMillis: Double
    public var count: Int
    public init(upperBoundMillis: Double, count: Int) {
        self.upperBoundMillis = upperBoundMillis
        self.count = count
    }
}

/// One entry of the event log.
public struct PoolEvent: Sendable, Equatable, Identifiable {
    public var id: UInt64
    /// Wall-clock seconds since 1970.
    public var time: Double
    /// nil for cluster-wide events.
    public var node: String?
    public var severity: EventSeverity
    public var kind: Kind
    /// Sanitized text: no control characters or escape sequences.
    public var message: String

    /// The raw values are the JSON form's names.
    public enum Kind: String, Sendable, Equatable, Codable, CaseIterable {
        case stateChange = "state_change", heartbeatError = "heartbeat_error", callError = "call_error"
        case applicationException = "application_exception", transportMismatch = "transport_mismatch"
        case protocolError = "protocol_error", timeout, connection, retry, ejection
        case operatorAction = "operator_action", config
    }

    public init(id: UInt64, time: Double, node: String?, severity: EventSeverity, kind: Kind, message: String) {
        self.id = id
        self.time = time
        self.node = node
        self.severity = severity
        self.kind = kind
        self.message = message
    }
}
