import ClusterModel
import Histogram
import NIOCore
import ThriftWire

/// The pool's mutable state and the logic that changes it. Confined to one event loop — the
/// loop every node connection also lives on — so no state needs a lock; the `ClusterPool`
/// facade hops onto the loop for every public operation.
final class PoolCore {
    let config: ClusterConfig
    let loop: any EventLoop
    let options: PoolOptions
    let nodes: [NodeRuntime]
    let nodeIndex: [String: Int]
    var balancer: any LoadBalancer
    var random: SeededGenerator
    var retryBudget: RetryBudget
    let retryPolicy: RetryPolicy
    var outliers: OutlierEjector
    var events: EventLog
    var pauseGuard: LocalPauseGuard
    /// Heartbeats sent before this moment are not held against nodes (the pool itself paused).
    var pauseEndedAt: NIODeadline?
    var undoStack: [(description: String, inverse: OperatorCommand)] = []
    var persistence: OperatorPersistence
    var stopped = false
    /// The one timer of the pool: heartbeats due and call deadlines, bucketed by tick.
    var wheel: TimerWheel<WheelEntry>
    var tickTask: Scheduled<Void>?
    var nextTick: NIODeadline?
    var ticks = 0

    var callsTotal = 0
    var retriesTotal = 0
    var callRate = 0.0
    var retryRate = 0.0
    private var lastRateTick: NIODeadline?
    private var lastCallsTotal = 0
    private var lastRetriesTotal = 0

