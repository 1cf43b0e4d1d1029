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
    /// Of the calls through the balancer that ended in the last minute, the share that succeeded
    /// (an exception reply counts as failed); nil when none ended.
    public var callSuccessRatio: Double?
    /// The p99 of those calls' latency, milliseconds, across their attempts; nil: none answered.
    public var callLatencyP99: Double?
    /// `A = 1 − Π(1 − Aᵢ)` over routable nodes: the chance at least one routable node answers.
    public var availability: Double
    /// Fewer routable nodes than the panic threshold of those in rotation: what the routable
    /// nodes cannot take overflows to connected nodes that are not up (`OperatorRules`).
    public var panicMode: Bool
    /// The capacity floor and panic threshold in force, for previews by `OperatorRules`.
    public var rules = OperatorRuleSettings(minRoutable: 1, panicThreshold: 0.5)
    public var balancer: String
    /// Per operator (as the audit log names them), the action their `undo` would revert.
    public var undoable: [String: String]
    /// Where the pool's listeners take client calls (`HOST:PORT`), if it has any.
    public var listeners: [String]
    /// Per method, the calls through the balancer and how they ended, per cluster and node.
    public var methods: [MethodSnapshot] = []
    /// Where drains and weights are kept and whether the store is reachable; nil for a pool
    /// without one (a demo).
    public var stateStore: StateStoreStatus?
    /// Counts the pool's snapshot builds: a newer snapshot has a larger one (the admin stream's
    /// event ids).
    public var version: UInt64 = 0

    public init(
        clusterName: String, wallTime: Double, nodes: [NodeSnapshot], events: [PoolEvent],
        callsPerSecond: Double = 0, retriesPerSecond: Double = 0, availability: Double = 0,
        panicMode: Bool = false, balancer: String = "p2c-peak-ewma", undoable: [String: String] = [:],
        listeners: [String] = []
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
        self.undoable = undoable
        self.listeners = listeners
    }

    public func node(named name: String) -> NodeSnapshot? { nodes.first { $0.name == name } }
}

/// One node at one moment.
///
/// Built for snapshots of 10,000 nodes published ten times a second. The node's own figures live
/// in one shared immutable box that the pool rebuilds only when the node changed: copying a
/// snapshot is then a retain per node, not a copy of every string and array, and an unchanged
/// node's box compares equal at once. Inline are the figures relative to the rest of the cluster
/// (recomputed every build) and the few that tables sort and colour by (health, p99, in flight),
/// so a reader ranking every node does not chase the box. Setting a boxed field copies the box
/// first if it is shared, so the value behaves like any struct.
public struct NodeSnapshot: Sendable, Equatable, Identifiable {
    public var id: String { name }

    public var health: NodeHealth
    /// Whether new calls may go to it now.
    public var routable: Bool
    public var latencyP99: Double?
    public var inFlight: Int
    /// Share of the calls the balancer sent in the last `trafficShareSeconds` whole seconds that
    /// went to this node, 0…1: a drained node's reaches 0 within that window.
    public var trafficShare: Double
    /// The window of `trafficShare`, in whole seconds.
    public static let trafficShareSeconds = 5
    /// The cluster's availability if this node were drained.
    public var clusterAvailabilityIfDrained: Double
    /// Seconds until a passive ejection ends; nil when not ejected.
    public var ejectedFor: Double?

    /// The node's own figures: see the type's comment. Reads are inlinable, so a reader pays a
    /// load, not a call, per field.
    @usableFromInline var figures: Figures

    /// One field list, so equality and copying cannot miss a field.
    @usableFromInline struct Storage: Sendable, Equatable {
        @usableFromInline var name: String
        @usableFromInline var address: String
        @usableFromInline var group: String? = nil
        @usableFromInline var tags: [String] = []
        @usableFromInline var fbStatus: String? = nil
        @usableFromInline var fbStatusAt: Double? = nil
        @usableFromInline var heartbeatTimeoutMillis: Double? = nil
        @usableFromInline var statusDetails: String = ""
        @usableFromInline var connected: Bool = false
        @usableFromInline var serving: Bool = false
        @usableFromInline var latencyP50: Double? = nil
        @usableFromInline var latencyP90: Double? = nil
        @usableFromInline var latencyMax: Double? = nil
        @usableFromInline var latencyEWMA: Double? = nil
        @usableFromInline var recentLatencies: [Double] = []
        @usableFromInline var latencyHistogram: [LatencyBucket] = []
        @usableFromInline var heartbeatsOK: Int = 0
        @usableFromInline var heartbeatsFailed: Int = 0
        @usableFromInline var phi: Double = 0
        @usableFromInline var calls: Int = 0
        @usableFromInline var callFailures: Int = 0
        @usableFromInline var retries: Int = 0
        @usableFromInline var weight: Int = 100
        @usableFromInline var configuredWeight: Int = 100
        @usableFromInline var availability: Double = 0
        @usableFromInline var operatorDrained: Bool = false
        @usableFromInline var lastError: String? = nil
        @usableFromInline var lastErrorAt: Double? = nil
        @usableFromInline var serverName: String? = nil
        @usableFromInline var serverVersion: String? = nil
        @usableFromInline var aliveSince: Int64? = nil
        @usableFromInline var counters: [String: Int64] = [:]
        @usableFromInline var replyHeaders: [String] = []
        @usableFromInline var wire: String = ""
        @usableFromInline var lastChange: OperatorChange? = nil
        @usableFromInline var tls: NodeTLS? = nil

