import ClusterModel
import NIOCore

extension PoolCore {
    /// The routing facts as they are now.
    func routingView() -> RoutingView {
        let now = self.now, ejection = policies.ejection
        return RoutingView(
            generation: published.generation, layout: published.layout,
            nodes: nodes.map { node in
                let state = node.state
                return RoutingView.Node(id: node.id, config: node.config, weight: state.weight, drained: state.drained,
                                        inRotation: state.inRotation, health: state.health, serving: state.serving,
                                        ejectedUntil: ejection.ejectedUntil(node.index).flatMap { $0 > now ? $0 : nil },
                                        // The state's link, not the connection object: an HTTP node
                                        // that closes after each answer stays connected between beats.
                                        connected: state.connected)
            },
            all: lookup.all, byGroup: lookup.byGroup, config: config, forwardedCallBudget: ClusterPool.forwardedCallBudget(config),
            tls: tls, routingHeld: ledger.routingHeld, stopped: stopped)
    }

    /// Gives every router the facts as they are now: the pool's own at once, the others on their
    /// loops. The futures complete once each has it: an operator's drain is answered only then,
    /// so no call starts on a drained node after the answer, whichever loop takes it.
    @discardableResult
    func publishRouting() -> [EventLoopFuture<Void>] {
        changes.routingMoved = false
        published.generation += 1
        let view = routingView()
        router.apply(view)
        return published.remote.map { remote in
            remote.loop.submit { remote.router.value.apply(view) }
        }
    }

    /// Runs an operator request, answered once every router routes by its outcome: no call starts
    /// on a drained node after the drain's answer, whichever loop takes it.
    func executeEverywhere(_ request: OperatorRequest, user: String, localOnly: Bool = false) -> EventLoopFuture<OperatorResult> {
        let result = execute(request, user: user, localOnly: localOnly)
        let everyRouter = EventLoopFuture.andAllComplete(publishRouting(), on: loop)
        return result.flatMap { result in everyRouter.map { result } }
    }

    /// Routes a call on the pool's loop, with the facts as they are now.
    func startCall(_ call: PendingCall) {
        publishRoutingIfMoved()
        router.start(call)
    }

    /// Publishes if a fact moved since the last view: at every tick, and before a call on this loop.
    func publishRoutingIfMoved() {
        if changes.routingMoved { publishRouting() }
    }

    /// The node with this id, retiring ones too (a router's report may come after a reload).
    func node(id: Int) -> NodeLink? {
        ids.byID[id]
    }
}
