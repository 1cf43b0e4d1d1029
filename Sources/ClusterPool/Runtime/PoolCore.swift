import ClusterModel
import Logging
import NIOCore
import ThriftWire

/// The pool's mutable state and the logic that changes it. Confined to one event loop — the
/// loop every node connection also lives on — so no state needs a lock; the `ClusterPool`
/// facade hops onto the loop for every public operation.
///
/// Time is the loop's (`loop.now`): on an `EmbeddedEventLoop` a test drives every heartbeat,
/// timeout and detection rule exactly with `advanceTime`.
final class PoolCore {
    /// Opens a connection to a node on the pool's loop. Tests pass in-memory channels.
    typealias Connector = @Sendable (NodeConfig, NodeTLSClient?, any EventLoop) -> EventLoopFuture<ThriftConnection>

    /// A reload replaces it, and the node tables below (see PoolCore+Reload).
    var config: ClusterConfig
    let loop: any EventLoop
    let options: PoolOptions
    var nodes: [NodeLink]
    /// Nodes by name, all, by group: who a call may go to, without a filter per call.
    var lookup: NodeLookup
    /// Every node by its id, and those a reload removed until their calls are done.
    var ids: NodeIDs
    /// Routes calls on this loop (embedded calls, a proxy's connections here).
    var router: CallRouter!
    /// The routers of a proxy's other loops, and what was published to them.
    var published = RoutingPublication()
    let connector: Connector
    /// The TLS contexts of the config in force, read from their files at start and each reload.
    var tls: NodeTLSClients
    var policies: PoolPolicies
    var random: SeededGenerator
    var events: EventLog
    /// The one clock of the pool: ticks, the wheel of heartbeats due and call deadlines, pauses.
    var schedule: PoolSchedule

    /// The operator side: undo history, persistence, what a shared authority said.
    let ledger: OperatorLedger
    var rates: CallRates

    var snapshots: SnapshotPublisher
    /// Nodes whose snapshot is out of date, marked by their state machines.
    let changes: ChangedNodes
    /// `[alerts]` and the capacity floor's watch.
    var alerts: AlertState
    let metrics: PoolMetrics

    init(config: ClusterConfig, loop: any EventLoop, options: PoolOptions,
         connector: @escaping Connector = PoolCore.tcpConnector, tls: NodeTLSClients = NodeTLSClients(), operatorStore: any OperatorStore) throws {
        self.config = config
        self.loop = loop
        self.options = options
        self.connector = connector
        self.tls = tls
        let policies = try PoolPolicies.make(config, maintenanceInterval: Self.maintenanceInterval)
        self.policies = policies
        let changes = ChangedNodes(count: config.nodes.count)
        self.changes = changes
        let metrics = PoolMetrics(cluster: config.name, settings: config.metrics, factory: options.metricsFactory)
        self.metrics = metrics
        nodes = config.nodes.enumerated().map {
            NodeLink(index: $0, id: $0 + 1, config: $1, policies: policies, changes: changes, metrics: metrics.makeNode($1))
        }
        ids = NodeIDs(nodes)
        // The publisher starts with placeholders: every node's first snapshot is still to build.
        for index in nodes.indices { changes.mark(index) }
        lookup = NodeLookup(config.nodes)
        random = SeededGenerator(seed: options.seed)
        events = EventLog(capacity: config.eventLogCapacity)
        schedule = PoolSchedule(wheel: TimerWheel(tick: options.tick))
        ledger = OperatorLedger(log: OperatorLog(store: operatorStore, loop: loop))
        snapshots = SnapshotPublisher(nodes: config.nodes)
        rates = CallRates(maxMethods: config.metrics.maxMethods)
        alerts = AlertState(settings: config.alerts, minRoutable: config.minRoutable, nodeCount: config.nodes.count)
        router = try CallRouter(loop: loop, view: .empty(config), seed: random.next(), tick: options.tick, connector: connector) { [unowned self] in
            record($0)
        }
        publishRouting()
        // Other loops hear of a moved fact at the end of this turn of the pool's loop, not a tick later.
        changes.onRoutingMoved = { [weak self] in
            self?.loop.assumeIsolated().execute { self?.publishRoutingIfMoved() }
        }
    }

    /// Connects over TCP with the node's protocol, transport and connect timeout. A TLS node
    /// without its TLS client fails rather than connect in plaintext.
    static let tcpConnector: Connector = { node, tls, loop in
        if node.settings.tls != nil && tls == nil {
            return loop.makeFailedFuture(NodeTLSFailure(.other, "no TLS client was made for this node's settings; not connecting in plaintext"))
        }
        return ThriftConnection.connect(host: node.address.host, port: node.address.port, protocolKind: node.settings.protocolKind,
                                 transport: node.settings.transport, wire: node.settings.wire, connectTimeout: node.settings.connectTimeout, tls: tls, group: loop)
    }

    /// A node whose certificate nobody checks is said so at start (and marked on screen).
    func warnInsecure(_ node: NodeLink) {
        log(.warning, .tls, node: node, "\(node.config.name): tls_insecure_skip_verify = true: its certificate is not checked, so anyone on the path can pose as it")
    }

    func log(_ severity: EventSeverity, _ kind: PoolEvent.Kind, node: NodeLink?, _ message: String) {
        log(severity, kind, nodeName: node?.config.name, message)
    }

    /// The one place events are recorded: the pool's log (snapshots, `events(after:)`) and the
    /// embedder's `Logger`, with the same sanitized text.
    func log(_ severity: EventSeverity, _ kind: PoolEvent.Kind, nodeName: String?, _ message: String) {
        let event = events.append(time: options.wallClock(), node: nodeName, severity: severity, kind: kind, message: message)
        options.logger.log(level: severity.logLevel, "\(event.message)", metadata: eventMetadata(event))
    }

