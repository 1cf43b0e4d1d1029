// The JSON form of the snapshot: what the admin API, etcd and recordings carry, so its names are
// a contract. Keys are snake_case; durations are numbers of milliseconds with a `_ms` suffix;
// times are RFC 3339 UTC strings; `schema_version` comes first at the top. Decoding ignores keys
// it does not know (a newer writer may add some) and takes a missing optional field as absent.
// A new value of an enum (health, event kind, severity) is a schema change: it bumps
// `schema_version`, which older readers refuse by name rather than misreading.

extension ClusterSnapshot: Codable {
    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", clusterName = "cluster", time, nodes, events
        case callsPerSecond = "calls_per_second", retriesPerSecond = "retries_per_second", availability
        case callSuccessRatio = "call_success_ratio", callLatencyP99 = "call_p99_ms", methods
        case panicMode = "panic_mode", minRoutable = "min_routable", panicThreshold = "panic_threshold", balancer, undoable = "undo_by_operator", listeners, version, stateStore = "state_store"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let version = try c.decode(Int.self, forKey: .schemaVersion)
        guard version <= Self.schemaVersion else {
            throw DecodingError.dataCorruptedError(forKey: .schemaVersion, in: c,
                debugDescription: "snapshot schema_version \(version) is newer than this thrifttop reads (\(Self.schemaVersion))")
        }
        self.init(
            clusterName: try c.decode(String.self, forKey: .clusterName),
            wallTime: try c.decodeTime(forKey: .time),
            nodes: try c.decode([NodeSnapshot].self, forKey: .nodes),
            events: try c.decodeIfPresent([PoolEvent].self, forKey: .events) ?? [],
            callsPerSecond: try c.decodeIfPresent(Double.self, forKey: .callsPerSecond) ?? 0,
            retriesPerSecond: try c.decodeIfPresent(Double.self, forKey: .retriesPerSecond) ?? 0,
            availability: try c.decodeIfPresent(Double.self, forKey: .availability) ?? 0,
            panicMode: try c.decodeIfPresent(Bool.self, forKey: .panicMode) ?? false,
            balancer: try c.decodeIfPresent(String.self, forKey: .balancer) ?? "",
            undoable: try c.decodeIfPresent([String: String].self, forKey: .undoable) ?? [:],
            listeners: try c.decodeIfPresent([String].self, forKey: .listeners) ?? [])
        self.version = try c.decodeIfPresent(UInt64.self, forKey: .version) ?? 0
        methods = try c.decodeIfPresent([MethodSnapshot].self, forKey: .methods) ?? []
        callSuccessRatio = try c.decodeIfPresent(Double.self, forKey: .callSuccessRatio)
        callLatencyP99 = try c.decodeIfPresent(Double.self, forKey: .callLatencyP99)
        stateStore = try c.decodeIfPresent(StateStoreStatus.self, forKey: .stateStore)
        rules = OperatorRuleSettings(minRoutable: try c.decodeIfPresent(Int.self, forKey: .minRoutable) ?? 1,
                                     panicThreshold: try c.decodeIfPresent(Double.self, forKey: .panicThreshold) ?? 0.5)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.schemaVersion, forKey: .schemaVersion)
        try c.encode(clusterName, forKey: .clusterName)
        try c.encodeTime(wallTime, forKey: .time)
        try c.encode(nodes, forKey: .nodes)
        try c.encode(events, forKey: .events)
        try c.encode(callsPerSecond, forKey: .callsPerSecond)
        try c.encode(retriesPerSecond, forKey: .retriesPerSecond)
        try c.encode(availability, forKey: .availability)
        try c.encode(methods, forKey: .methods)
        try c.encodeIfPresent(callSuccessRatio, forKey: .callSuccessRatio)
        try c.encodeIfPresent(callLatencyP99, forKey: .callLatencyP99)
        try c.encode(panicMode, forKey: .panicMode)
        try c.encode(rules.minRoutable, forKey: .minRoutable)
        try c.encode(rules.panicThreshold, forKey: .panicThreshold)
        try c.encode(balancer, forKey: .balancer)
        try c.encode(undoable, forKey: .undoable)
        try c.encode(listeners, forKey: .listeners)
        try c.encode(version, forKey: .version)
        try c.encodeIfPresent(stateStore, forKey: .stateStore)
    }
}

