import ClusterModel
import NIOCore
import ThriftWire

/// Everything the pool tracks about one node. Owned by the pool's event loop: only code running
/// on that loop touches it. Readers see it through `NodeSnapshot`.
final class NodeRuntime {
    enum Connection {
        case idle
        case connecting
        case connected(ThriftConnection)
        /// Waiting to reconnect until the scheduled attempt.
        case backingOff
    }

    let index: Int
    let config: NodeConfig
    var settings: NodeSettings { config.settings }

    var connection = Connection.idle
    var backoff = ReconnectBackoff()
    var reconnectTask: Scheduled<Void>?
    /// When the next heartbeat is due; lateness is measured against it.
    var nextHeartbeatDue: NIODeadline?
    var heartbeatOutstanding = false
    /// When the outstanding heartbeat went out.
    var heartbeatSentAt = NIODeadline.uptimeNanoseconds(0)
    /// Replies received on the current connection. A server that closes (or stays silent)
    /// before the first reply is most likely speaking another transport or protocol.
    var repliesOnConnection = 0
    var requestsOnConnection = 0
    var lastDetailsFetch: NIODeadline?

    var hysteresis: HysteresisDetector
    var phi: PhiAccrualDetector
    var everUp = false
    var everHeard = false

    var fbStatus: FBStatus?
    var statusDetails = ""
    var serverName: String?
    var serverVersion: String?
    var aliveSince: Int64?
    var counters: [String: Int64] = [:]

    var latency = LatencyWindow()
    var peak = PeakEWMA()
    var availability = AvailabilityWindow()

    var heartbeatsOK = 0
    var heartbeatsFailed = 0
    var calls = 0
    var callFailures = 0
    var retries = 0
    var inFlight = 0
    var picks = 0
    var pickRate = 0.0
    var weight: Int
    var operatorDrained = false
    var lastError: String?
    var health = NodeHealth.unknown
    /// Changed since the last snapshot of it was built.
    var dirty = true

    init(index: Int, config: NodeConfig, health: HealthSettings) {
        self.index = index
        self.config = config
        self.weight = config.weight
        hysteresis = HysteresisDetector(fall: health.fall, rise: health.rise)
        phi = PhiAccrualDetector(threshold: health.phiThreshold)
    }

    var liveConnection: ThriftConnection? {
        if case let .connected(c) = connection { return c }
        return nil
    }

    /// The state from the evidence. Pure apart from reading `self`.
    func evaluateHealth(at now: NIODeadline) -> NodeHealth {
        let base: NodeHealth
        if liveConnection == nil || !hysteresis.isUp {
            base = everHeard ? .down : .unknown
        } else if hysteresis.consecutiveFailures > 0 || phi.isSuspect(at: now) {
            base = .suspect
        } else {
            base = fbStatus?.health ?? .up
        }
        if operatorDrained && base != .down && base != .unknown { return .draining }
        return base
    }

    /// May new calls go here (outlier ejection aside)?
    var isRoutableHealth: Bool {
        health.isServing && !operatorDrained && weight > 0 && liveConnection != nil
    }

    /// A hint for an operator when a fresh connection fails before any reply.
    var mismatchHint: String? {
        guard repliesOnConnection == 0, requestsOnConnection > 0 else { return nil }
        return "likely a transport or protocol mismatch: this node is configured \(settings.transport.rawValue)/\(settings.protocolKind.rawValue); check what the server speaks"
    }

    /// Keeps `text` (sanitized) as the last error; returns whether it differs from the one
    /// before, so a failure repeated every interval is logged once, not every second.
    @discardableResult
    func recordError(_ text: String) -> Bool {
        let clean = TextSanitizer.clean(text, maximumLength: 200)
        defer { lastError = clean }
        dirty = true
        return clean != lastError
    }
}

@available(*, unavailable)
extension NodeRuntime: Sendable {}