    /// How late heartbeats ran against their schedule, in microseconds (for `make bench`).
    var lateness = Histogram<UInt32>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .two)
    var heartbeatsSent = 0

    /// The node snapshots of the last snapshot built, updated in place: the array is copied
    /// once after each publish (at its first change, as readers share it) instead of every
    /// element being copied out and back in every build.
    var nodeSnapshots: [NodeSnapshot]
    /// Whether a reader asked for a snapshot since the last one was built (set by the facade):
    /// with nobody reading, no snapshot is built at all.
    var snapshotWanted: () -> Bool = { false }
    /// Until when someone is taken to be reading snapshots (a second after the last publish
    /// they asked for): meanwhile a node's snapshot is rebuilt right after each heartbeat,
    /// while its figures are in cache, instead of all together in the next build.
    var readerActiveUntil: NIODeadline?
    var nextPublishDue: NIODeadline?
    var publish: (ClusterSnapshot) -> Void = { _ in }

    init(config: ClusterConfig, loop: any EventLoop, options: PoolOptions) throws {
        self.config = config
        self.loop = loop
        self.options = options
        nodes = config.nodes.enumerated().map { NodeRuntime(index: $0, config: $1, health: config.health) }
        nodeIndex = Dictionary(uniqueKeysWithValues: config.nodes.enumerated().map { ($1.name, $0) })
        balancer = config.balancer.make()
        random = SeededGenerator(seed: options.seed)
        retryBudget = try RetryBudget(ttl: config.retry.budgetTTL, minRetriesPerSecond: config.retry.budgetMinPerSecond,
                                      percentCanRetry: config.retry.budgetPercent / 100)
        retryPolicy = RetryPolicy(maxAttempts: config.retry.maxAttempts)
        outliers = OutlierEjector(nodeCount: config.nodes.count, consecutiveFailures: config.outlier.consecutiveFailures,
                                  baseEjection: config.outlier.baseEjection, maxEjection: config.outlier.maxEjection,
                                  maxEjectedShare: config.outlier.maxEjectedPercent / 100)
        events = EventLog(capacity: config.eventLogCapacity)
        pauseGuard = LocalPauseGuard(expectedTick: options.tick)
        wheel = TimerWheel(tick: options.tick)
        persistence = OperatorPersistence(stateFile: config.stateFile, auditLog: config.auditLog)
        // Placeholders: every node starts dirty, so the first build replaces them all.
        nodeSnapshots = config.nodes.map { NodeSnapshot(name: $0.name, address: $0.address.description, health: .unknown) }
    }

    var now: NIODeadline { .now() }

    func log(_ severity: EventSeverity, _ kind: PoolEvent.Kind, node: NodeRuntime?, _ message: String) {
        events.append(time: options.wallClock(), node: node?.config.name, severity: severity, kind: kind, message: message)
    }

    // MARK: lifecycle

    func start() {
        restoreOperatorState()
        let start = now
        for node in nodes {
            connect(node)
            // Spread first heartbeats evenly over the interval: no thundering herd. (Bunching
            // them into 20 slots to share wake-ups was measured: no gain.)
            let offset = node.settings.heartbeatInterval.nanoseconds * Int64(node.index) / Int64(max(1, nodes.count))
            scheduleHeartbeat(node, at: start + .nanoseconds(offset) + node.settings.heartbeatInterval)
        }
        // The guard's reference point: a pause before the first tick must count too.
        _ = pauseGuard.tick(at: start)
        scheduleTick(at: start + options.tick)
        log(.info, .config, node: nil, "pool started: \(nodes.count) nodes, balancer \(balancer.name)")
    }

    func stop() -> EventLoopFuture<Void> {
        stopped = true
        tickTask?.cancel()
        var closing: [EventLoopFuture<Void>] = []
        for node in nodes {
            node.reconnectTask?.cancel()
            if let connection = node.liveConnection {
                closing.append(connection.channel.close().recover { _ in })
            }
            node.connection = .idle
        }
        return EventLoopFuture.andAllComplete(closing, on: loop)
    }

    /// Ticks at a fixed cadence (deadline after deadline, not delay after delay).
    private func scheduleTick(at deadline: NIODeadline) {
        guard !stopped else { return }
        nextTick = deadline
        tickTask = loop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            onTick()
            let now = self.now
            var next = deadline + options.tick
            if next <= now { next = now + options.tick }
            scheduleTick(at: next)
        }
    }

    private func onTick() {
        let now = self.now
        let due = wheel.takeDue(at: now)
        // Expiries first: a heartbeat that just timed out must not make the next one look
        // outstanding and be skipped.
        for case let .expire(index) in due { nodes[index].liveConnection?.expire(now: now) }
        for case let .heartbeat(index) in due { heartbeatDue(nodes[index]) }
        ticks += 1
        if ticks % ticksPerMaintenance == 0 { maintain() }
    }

    /// Maintenance runs every 100 ms whatever the tick.
    var ticksPerMaintenance: Int { max(1, Int(100_000_000 / max(1, options.tick.nanoseconds))) }

    // MARK: health bookkeeping

    func updateHealth(_ node: NodeRuntime, reason: String? = nil) {
        let new = node.evaluateHealth(at: now)
        guard new != node.health else { return }
        let old = node.health
        node.health = new
        node.dirty = true
        let severity: EventSeverity
        switch new {
        case .down: severity = .error
        case .suspect: severity = .warning
        case .degraded, .draining, .starting: severity = .notice
        case .up, .unknown: severity = .info
        }
        log(severity, .stateChange, node: node, "\(old.rawValue) → \(new.rawValue)" + (reason.map { ": \($0)" } ?? ""))
    }

    /// Every 100 ms: pause detection, rates, suspicion, ejection expiry, snapshots.
    func maintain() {
        let now = self.now
        if let pause = pauseGuard.tick(at: now) {
            pauseEndedAt = now
            log(.notice, .config, node: nil, "the pool itself was paused for \(pause.nanoseconds / 1_000_000) ms; re-checking nodes instead of convicting them")
            for node in nodes {
                node.phi.rebase(at: now)
                node.heartbeatOutstanding = false
                sendHeartbeat(node)
            }
        }
        if ticks % (ticksPerMaintenance * 10) == 0 {
            updateRates(now)
            for node in nodes {
                updateHealth(node)
                if let until = outliers.ejectedUntil(node.index), now >= until, node.lastError != nil {
                    node.dirty = true
                }
            }
        }
        publishSnapshotIfWanted()
    }

    private func updateRates(_ now: NIODeadline) {
        defer {
            lastRateTick = now
            lastCallsTotal = callsTotal
            lastRetriesTotal = retriesTotal
        }
        guard let last = lastRateTick else { return }
        let seconds = Double((now - last).nanoseconds) / 1e9
        guard seconds > 0 else { return }
        // EWMA over ~3 s: steady enough to read, quick enough to follow a drain.
        let alpha = min(1, seconds / 3)
        callRate += alpha * (Double(callsTotal - lastCallsTotal) / seconds - callRate)
        retryRate += alpha * (Double(retriesTotal - lastRetriesTotal) / seconds - retryRate)
        for node in nodes {
            let rate = Double(node.picks) / seconds
            node.picks = 0
            let updated = node.pickRate + alpha * (rate - node.pickRate)
            if abs(updated - node.pickRate) > 1e-9 { node.dirty = true }
            node.pickRate = updated
        }
    }
}

/// What the pool's timer wheel holds.
enum WheelEntry {
    /// The node's next heartbeat is due.
    case heartbeat(Int)
    /// A call or heartbeat on the node may have passed its deadline.
    case expire(Int)
}

@available(*, unavailable)
extension PoolCore: Sendable {}