extension NodeSnapshot: Codable {
    enum CodingKeys: String, CodingKey {
        case name, address, group, tags, health, fbStatus = "fb_status", statusDetails = "status_details", connected, serving, routable
        case latencyP50 = "p50_ms", latencyP90 = "p90_ms", latencyP99 = "p99_ms", latencyMax = "max_ms", latencyEWMA = "ewma_ms"
        case recentLatencies = "recent_ms", latencyHistogram = "histogram"
        case heartbeatsOK = "heartbeats_ok", heartbeatsFailed = "heartbeats_failed", phi, calls
        case callFailures = "call_failures", retries, inFlight = "in_flight", weight, configuredWeight = "configured_weight"
        case trafficShare = "traffic_share", availability, clusterAvailabilityIfDrained = "cluster_availability_if_drained"
        case operatorDrained = "drained", ejectedFor = "ejected_for_ms", lastError = "last_error", lastErrorAt = "last_error_at"
        case fbStatusAt = "fb_status_at", heartbeatTimeoutMillis = "heartbeat_timeout_ms"
        case serverName = "server_name", serverVersion = "server_version", aliveSince = "alive_since", counters, replyHeaders = "reply_headers", wire, lastChange = "last_change", tls
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name), address: try c.decode(String.self, forKey: .address),
                  health: try c.decodeIfPresent(NodeHealth.self, forKey: .health) ?? .unknown)
        group = try c.decodeIfPresent(String.self, forKey: .group)
        tags = try c.decodeIfPresent([String].self, forKey: .tags) ?? []
        fbStatus = try c.decodeIfPresent(String.self, forKey: .fbStatus)
        statusDetails = try c.decodeIfPresent(String.self, forKey: .statusDetails) ?? ""
        connected = try c.decodeIfPresent(Bool.self, forKey: .connected) ?? false
        serving = try c.decodeIfPresent(Bool.self, forKey: .serving) ?? false
        routable = try c.decodeIfPresent(Bool.self, forKey: .routable) ?? false
        latencyP50 = try c.decodeIfPresent(Double.self, forKey: .latencyP50)
        latencyP90 = try c.decodeIfPresent(Double.self, forKey: .latencyP90)
        latencyP99 = try c.decodeIfPresent(Double.self, forKey: .latencyP99)
        latencyMax = try c.decodeIfPresent(Double.self, forKey: .latencyMax)
        latencyEWMA = try c.decodeIfPresent(Double.self, forKey: .latencyEWMA)
        recentLatencies = try c.decodeIfPresent([Double].self, forKey: .recentLatencies) ?? []
        latencyHistogram = try c.decodeIfPresent([LatencyBucket].self, forKey: .latencyHistogram) ?? []
        heartbeatsOK = try c.decodeIfPresent(Int.self, forKey: .heartbeatsOK) ?? 0
        heartbeatsFailed = try c.decodeIfPresent(Int.self, forKey: .heartbeatsFailed) ?? 0
        phi = try c.decodeIfPresent(Double.self, forKey: .phi) ?? 0
        calls = try c.decodeIfPresent(Int.self, forKey: .calls) ?? 0
        callFailures = try c.decodeIfPresent(Int.self, forKey: .callFailures) ?? 0
        retries = try c.decodeIfPresent(Int.self, forKey: .retries) ?? 0
        inFlight = try c.decodeIfPresent(Int.self, forKey: .inFlight) ?? 0
        weight = try c.decodeIfPresent(Int.self, forKey: .weight) ?? 100
        configuredWeight = try c.decodeIfPresent(Int.self, forKey: .configuredWeight) ?? weight
        trafficShare = try c.decodeIfPresent(Double.self, forKey: .trafficShare) ?? 0
        availability = try c.decodeIfPresent(Double.self, forKey: .availability) ?? 0
        clusterAvailabilityIfDrained = try c.decodeIfPresent(Double.self, forKey: .clusterAvailabilityIfDrained) ?? 0
        operatorDrained = try c.decodeIfPresent(Bool.self, forKey: .operatorDrained) ?? false
        ejectedFor = try c.decodeIfPresent(Double.self, forKey: .ejectedFor).map { $0 / 1000 }
        lastError = try c.decodeIfPresent(String.self, forKey: .lastError)
        lastErrorAt = try c.decodeTimeIfPresent(forKey: .lastErrorAt)
        fbStatusAt = try c.decodeTimeIfPresent(forKey: .fbStatusAt)
        heartbeatTimeoutMillis = try c.decodeIfPresent(Double.self, forKey: .heartbeatTimeoutMillis)
        serverName = try c.decodeIfPresent(String.self, forKey: .serverName)
        serverVersion = try c.decodeIfPresent(String.self, forKey: .serverVersion)
        aliveSince = try c.decodeTimeIfPresent(forKey: .aliveSince).map { Int64($0.rounded(.down)) }
        counters = try c.decodeIfPresent([String: Int64].self, forKey: .counters) ?? [:]
        replyHeaders = try c.decodeIfPresent([String].self, forKey: .replyHeaders) ?? []
        wire = try c.decodeIfPresent(String.self, forKey: .wire) ?? ""
        lastChange = try c.decodeIfPresent(OperatorChange.self, forKey: .lastChange)
        tls = try c.decodeIfPresent(NodeTLS.self, forKey: .tls)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(address, forKey: .address)
        try c.encodeIfPresent(group, forKey: .group)
        try c.encode(tags, forKey: .tags)
        try c.encode(health, forKey: .health)
        try c.encodeIfPresent(fbStatus, forKey: .fbStatus)
        try c.encode(statusDetails, forKey: .statusDetails)
        try c.encode(connected, forKey: .connected)
        try c.encode(serving, forKey: .serving)
        try c.encode(routable, forKey: .routable)
        try c.encodeIfPresent(latencyP50, forKey: .latencyP50)
        try c.encodeIfPresent(latencyP90, forKey: .latencyP90)
        try c.encodeIfPresent(latencyP99, forKey: .latencyP99)
        try c.encodeIfPresent(latencyMax, forKey: .latencyMax)
        try c.encodeIfPresent(latencyEWMA, forKey: .latencyEWMA)
        try c.encode(recentLatencies, forKey: .recentLatencies)
        try c.encode(latencyHistogram, forKey: .latencyHistogram)
        try c.encode(heartbeatsOK, forKey: .heartbeatsOK)
        try c.encode(heartbeatsFailed, forKey: .heartbeatsFailed)
        try c.encode(phi, forKey: .phi)
        try c.encode(calls, forKey: .calls)
        try c.encode(callFailures, forKey: .callFailures)
        try c.encode(retries, forKey: .retries)
        try c.encode(inFlight, forKey: .inFlight)
        try c.encode(weight, forKey: .weight)
        try c.encode(configuredWeight, forKey: .configuredWeight)
        try c.encode(trafficShare, forKey: .trafficShare)
        try c.encode(availability, forKey: .availability)
        try c.encode(clusterAvailabilityIfDrained, forKey: .clusterAvailabilityIfDrained)
        try c.encode(operatorDrained, forKey: .operatorDrained)
        try c.encodeIfPresent(ejectedFor.map { $0 * 1000 }, forKey: .ejectedFor)
        try c.encodeIfPresent(lastError, forKey: .lastError)
        try c.encodeTimeIfPresent(lastErrorAt, forKey: .lastErrorAt)
        try c.encodeTimeIfPresent(fbStatusAt, forKey: .fbStatusAt)
        try c.encodeIfPresent(heartbeatTimeoutMillis, forKey: .heartbeatTimeoutMillis)
        try c.encodeIfPresent(serverName, forKey: .serverName)
        try c.encodeIfPresent(serverVersion, forKey: .serverVersion)
        try c.encodeTimeIfPresent(aliveSince.map(Double.init), forKey: .aliveSince)
        try c.encode(counters, forKey: .counters)
        try c.encode(replyHeaders, forKey: .replyHeaders)
        try c.encode(wire, forKey: .wire)
        try c.encodeIfPresent(lastChange, forKey: .lastChange)
        try c.encodeIfPresent(tls, forKey: .tls)
    }
}

