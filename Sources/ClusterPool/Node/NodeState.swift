import ClusterModel
import NIOCore
import ThriftWire

/// Everything the pool knows about one node, as a state machine: a small closed set of inputs
/// (connection up or lost, heartbeat and call outcomes, details, operator changes, the passing
/// of time), each of which updates the figures, re-derives the health in one place and returns
/// what changed. No I/O and no clock: every input carries its time, so tests drive it exactly.
///
/// `version` moves on with every input that changes what a snapshot of the node shows, so the
/// snapshot is rebuilt only then.
///
/// A class with one owner (its `NodeLink`), not a struct: the pool reads a few fields of every
/// node for every snapshot and every call, and reading a field of a struct held in a class
/// copied the whole state out first (every histogram and string retained and released: 8 % of a
/// core at 10,000 nodes).
final class NodeState {
    let name: String
    let address: String
    let settings: NodeSettings

    private(set) var health = NodeHealth.unknown
    /// Connected and up or degraded as the heartbeats see it, the operator's drain and weight
    /// apart: what the operator rules count as routable once in rotation.
    private(set) var serving = false
    private(set) var version: UInt64 = 1
    private(set) var detector: NodeDetector
    /// φ as the last `evaluate` saw it.
    private var phiAtLastEvaluate = 0.0

    /// The connection, as far as health goes.
    private(set) var link = LinkEvidence()
    /// What the server says about itself (fb303 status and details).
    private(set) var details = NodeDetails()

    // Figures.
    private(set) var latency = LatencyWindow()
    private(set) var availability = AvailabilityWindow()
    private(set) var counts = NodeCounts()
    /// The last error and when it happened (the screen shows its age).
    private(set) var lastFailure: NodeFailure?
    /// Calls in flight on every loop, and how many were sent here lately (the traffic share).
    private(set) var traffic = NodeTraffic()

    /// The operator's say: weight, drain, who changed it last.
    private(set) var say: OperatorSay
    /// The TLS of its last handshake (version, certificate) and how it is configured; nil: plaintext.
    private(set) var tls: NodeTLS?

    /// Where this node reports that its snapshot is out of date; nil when nobody builds them.
    private var changes: ChangedNodes?
    private var index: Int

    init(config: NodeConfig, detector: NodeDetector, index: Int = 0, changes: ChangedNodes? = nil) {
        self.index = index
        self.changes = changes
        name = config.name
        address = config.address.description
        settings = config.settings
        tls = config.settings.tls.map { NodeTLS(insecureSkipVerify: $0.insecureSkipVerify, certWarnDays: $0.certWarnDays) }
        say = OperatorSay(weight: config.weight, configuredWeight: config.weight)
        self.detector = detector
    }


    // MARK: inputs — the connection

    /// With a TLS session, `wallTime` (Unix seconds) tells whether its certificate expires soon.
    func connected(at now: NIODeadline, tls session: TLSSession? = nil, wallTime: Double = 0) -> NodeChange {
        var change = NodeChange()
        if let session, var tls {
            link.clientCertificateMissing = session.clientCertificateRequested && settings.tls?.certFile == nil
            let newCertificate = session.certificate != tls.certificate
            tls.version = session.version
            tls.certificate = session.certificate
            self.tls = tls
            if newCertificate, let certificate = session.certificate, tls.certificateExpiresSoon(at: wallTime) {
                let days = certificate.daysLeft(at: wallTime)
                change.events.append(NodeEvent(severity: .warning, kind: .tls, message:
                    "the certificate of \(address) (\(certificate.subject)) expires \(RFC3339.string(fromUnixSeconds: certificate.notValidAfter)), in \(days) day\(days == 1 ? "" : "s") (tls_cert_warn_days \(tls.certWarnDays))"))
            }
        }
        link.connected = true
        routingChanged()
        link.requests = 0
        link.replies = 0
        link.heartbeatSentAt = nil
        detector.connected(at: now)
        let over = session.map { " over \($0.version ?? "TLS")" } ?? ""
        change.events.append(NodeEvent(severity: .info, kind: .connection, message: "connected to \(address)\(over)"))
        return settle(change, at: now)
    }

    /// A connection attempt failed (refused, DNS, timeout).
    func connectFailed(_ reason: String, kind: PoolEvent.Kind = .connection, at now: NIODeadline) -> NodeChange {
        hardFailure(kind: kind, "cannot connect to \(address): \(reason)", at: now)
    }

    /// The server closed or reset the connection.
    func connectionLost(at now: NIODeadline) -> NodeChange {
        guard link.connected else { return .none }
        if link.awaitingFirstReply, link.clientCertificateMissing {
            return hardFailure(kind: .tls, "TLS client certificate wanted: \(address) asked for a client certificate and closed the connection on the first call: set tls_cert_file and tls_key_file",
                               reason: "client certificate wanted", at: now)
        }
        if let hint = mismatchHint {
            return hardFailure(kind: .transportMismatch, "transport mismatch: \(address) closed the connection on the first call without replying — \(hint)",
                               reason: "transport mismatch", at: now)
        }
        return hardFailure(kind: .connection, "connection to \(address) closed by the server or reset", at: now)
    }

