import ClusterModel
import NIOCore

// The pool's side of a shared operator state: an authority decides commands and feeds the
// shared truth back in (`adoptShared`), and tells readers how reachable the store is.

extension ClusterPool {
    /// Who `execute` attributes actions to when no user is given (`PoolOptions.user`).
    public var defaultUser: String { options.user }

    /// Names this instance in events, the audit log and the shared state.
    public var instanceName: String { config.instanceName }

    /// Routes `execute` through `authority` from now on.
    public func install(_ authority: any OperatorAuthority) {
        shared.withLockedValue { $0.authority = authority }
    }

    /// Back to deciding here (the authority stopped); breaks the pool ↔ authority reference.
    public func removeAuthority() {
        shared.withLockedValue { $0.authority = nil }
    }

    /// While `reason` is set no call is routed (they fail as "no routable node", with the reason):
    /// an instance that has never read the shared state does not know which nodes are drained.
    /// May be called before `start()`.
    public func holdRouting(_ reason: String?) async {
        shared.withLockedValue { $0.routingHeld = reason }
        // Returns once every loop routes by it.
        let published = try? await eventLoop.submit { [self] () -> EventLoopFuture<Void>? in
            guard let core = core.value else { return nil }
            core.ledger.routingHeld = reason
            return EventLoopFuture.andAllComplete(core.publishRouting(), on: eventLoop)
        }.get()
        try? await published?.get()
    }

    /// Makes every node's drain and weight what the shared store says (a node it does not name is
    /// serving at its configured weight), at once on the loop. The changes in `announcing` came
    /// from elsewhere and are logged as events, with who made them from which instance.
    /// Returns once every loop routes by it (an etcd operator's answer waits for this).
    public func adoptShared(_ state: [String: SharedNodeState], announcing: [String: OperatorChange] = [:]) async {
        let published = try? await eventLoop.submit { [self] () -> EventLoopFuture<Void>? in
            guard let core = core.value else { return nil }
            core.adoptShared(state, announcing: announcing)
            core.snapshots.publish(core.buildSnapshot())
            return EventLoopFuture.andAllComplete(core.publishRouting(), on: eventLoop)
        }.get()
        try? await published?.get()
    }

    /// This instance's view of every node (its own drains and weights, which the shared state's
    /// replace), for the operator rules to decide against the shared state.
    public func decisionView() async -> [OperatorNodeView] {
        (try? await eventLoop.submit { [self] in core.value?.operatorViews() ?? [] }.get()) ?? []
    }

    /// Logs and audits an operator action the authority decided (locally: the JSONL audit stays).
    /// `before` and `after` describe the node's state ("drained, weight 50").
    public func recordOperatorAction(_ action: String, result: OperatorResult, user: String, node: String?,
                                     before: String?, after: String?, command: OperatorCommand) async {
        let written = try? await eventLoop.submit { [self] () -> EventLoopFuture<Void>? in
            guard let core = core.value else { return nil }
            let audit = core.recordOperatorAction(action, result: result, user: user, node: node, before: before, after: after)
            core.metrics.operatorAction(command, done: result.isDone)
            return core.ledger.log.commit(nil, audit: audit).assumeIsolated().recover { error in
                core.log(.error, .config, node: nil, "\(error)")
            }.nonisolated()
        }.get()
        try? await written?.get()
    }

    /// What readers see of the store (the dashboard's warning line, `state_store` in the JSON),
    /// and what `undo` would revert for each operator.
    public func showStateStore(_ status: StateStoreStatus?, undoable: [String: String]) async {
        try? await eventLoop.submit { [self] in
            guard let core = core.value else { return }
            core.ledger.storeStatus = OperatorLedger.StoreStatusShown(status: status, undoable: undoable)
            core.snapshots.publish(core.buildSnapshot())
        }.get()
    }
}

extension PoolCore {
    func adoptShared(_ state: [String: SharedNodeState], announcing: [String: OperatorChange]) {
        ledger.sharedState = state
        for node in nodes { adoptShared(state[node.config.name], into: node) }
        for (name, change) in announcing.sorted(by: { $0.key < $1.key }) {
            log(.notice, .operatorAction, nodeName: lookup.byName[name] != nil ? name : nil, "\(OperatorIdentity.acting(change.user, on: change.instance)): \(change.action)"
                + (change.reason.map { " (\($0))" } ?? "") + " (shared state)")
        }
    }

    /// After a reload: nodes added take what the shared store says of them.
    func reapplySharedState() {
        guard let state = ledger.sharedState else { return }
        for node in nodes { adoptShared(state[node.config.name], into: node) }
    }

    private func adoptShared(_ shared: SharedNodeState?, into node: NodeLink) {
        applyOperator(to: node, drained: shared?.drained ?? false, weight: shared?.weight ?? node.config.weight)
        node.state.noteChange(shared?.change)
    }
}
