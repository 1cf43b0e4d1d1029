import ClusterModel
import NIOCore

extension PoolCore {
    /// Applies an operator command at once (no new call goes to a drained node from this moment),
    /// then makes it durable off the loop; the result comes once the state file and audit log
    /// have it. Refusals say why; every outcome is logged and audited, in order.
    ///
    /// `localOnly`: made on this instance alone while the shared store is unreachable (marked so
    /// in the event, the audit line and the node's last change).
    func execute(_ request: OperatorRequest, user: String, localOnly: Bool = false) -> EventLoopFuture<OperatorResult> {
        let command = request.command
        let before = operatorState()
        // The node the command acted on; for an undo, the one the undone action changed.
        // An action made here only while the shared store is away is undone there, not here.
        let (result, target) = command == .undo ? undo(for: user) : (decide(command, user: user, recordUndo: !localOnly), command.node)
        let node = target.flatMap { lookup.byName[$0] }.map { nodes[$0] }
        if result.isDone, let node {
            node.state.noteChange(OperatorChange(user: user, instance: instanceName, time: options.wallClock(), action: command.description,
                                                 reason: request.reason, localOnly: localOnly))
        }
        let after = operatorState()
        let marked = localOnly ? " (here only: state store unreachable)" : ""
        let logged: OperatorResult = if case let .done(text) = result { .done(text + marked) } else { result }
        let audit = recordOperatorAction(command.description + marked, result: logged, user: user,
                                         node: target, before: node != nil ? before.describe(target) : nil,
                                         after: node != nil ? after.describe(target) : nil)
        metrics.operatorAction(command, done: result.isDone)
        return ledger.log.commit(result.isDone ? after : nil, audit: audit).assumeIsolated().map { result }.flatMapError { [self] error in
            log(.error, .config, node: nil, "\(error)")
            // The action stands (traffic already moved); the operator must know what was not kept.
            guard case let .done(text) = result else { return loop.makeSucceededFuture(result) }
            let saved = (error as? OperatorStoreFailure)?.stateSaved ?? false
            return loop.makeSucceededFuture(.done(saved
                ? "\(text) — saved, but not audited (\(error))"
                : "\(text) — but NOT saved (\(error)); it will not survive a restart"))
        }.nonisolated()
    }

    /// The event of an operator action, and its audit record: who, and on which instance (with
    /// several instances — serve beside each client group, dashboards attached — the place an
    /// action came from matters).
    func recordOperatorAction(_ action: String, result: OperatorResult, user: String, node target: String?,
                              before: String?, after: String?) -> AuditRecord {
        let node = target.flatMap { lookup.byName[$0] }.map { nodes[$0] }
        switch result {
        case let .done(text): log(.notice, .operatorAction, node: node, "\(OperatorIdentity.acting(user, on: instanceName)): \(text)")
        case let .refused(reason): log(.warning, .operatorAction, node: node, "\(OperatorIdentity.acting(user, on: instanceName)): \(action) refused: \(reason)")
        }
        return AuditRecord(time: options.wallClock(), user: user, instance: instanceName, action: action, node: target,
                           before: before, after: after, result: result.description)
    }

    /// Reverts `user`'s own last action, unless someone else changed that node since; the undo
    /// is decided by the rules as the inverse command (an undo that drains again is held to the
    /// floor as any drain is). Returns the node it acted on.
    private func undo(for user: String) -> (OperatorResult, String?) {
        let index: Int, entry: UndoHistory<OperatorLedger.Revert>.Entry
        switch ledger.history.last(of: user) {
        case let .failure(refusal): return (.refused(refusal.reason), nil)
        case let .success(found): (index, entry) = found
        }
        if let latest = ledger.changes[entry.node], latest.count != entry.revert.change {
            return (.refused("cannot undo \"\(entry.description)\": \(OperatorIdentity.acting(latest.user, on: instanceName)) changed \(entry.node) since (\(latest.action))"), entry.node)
        }
        let result = decide(entry.revert.inverse, user: user, recordUndo: false)
        if case let .refused(why) = result { return (.refused("cannot undo \"\(entry.description)\": \(why)"), entry.node) }
        ledger.history.remove(at: index)
        return (.done("undid \(entry.description)"), entry.node)
    }