    // MARK: inputs — heartbeats

    func heartbeatSent(at now: NIODeadline) {
        link.heartbeatSentAt = now
        link.requests += 1
        changed()
    }

    /// The connection refused the heartbeat before writing it (it had already failed).
    func heartbeatNotSent() {
        link.heartbeatSentAt = nil
        link.requests -= 1
    }

    /// The heartbeat was due while there was no connection (refused, or not yet reconnected): it
    /// failed, for the counts as for the availability, so HB FAIL and AVAIL tell one story.
    func heartbeatMissed() {
        availability.record(false)
        counts.heartbeatsFailed += 1
        changed()
    }

    func record(heartbeat outcome: HeartbeatOutcome, at now: NIODeadline) -> NodeChange {
        link.heartbeatSentAt = nil
        switch outcome {
        case let .answered(status, millis):
            link.replies += 1
            latency.record(millis: millis, at: now)
            availability.record(true)
            counts.heartbeatsOK += 1
            link.everHeard = true
            detector.heartbeatSucceeded(at: now)
            var change = NodeChange()
            if status != nil { details.statusAt = now }
            if let status, status != details.fbStatus {
                if let old = details.fbStatus {
                    change.events.append(NodeEvent(severity: status == .alive ? .info : .notice, kind: .stateChange, message: "fb303 status \(old) → \(status)"))
                }
                details.fbStatus = status
                change.fetchStatusDetails = true
            }
            return settle(change, at: now)
        case let .failed(failure):
            if failure.gotReply { link.replies += 1 }
            counts.heartbeatsFailed += 1
            availability.record(false)
            link.everHeard = true
            detector.heartbeatFailed(at: now)
            let text = timeoutText(failure)
            var change = NodeChange()
            if recordError(text, at: now) {
                change.events.append(NodeEvent(severity: failure.kind == .timeout ? .warning : .error, kind: failure.kind, message: text))
            }
            return settle(change, reason: text, at: now)
        }
    }

    // MARK: inputs — calls

    func callSent() {
        traffic.inFlight += 1
        link.requests += 1
        counts.calls += 1
        traffic.picks += 1
        changed()
    }

    /// An attempt ended, on whichever loop routed it (the balancer's own view of the node's
    /// calls is each router's `CallCost`).
    func record(call outcome: CallOutcome, at now: NIODeadline) {
        traffic.inFlight -= 1
        changed()
        switch outcome {
        case let .answered(millis, exception):
            link.replies += 1
            latency.record(millis: millis, at: now)
            if let exception {
                counts.callFailures += 1
                recordError(exception, at: now)
            }
        case let .failed(text, _, _):
            counts.callFailures += 1
            recordError(text, at: now)
        case .ended:
            // Balances the request `callSent` counted: nothing is awaited any more.
            link.replies += 1
        }
    }

    func retried() {
        counts.retries += 1
        changed()
    }

    // MARK: inputs — details, operator, time

    func record(details update: (inout NodeDetails) -> Void) {
        update(&details)
        changed()
    }

    func apply(_ command: NodeOperatorChange, at now: NIODeadline) -> NodeChange {
        switch command {
        case .drain: say.drained = true
        case .undrain: say.drained = false
        case let .weight(value): say.weight = value
        }
        routingChanged()
        let reason: String? = switch command {
        case .drain: "drained by operator"
        case .undrain: "undrained by operator"
        case .weight: nil
        }
        return settle(.none, reason: reason, at: now)
    }

    /// Records who made the node's last operator change (here, or on another instance through
    /// the shared store).
    func noteChange(_ change: OperatorChange?) {
        guard change != say.lastChange else { return }
        say.lastChange = change
        changed()
    }

    /// Time passed with no input: φ may have crossed its threshold (or come back under it), and a
    /// rising φ is what an operator watches on a node going quiet, so it shows (to 0.01) once it
    /// is at least 1; below that it moves only with heartbeats, which rebuild the snapshot anyway.
    func evaluate(at now: NIODeadline) -> NodeChange {
        let before = health
        let change = settle(.none, at: now, bump: false)
        let phi = detector.second.phi(at: now)
        let phiMoved = (phi >= 1 || phiAtLastEvaluate >= 1) && abs(phi - phiAtLastEvaluate) >= 0.01
        phiAtLastEvaluate = phi
        // The window drops its older half as time passes, heartbeats or not.
        let rotated = latency.rotateIfDue(at: now)
        if health != before || phiMoved || rotated { changed() }
        return change
    }