    private func eventMetadata(_ event: PoolEvent) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["cluster": .string(config.name), "kind": .string(event.kind.rawValue)]
        if let node = event.node { metadata["node"] = .string(node) }
        return metadata
    }

    /// Carries out what a node's state machine said changed: its events go to the log, its
    /// follow-up work is started, its gauges show the new state.
    func apply(_ change: NodeChange, to node: NodeLink) {
        for event in change.events { log(event.severity, event.kind, node: node, event.message) }
        if change.fetchStatusDetails { fetchStatusDetails(node) }
        noteForAlerts(change, of: node)
        showMetrics(node)
    }

    // MARK: lifecycle

    /// Starts heartbeating, with the operator state `ClusterPool.start` read off the loop.
    func start(restoring loaded: Result<OperatorState?, any Error>) {
        restoreOperatorState(loaded)
        let start = now
        for node in nodes {
            connect(node)
            // Spread first heartbeats evenly over the interval: no thundering herd. (Bunching
            // them into 20 slots to share wake-ups was measured: no gain.)
            let offset = node.settings.heartbeatInterval.nanoseconds * Int64(node.index) / Int64(max(1, nodes.count))
            scheduleHeartbeat(node, at: start + .nanoseconds(offset) + node.settings.heartbeatInterval)
        }
        // The guard's reference point: a pause before the first tick must count too.
        _ = policies.pause.tick(at: start)
        scheduleTick(at: start + options.tick)
        log(.info, .config, node: nil, "pool started: \(nodes.count) nodes, balancer \(policies.balancer.name)")
        for node in nodes where node.settings.tls?.insecureSkipVerify == true { warnInsecure(node) }
        for warning in config.warnings { log(.warning, .config, node: nil, warning) }
    }

    func stop() -> EventLoopFuture<Void> {
        schedule.stopped = true
        schedule.tickTask?.cancel()
        alerts.wakeUp?.cancel()
        var closing: [EventLoopFuture<Void>] = []
        for node in nodes + ids.retiring {
            node.reconnectTask?.cancel()
            if let connection = node.liveConnection {
                closing.append(connection.channel.close().recover { _ in })
            }
            node.connection = .idle
        }
        // Every router hears it, and closes its call connections; calls waiting fail.
        closing += router.stop()
        closing += publishRouting()
        closing.append(ledger.log.flushed())
        for node in nodes { forgetMetrics(of: node) }
        metrics.destroy()
        return EventLoopFuture.andAllComplete(closing, on: loop)
    }

    /// Ticks at a fixed cadence (deadline after deadline, not delay after delay).
    private func scheduleTick(at deadline: NIODeadline) {
        guard !stopped else { return }
        schedule.tickTask = loop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            onTick()
            let now = self.now
            var next = deadline + options.tick
            if next <= now { next = now + options.tick }
            scheduleTick(at: next)
        }
    }

    private func onTick() {
        let now = self.now
        let due = schedule.wheel.takeDue(at: now)
        // Expiries first: a heartbeat that just timed out must not make the next one look
        // outstanding and be skipped.
        for case let .expire(index) in due {
            nodes[index].liveConnection?.expire(now: now)
            router.nodes[index].calls.expire(now: now)
        }
        router.tick(at: now)
        publishRoutingIfMoved()
        for case let .heartbeat(index) in due { heartbeatDue(nodes[index]) }
        schedule.ticks += 1
        if schedule.ticks % ticksPerMaintenance == 0 { maintain() }
    }

    /// Maintenance (pause detection, snapshots; every tenth pass rates and suspicion) runs every
    /// 100 ms whatever the tick.
    static let maintenanceInterval = TimeAmount.milliseconds(100)

    /// Every 100 ms: pause detection and snapshots; every second: rates, suspicion, φ and the
    /// latency windows' rotation (`NodeState.evaluate`).
    func maintain() {
        let now = self.now
        if let pause = policies.pause.tick(at: now) {
            schedule.pauseEndedAt = now
            log(.notice, .config, node: nil, "the pool itself was paused for \(pause.nanoseconds / 1_000_000) ms; re-checking nodes instead of convicting them")
            for node in nodes {
                node.state.pauseEnded(at: now)
                sendHeartbeat(node, replacingOneInFlight: true)
            }
        }
        if schedule.ticks % (ticksPerMaintenance * 10) == 0 {
            updateRates(now)
            var availability = ClusterAvailability()
            for node in nodes {
                apply(node.state.evaluate(at: now), to: node)
                if node.metrics.isRoutable { availability.add(node.state.availability.availability) }
            }
            metrics.showAvailability(availability.value)
        }
        collectAlertOutcomes()
        ids.dropQuietRetired()
        publishSnapshotIfWanted()
    }

    private func updateRates(_ now: NIODeadline) {
        guard rates.update(at: now) else { return }
        checkMethodErrorRates()
        for node in nodes {
            node.state.closePickSecond()
            snapshots.recentPicks[node.index] = node.state.recentPicks
        }
    }
}

// What the pool's state implies, derived where it is read.
extension PoolCore {
    /// Once stopped, nothing new starts: no heartbeat, call, reconnect or alert.
    var stopped: Bool { schedule.stopped }
    var instanceName: String { config.instanceName }
    var now: NIODeadline { loop.now }
    var ticksPerMaintenance: Int { max(1, Int(Self.maintenanceInterval.nanoseconds / max(1, options.tick.nanoseconds))) }
}

@available(*, unavailable)
extension PoolCore: Sendable {}