        @usableFromInline init(name: String, address: String) {
            self.name = name
            self.address = address
        }
    }

    /// Shared between snapshots until a field is set on one of them. Unchecked Sendable: the
    /// storage is changed only while this box is uniquely referenced (copy-on-write), so a box
    /// that two values or two threads can see never changes.
    @usableFromInline final class Figures: @unchecked Sendable, Equatable {
        @usableFromInline var storage: Storage

        @usableFromInline init(_ storage: Storage) { self.storage = storage }

        @usableFromInline static func == (a: Figures, b: Figures) -> Bool { a === b || a.storage == b.storage }
    }

    /// Sets one of the boxed fields: in place if this value owns its box, else in a copy.
    @usableFromInline mutating func update(_ change: (inout Storage) -> Void) {
        if isKnownUniquelyReferenced(&figures) {
            change(&figures.storage)
        } else {
            var storage = figures.storage
            change(&storage)
            figures = Figures(storage)
        }
    }

    public var name: String {
        @inlinable get { figures.storage.name }
        set { update { $0.name = newValue } }
    }
    public var address: String {
        @inlinable get { figures.storage.address }
        set { update { $0.address = newValue } }
    }
    public var group: String? {
        @inlinable get { figures.storage.group }
        set { update { $0.group = newValue } }
    }
    public var tags: [String] {
        @inlinable get { figures.storage.tags }
        set { update { $0.tags = newValue } }
    }
    /// What the server last said to `getStatus`; nil before the first reply or for non-fb303 heartbeats.
    public var fbStatus: String? {
        @inlinable get { figures.storage.fbStatus }
        set { update { $0.fbStatus = newValue } }
    }
    /// When the server last reported its status (wall-clock seconds); nil before any report.
    public var fbStatusAt: Double? {
        @inlinable get { figures.storage.fbStatusAt }
        set { update { $0.fbStatusAt = newValue } }
    }
    /// How long a heartbeat waits for its reply: `call_timeout_ms`, at most the interval less
    /// two ticks (`NodeSettings.heartbeatTimeout`).
    public var heartbeatTimeoutMillis: Double? {
        @inlinable get { figures.storage.heartbeatTimeoutMillis }
        set { update { $0.heartbeatTimeoutMillis = newValue } }
    }
    public var statusDetails: String {
        @inlinable get { figures.storage.statusDetails }
        set { update { $0.statusDetails = newValue } }
    }
    public var connected: Bool {
        @inlinable get { figures.storage.connected }
        set { update { $0.connected = newValue } }
    }
    /// Connected and up or degraded as the heartbeats see it, whatever the operator's drain and
    /// weight: routable once in rotation (a drained node's health shows only `draining`).
    public var serving: Bool {
        @inlinable get { figures.storage.serving }
        set { update { $0.serving = newValue } }
    }
    // Latency of heartbeats and calls, milliseconds, over the sliding window.
    public var latencyP50: Double? {
        @inlinable get { figures.storage.latencyP50 }
        set { update { $0.latencyP50 = newValue } }
    }
    public var latencyP90: Double? {
        @inlinable get { figures.storage.latencyP90 }
        set { update { $0.latencyP90 = newValue } }
    }
    public var latencyMax: Double? {
        @inlinable get { figures.storage.latencyMax }
        set { update { $0.latencyMax = newValue } }
    }
    public var latencyEWMA: Double? {
        @inlinable get { figures.storage.latencyEWMA }
        set { update { $0.latencyEWMA = newValue } }
    }
    /// The last ~120 latency samples, oldest first (for sparklines).
    public var recentLatencies: [Double] {
        @inlinable get { figures.storage.recentLatencies }
        set { update { $0.recentLatencies = newValue } }
    }
    /// Bucketed latency distribution (upper bound ms, count) over the window, for the detail view.
    public var latencyHistogram: [LatencyBucket] {
        @inlinable get { figures.storage.latencyHistogram }
        set { update { $0.latencyHistogram = newValue } }
    }
    public var heartbeatsOK: Int {
        @inlinable get { figures.storage.heartbeatsOK }
        set { update { $0.heartbeatsOK = newValue } }
    }
    public var heartbeatsFailed: Int {
        @inlinable get { figures.storage.heartbeatsFailed }
        set { update { $0.heartbeatsFailed = newValue } }
    }
    public var phi: Double {
        @inlinable get { figures.storage.phi }
        set { update { $0.phi = newValue } }
    }
    public var calls: Int {
        @inlinable get { figures.storage.calls }
        set { update { $0.calls = newValue } }
    }
    public var callFailures: Int {
        @inlinable get { figures.storage.callFailures }
        set { update { $0.callFailures = newValue } }
    }
    public var retries: Int {
        @inlinable get { figures.storage.retries }
        set { update { $0.retries = newValue } }
    }
    public var weight: Int {
        @inlinable get { figures.storage.weight }
        set { update { $0.weight = newValue } }
    }
    public var configuredWeight: Int {
        @inlinable get { figures.storage.configuredWeight }
        set { update { $0.configuredWeight = newValue } }
    }
    /// Share of good heartbeats over the availability window, 0…1.
    public var availability: Double {
        @inlinable get { figures.storage.availability }
        set { update { $0.availability = newValue } }
    }
    public var operatorDrained: Bool {
        @inlinable get { figures.storage.operatorDrained }
        set { update { $0.operatorDrained = newValue } }
    }
    public var lastError: String? {
        @inlinable get { figures.storage.lastError }
        set { update { $0.lastError = newValue } }
    }
    /// When the last error happened (wall-clock seconds).
    public var lastErrorAt: Double? {
        @inlinable get { figures.storage.lastErrorAt }
        set { update { $0.lastErrorAt = newValue } }
    }
    // fb303 details, fetched now and then.
    public var serverName: String? {
        @inlinable get { figures.storage.serverName }
        set { update { $0.serverName = newValue } }
    }
    public var serverVersion: String? {
        @inlinable get { figures.storage.serverVersion }
        set { update { $0.serverVersion = newValue } }
    }
    /// Unix seconds from `aliveSince`.
    public var aliveSince: Int64? {
        @inlinable get { figures.storage.aliveSince }
        set { update { $0.aliveSince = newValue } }
    }
    public var counters: [String: Int64] {
        @inlinable get { figures.storage.counters }
        set { update { $0.counters = newValue } }
    }
    /// How the pool speaks to it: transport/protocol, and THeader's transforms or HTTP's path
    /// ("header/compact zlib", "http/binary POST /thrift").
    public var wire: String {
        @inlinable get { figures.storage.wire }
        set { update { $0.wire = newValue } }
    }
    /// A THeader node's info headers on its last details reply, `key=value`, cleaned.
    public var replyHeaders: [String] {
        @inlinable get { figures.storage.replyHeaders }
        set { update { $0.replyHeaders = newValue } }
    }

