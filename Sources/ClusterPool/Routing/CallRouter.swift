import ClusterModel
import NIOCore
import ThriftWire

/// One event loop's balanced calls: it picks a node for each call with the pool's balancer
/// rules, over the last `RoutingView` the pool published, and carries the call over its own
/// connections to the node, retries included. Every figure it moves goes to the pool as
/// `CallReport`s. The pool's loop has one (embedded calls, a proxy's connections on that loop);
/// a proxy with `[proxy] threads` above 1 has one on each of its other loops, so a call crosses
/// no thread between client, balancer and node.
///
/// What a router decides alone, for the calls it routes: calls in flight and peak-EWMA cost per
/// node (its own calls), the panic-mode probe (one at a time per loop), the retry budget (per
/// loop, with the config's ratio and floor), the balancer's own state (round robin's turn).
final class CallRouter {
    let loop: any EventLoop
    let connector: PoolCore.Connector
    let tick: TimeAmount
    private(set) var view: RoutingView
    /// Aligned with `view.nodes`.
    private(set) var nodes: [RoutedNode] = []
    /// Nodes the pool no longer has, until their calls in flight are answered.
    private var retiring: [RoutedNode] = []
    var balancer: any LoadBalancer
    var retry: any RetryRule
    var budget: any RetryBudgetRule
    var random: SeededGenerator
    /// Call deadlines: the node's connections holding a call past it fail it then.
    var deadlines: TimerWheel<RoutedNode>
    private var ticks = 0
    private var tickTask: Scheduled<Void>?
    let report: CallReportSink

    init(loop: any EventLoop, view: RoutingView, seed: UInt64, tick: TimeAmount, connector: @escaping PoolCore.Connector,
         report: @escaping CallReportSink) throws {
        self.loop = loop
        self.view = view
        self.tick = tick
        self.connector = connector
        self.report = report
        random = SeededGenerator(seed: seed)
        balancer = view.config.balancer.make()
        (retry, budget) = try Self.retryRules(view.config)
        deadlines = TimerWheel(tick: tick)
        apply(view)
    }

    private static func retryRules(_ config: ClusterConfig) throws -> (any RetryRule, any RetryBudgetRule) {
        let policies = try PoolPolicies.make(config, maintenanceInterval: PoolCore.maintenanceInterval)
        return (policies.retry, policies.budget)
    }

    var now: NIODeadline { loop.now }

    /// Takes a view the pool published. Nodes that stay (by id) keep their connections and
    /// figures; nodes that left retire (their calls finish); a new balancer or retry policy only
    /// when the config's changed.
    func apply(_ new: RoutingView) {
        let old = view
        view = new
        if new.config.balancer != old.config.balancer { balancer = new.config.balancer.make() }
        if new.config.retry != old.config.retry, let rules = try? Self.retryRules(new.config) { (retry, budget) = rules }
        if new.stopped && !old.stopped { stop() }
        if old.stopped { view.stopped = true }
        guard new.layout != old.layout || nodes.count != new.nodes.count else { return }
        // A balancer's history (round robin's turn) is by place: new places, a fresh start.
        balancer = new.config.balancer.make()
        var kept: [Int: RoutedNode] = [:]
        for node in nodes { kept[node.id] = node }
        nodes = new.nodes.map { entry in
            if let node = kept.removeValue(forKey: entry.id) { return node }
            return RoutedNode(id: entry.id, config: entry.config)
        }
        for node in kept.values {
            node.retire()
            retiring.append(node)
        }
    }

    // MARK: the clock

    /// Runs `tick` at the pool's tick on a loop of its own (the pool's router is ticked by the pool).
    func startTicking() {
        let next = now + tick
        tickTask = loop.assumeIsolated().scheduleTask(deadline: next) { [self] in
            self.tick(at: now)
            if !view.stopped || !retiring.isEmpty { startTicking() }
        }
    }

    /// Fails calls past their deadline; every second closes connections unused for a minute and
    /// lets retired nodes whose connections are all closed go.
    func tick(at now: NIODeadline) {
        for node in deadlines.takeDue(at: now) { node.calls.expire(now: now) }
        ticks += 1
        guard ticks % max(1, Int(1_000_000_000 / max(1, tick.nanoseconds))) == 0 else { return }
        let idleCutoff = now - Self.callConnectionIdleLimit
        for node in nodes { node.calls.closeIdle(before: idleCutoff) }
        for node in retiring { node.calls.expire(now: now) }
        retiring.removeAll { $0.calls.isQuiet }
    }

    /// Asks for a check of `node`'s calls a tick after `deadline`: one per node and tick, however
    /// many calls fall due in it (a check looks at every call of the node).
    func checkDeadline(of node: RoutedNode, at deadline: NIODeadline) {
        let due = deadline + tick
        let slot = Int64(due.uptimeNanoseconds / UInt64(tick.nanoseconds))
        guard slot != node.lastDeadlineSlot else { return }
        node.lastDeadlineSlot = slot
        deadlines.schedule(node, at: due)
    }

    /// Call connections unused for this long are closed.
    static let callConnectionIdleLimit = TimeAmount.seconds(60)

    /// Closes every connection of this loop; calls waiting for one fail.
    @discardableResult
    func stop() -> [EventLoopFuture<Void>] {
        // First: a call failing as its connection closes is not retried.
        view.stopped = true
        tickTask?.cancel()
        var closing: [EventLoopFuture<Void>] = []
        for node in nodes + retiring {
            node.retire()
            closing += node.calls.closeAll(failing: ThriftClientError.notSent)
        }
        retiring.removeAll()
        return closing
    }
}

@available(*, unavailable)
extension CallRouter: Sendable {}