extension PoolEvent: Codable {
    enum CodingKeys: String, CodingKey { case id, time, node, severity, kind, message }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(id: try c.decode(UInt64.self, forKey: .id), time: try c.decodeTime(forKey: .time),
                  node: try c.decodeIfPresent(String.self, forKey: .node),
                  severity: try c.decode(EventSeverity.self, forKey: .severity),
                  kind: try c.decode(Kind.self, forKey: .kind), message: try c.decode(String.self, forKey: .message))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encodeTime(time, forKey: .time)
        try c.encodeIfPresent(node, forKey: .node)
        try c.encode(severity, forKey: .severity)
        try c.encode(kind, forKey: .kind)
        try c.encode(message, forKey: .message)
    }
}

extension KeyedDecodingContainer {
    func decodeTime(forKey key: Key) throws -> Double {
        let text = try decode(String.self, forKey: key)
        guard let seconds = RFC3339.unixSeconds(from: text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not an RFC 3339 time: \"\(text)\"")
        }
        return seconds
    }

    func decodeTimeIfPresent(forKey key: Key) throws -> Double? {
        try contains(key) && !decodeNil(forKey: key) ? decodeTime(forKey: key) : nil
    }
}

extension KeyedEncodingContainer {
    mutating func encodeTime(_ seconds: Double, forKey key: Key) throws {
        try encode(RFC3339.string(fromUnixSeconds: seconds), forKey: key)
    }

    mutating func encodeTimeIfPresent(_ seconds: Double?, forKey key: Key) throws {
        if let seconds { try encodeTime(seconds, forKey: key) }
    }
}