    /// The last operator change (drain, weight) and who made it, from which instance.
    public var lastChange: OperatorChange? {
        @inlinable get { figures.storage.lastChange }
        set { update { $0.lastChange = newValue } }
    }

    /// A TLS node's handshake (version, certificate) and settings; nil: plaintext.
    public var tls: NodeTLS? {
        @inlinable get { figures.storage.tls }
        set { update { $0.tls = newValue } }
    }

    /// The node as the operator rules see it.
    public var operatorView: OperatorNodeView {
        OperatorNodeView(name: name, serving: serving, drained: operatorDrained, weight: weight, configuredWeight: configuredWeight,
                         ejected: ejectedFor != nil, lastChange: lastChange)
    }

    /// Drained by the operator and nothing in flight any more.
    public var isFullyDrained: Bool { operatorDrained && inFlight == 0 }

    public init(name: String, address: String, health: NodeHealth = .unknown) {
        figures = Figures(Storage(name: name, address: address))
        self.health = health
        self.routable = false
        self.latencyP99 = nil
        self.inFlight = 0
        self.trafficShare = 0
        self.clusterAvailabilityIfDrained = 0
        self.ejectedFor = nil
    }
}

/// One bar of a latency histogram.
public struct LatencyBucket: Sendable, Equatable, Codable {
    enum CodingKeys: String, CodingKey { case upperBoundMillis = "le_ms", count }

    /// The open-ended last bar (upper bound +∞) has `le_ms: null`: JSON has no infinity.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        upperBoundMillis = try c.decodeIfPresent(Double.self, forKey: .upperBoundMillis) ?? .infinity
        count = try c.decode(Int.self, forKey: .count)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if upperBoundMillis.isFinite {
            try c.encode(upperBoundMillis, forKey: .upperBoundMillis)
        } else {
            try c.encodeNil(forKey: .upperBoundMillis)
        }
        try c.encode(count, forKey: .count)
    }

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
        /// A listener's client connections: refused, closed for bad input or idleness.
        case proxy
        /// The cluster's routable count fell below `min_routable`, or is back at it.
        case capacity
        /// The `[alerts]` command: what it was run for, and how it failed.
        case alert
        /// A TLS node's handshake failed, its certificate is about to expire, or nobody checks it.
        case tls
        /// Recording snapshots (`serve --record`): where it records, and why it stopped.
        case record
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