    /// Decides `command` by the operator rules and, when allowed, carries it out at once.
    private func decide(_ command: OperatorCommand, user: String, recordUndo: Bool) -> OperatorResult {
        switch OperatorRules.decide(command, nodes: operatorViews(), settings: config.ruleSettings) {
        case let .refuse(reason), let .belowFloor(reason):
            return .refused(reason)
        case let .change(name, drained, weight, action, _):
            let node = nodes[lookup.byName[name]!]
            let (wasDrained, oldWeight) = (node.state.drained, node.state.weight)
            applyOperator(to: node, drained: drained, weight: weight)
            // The inverse is decided by the same rules when undone.
            let inverse: OperatorCommand = drained != wasDrained ? (wasDrained ? .drain(node: name) : .undrain(node: name))
                : .setWeight(node: name, weight: oldWeight)
            let change = ledger.changed(name, by: user, action)
            if recordUndo {
                ledger.history.append(.init(user: user, node: name, description: action, revert: .init(inverse: inverse, change: change)))
            }
            if drained && !wasDrained {
                let inFlight = node.state.inFlight
                return .done("drained \(name); \(inFlight) call\(inFlight == 1 ? "" : "s") in flight will finish")
            }
            if !drained && wasDrained { return .done("undrained \(name)") }
            return .done("weight of \(name) \(oldWeight) → \(weight)" + (weight == node.config.weight && command.isReset ? " (configured)" : "")
                         + (weight == 0 ? " (no new traffic; not drained)" : ""))
        }
    }

    /// The one way an operator's drain or weight reaches a node: a local decision, an undo, the
    /// shared store's state, the state file at start. From this moment no new call goes to a
    /// node taken out of rotation.
    func applyOperator(to node: NodeLink, drained: Bool, weight: Int) {
        if node.state.drained != drained { apply(node.state.apply(drained ? .drain : .undrain, at: now), to: node) }
        if node.state.weight != weight { apply(node.state.apply(.weight(weight), at: now), to: node) }
    }

    /// Every node as the operator rules see it.
    func operatorViews() -> [OperatorNodeView] {
        let now = self.now
        return nodes.map { node in
            OperatorNodeView(name: node.config.name, serving: node.state.serving, drained: node.state.drained, weight: node.state.weight,
                             configuredWeight: node.config.weight, ejected: policies.ejection.isEjected(node.index, at: now),
                             lastChange: node.state.lastChange)
        }
    }

    func operatorState() -> OperatorState {
        OperatorState(
            drained: nodes.filter(\.state.drained).map(\.config.name).sorted(),
            weights: Dictionary(uniqueKeysWithValues: nodes.filter { $0.state.weight != $0.config.weight }.map { ($0.config.name, $0.state.weight) }))
    }

    /// Applies the saved state, read off the loop before the pool started, before any heartbeat
    /// or call: a drained node never takes a call after a restart.
    func restoreOperatorState(_ loaded: Result<OperatorState?, any Error>) {
        let state: OperatorState?
        do {
            state = try loaded.get()
        } catch {
            log(.error, .config, node: nil, "cannot read the operator state file: \(error); starting without drains or weight changes")
            return
        }
        guard let state else { return }
        for name in state.drained {
            guard let index = lookup.byName[name] else {
                log(.warning, .config, node: nil, "state file drains \"\(name)\", which is not in the config; ignored")
                continue
            }
            applyOperator(to: nodes[index], drained: true, weight: nodes[index].state.weight)
        }
        let range = OperatorCommand.weightRange
        for (name, weight) in state.weights.sorted(by: { $0.key < $1.key }) {
            guard let index = lookup.byName[name] else {
                log(.warning, .config, node: nil, "state file sets a weight for \"\(name)\", which is not in the config; ignored")
                continue
            }
            guard range.contains(weight) else {
                log(.warning, .config, node: nil, "state file sets weight \(weight) for \"\(name)\", outside \(OperatorCommand.weightRangeText); ignored")
                continue
            }
            applyOperator(to: nodes[index], drained: nodes[index].state.drained, weight: weight)
        }
        if !state.drained.isEmpty || !state.weights.isEmpty {
            log(.notice, .config, node: nil, "restored operator state: \(state.drained.count) drained, \(state.weights.count) weight change(s)")
        }
    }
}