    /// The pool paused: re-base the detectors so the gap is not held against the node.
    func pauseEnded(at now: NIODeadline) {
        detector.pauseEnded(at: now)
        changed()
    }

    /// Every second: the calls this node got in the second that ended join its recent window.
    /// Not a snapshot change: the share it makes is recomputed with every build.
    func closePickSecond() {
        traffic.recentPicks.close(traffic.picks)
        traffic.picks = 0
    }

    /// A reload renumbered the pool's nodes: this one is now at `index`. (Its snapshot moves with
    /// it: nothing it shows changed.)
    func moved(to index: Int) { self.index = index }

    /// A reload removed the node (or replaced it): what still happens to it (calls in flight
    /// finishing) no longer marks a place in the pool's tables.
    func detach() { changes = nil }

    /// A reload changed the node's configured weight. The weight an operator set stays; a node
    /// at its configured weight (nobody set one) takes the new one.
    func reconfigure(weight newDefault: Int) {
        if say.weight == say.configuredWeight { say.weight = newDefault }
        say.configuredWeight = newDefault
        routingChanged()
        changed()
    }

    /// The one place a change is recorded: the version moves on and the pool hears of it.
    private func changed() {
        version &+= 1
        changes?.mark(index)
    }

    /// Something every router needs moved (serving, health, the link, the operator's say): the
    /// pool publishes a new `RoutingView`.
    private func routingChanged() {
        changes?.routingMoved = true
    }

    // MARK: the one place health is derived

    /// The state from the evidence: not connected or convicted is down (unknown before anything
    /// was heard), suspicion next, then what the server says; a drain overrides a serving state.
    private func derivedHealth(at now: NIODeadline) -> (health: NodeHealth, base: NodeHealth) {
        let verdict = detector.verdict(at: now)
        let base: NodeHealth
        if !link.connected || verdict == .down {
            base = link.everHeard ? .down : .unknown
        } else if verdict == .suspect {
            base = .suspect
        } else {
            base = details.fbStatus?.health ?? .up
        }
        if say.drained && base != .down && base != .unknown { return (.draining, base) }
        return (base, base)
    }

    /// Re-derives the health after an input and adds the transition, if any, to `change`.
    private func settle(_ change: NodeChange, reason: String? = nil, at now: NIODeadline, bump: Bool = true) -> NodeChange {
        if bump { changed() }
        let (new, base) = derivedHealth(at: now)
        let wasServing = serving
        serving = link.connected && base.isServing
        if serving != wasServing { routingChanged() }
        // A drained node's health hides its base: a change of that alone still shows.
        if !bump && serving != wasServing { changed() }
        guard new != health else { return change }
        routingChanged()
        let old = health
        health = new
        defer { say.drainedAtLastHealth = say.drained }
        var change = change
        let severity: EventSeverity = switch new {
        case .down: .error
        case .suspect: .warning
        case .degraded, .draining, .starting: .notice
        case .up, .unknown: .info
        }
        change.events.append(NodeEvent(severity: severity, kind: .stateChange, message: "\(old.word(drained: say.drainedAtLastHealth)) → \(new.word(drained: say.drained))" + (reason.map { ": \($0)" } ?? "")))
        // Without a reason of its own, the evidence is the event that came with the input (an
        // fb303 status change), else the detector's verdict on time passing.
        let why = reason ?? change.events.dropLast().last?.message
            ?? "heartbeat arrival φ \((detector.second.phi(at: now) * 10).rounded() / 10) (threshold \(detector.second.threshold))"
        change.transition = HealthTransition(from: old, to: new, reason: why)
        return change
    }

    /// Refused, reset, EOF: down at once, no waiting for timeouts.
    private func hardFailure(kind: PoolEvent.Kind, _ text: String, reason: String? = nil, at now: NIODeadline) -> NodeChange {
        link.connected = false
        routingChanged()
        link.heartbeatSentAt = nil
        link.everHeard = true
        detector.connectionLost(at: now)
        var change = NodeChange()
        if recordError(text, at: now) {
            change.events.append(NodeEvent(severity: .error, kind: kind, message: text))
        }
        return settle(change, reason: reason ?? text, at: now)
    }

    /// Keeps `text` (sanitized) as the last error; returns whether it differs from the one
    /// before, so a failure repeated every interval is logged once, not every second.
    @discardableResult
    private func recordError(_ text: String, at now: NIODeadline) -> Bool {
        let clean = TextSanitizer.clean(text, maximumLength: 200)
        defer { lastFailure = NodeFailure(text: clean, at: now) }
        return clean != lastFailure?.text
    }

    /// A hint for an operator when a fresh connection fails before any reply.
    private var mismatchHint: String? {
        guard link.awaitingFirstReply else { return nil }
        let configured = "\(settings.transport.rawValue)/\(settings.protocolKind.rawValue)"
        if settings.tls == nil {
            return "likely a TLS server (set tls = true) or another transport/protocol than the configured \(configured)"
        }
        return "likely a transport or protocol mismatch: this node is configured \(configured); check what the server speaks"
    }

    /// A heartbeat without a reply says what was seen, and on a new connection both likely causes.
    private func timeoutText(_ failure: HeartbeatFailure) -> String {
        guard failure.kind == .timeout, link.awaitingFirstReply else { return failure.message }
        return "no reply within \(failure.timeoutMillis) ms to the first heartbeat on a new connection: either the server is hung, "
            + "or it speaks another transport or protocol than configured (\(settings.transport.rawValue)/\(settings.protocolKind.rawValue))"
    }
}

/// What the server said about itself beyond its status, sanitized where it entered.
struct NodeDetails: Equatable {
    /// What the server last said to `getStatus`; nil before the first reply or for a named-method heartbeat.
    var fbStatus: FBStatus?
    /// When the server last reported its status.
    var statusAt: NIODeadline?
    var statusDetails = ""
    var serverName: String?
    var serverVersion: String?
    var aliveSince: Int64?
    var counters: [String: Int64] = [:]
    /// A THeader node's info headers on its last details reply, as `key=value`, cleaned.
    var replyHeaders: [String] = []
}

/// An operator's change to one node, once the pool has checked it is allowed.
enum NodeOperatorChange: Equatable {
    case drain, undrain
    case weight(Int)
}

@available(*, unavailable)
extension NodeState: Sendable {}

// MARK: - the parts of a node's state

/// What the connection says about a node's health: whether it is up, whether anything was ever
/// heard, and what was sent and answered on it (a server that closes, or stays silent, before
/// its first reply most likely speaks another transport or protocol).
struct LinkEvidence {
    var connected = false
    /// Ever had a reply or a failure: before that a node is unknown, not down.
    var everHeard = false
    /// Requests and replies on the current connection.
    var requests = 0
    var replies = 0
    /// When the heartbeat in flight went out (the connection's handler knows whether one is).
    var heartbeatSentAt: NIODeadline?
    /// The last handshake's server asked for a client certificate and we have none: a TLS 1.3
    /// server that requires one says so only by closing after the handshake.
    var clientCertificateMissing = false

    /// Something was sent on this connection and nothing came back yet: what a server speaking
    /// another transport or protocol (or a hung one) looks like.
    var awaitingFirstReply: Bool { replies == 0 && requests > 0 }
}

/// A node's last error, sanitized, and when it happened.
struct NodeFailure {
    var text: String
    var at: NIODeadline
}

/// A node's calls across every loop's router: in flight now, and how many were sent to it in
/// the current second and the last few (its traffic share).
struct NodeTraffic {
    var inFlight = 0
    var picks = 0
    var recentPicks = PickWindow()
}

/// A node's running counts, as the snapshot and the metrics show them.
struct NodeCounts {
    var heartbeatsOK = 0
    var heartbeatsFailed = 0
    var calls = 0
    var callFailures = 0
    var retries = 0
}

/// The operator's say over a node.
struct OperatorSay {
    var weight: Int
    /// The config's weight: what an operator's reset goes back to, and what a reload may change.
    var configuredWeight: Int
    var drained = false
    /// `drained` when the health last changed: the word for the health it changes from.
    var drainedAtLastHealth = false
    /// Who made the last operator change, from where, when (shown; it decides nothing).
    var lastChange: OperatorChange?
}

// Read-only views for the pool and the snapshot, so readers need not know the grouping.
extension NodeState {
    /// May new calls go here (outlier ejection aside)? The operator rules' one definition.
    var isRoutable: Bool { OperatorRules.isRoutable(serving: serving, drained: say.drained, weight: say.weight, ejected: false) }
    /// The operator has it in rotation (not drained, weight above 0).
    var inRotation: Bool { OperatorRules.inRotation(drained: say.drained, weight: say.weight) }
    var connected: Bool { link.connected }
    var weight: Int { say.weight }
    var configuredWeight: Int { say.configuredWeight }
    var drained: Bool { say.drained }
    var lastChange: OperatorChange? { say.lastChange }
    var inFlight: Int { traffic.inFlight }
    /// Calls sent here over the last `PickWindow.seconds` whole seconds.
    var recentPicks: Int { traffic.recentPicks.total }
    var lastError: String? { lastFailure?.text }
    var fbStatus: FBStatus? { details.fbStatus }
    var heartbeatsOK: Int { counts.heartbeatsOK }
    var heartbeatsFailed: Int { counts.heartbeatsFailed }
    var calls: Int { counts.calls }
    var callFailures: Int { counts.callFailures }
    var retries: Int { counts.retries }
}
