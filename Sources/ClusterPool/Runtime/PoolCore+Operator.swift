import ClusterModel
import NIOCore

extension PoolCore {
    /// Applies an operator command at once (no new call goes to a drained node from this moment),
    /// then makes it durable off the loop; the result comes once the state file and audit log
    /// have it. Refusals say why; every outcome is logged and audited, in order.
    func execute(_ command: OperatorCommand, user: String) -> EventLoopFuture<OperatorResult> {
        let before = operatorState()
        // The node the command acts on; for an undo, the one the undone action changed.
        let target = command.node ?? (command == .undo ? undoStack.last?.inverse.node : nil)
        let result = apply(command, recordUndo: true)
        let node = target.flatMap { nodeIndex[$0] }.map { nodes[$0] }
        switch result {
        case let .done(text): log(.notice, .operatorAction, node: node, "\(user): \(text)")
        case let .refused(reason): log(.warning, .operatorAction, node: node, "\(user): \(command) refused: \(reason)")
        }
        let after = operatorState()
        let known = node != nil
        let audit = AuditRecord(time: options.wallClock(), user: user, action: command.description, node: target,
                                before: known ? before.describe(target) : nil, after: known ? after.describe(target) : nil,
                                result: result.description)
        return operatorLog.commit(result.isDone ? after : nil, audit: audit).assumeIsolated().map { result }.flatMapError { [self] error in
            log(.error, .config, node: nil, "\(error)")
            // The action stands (traffic already moved); the operator must know what was not kept.
            guard case let .done(text) = result else { return loop.makeSucceededFuture(result) }
            let saved = (error as? OperatorStoreFailure)?.stateSaved ?? false
            return loop.makeSucceededFuture(.done(saved
                ? "\(text) — saved, but not audited (\(error))"
                : "\(text) — but NOT saved (\(error)); it will not survive a restart"))
        }.nonisolated()
    }

    private func apply(_ command: OperatorCommand, recordUndo: Bool) -> OperatorResult {
        if case .undo = command {
            guard let last = undoStack.popLast() else { return .refused("nothing to undo") }
            let result = apply(last.inverse, recordUndo: false)
            return result.isDone ? .done("undid \(last.description)") : result
        }
        guard let name = command.node, let index = nodeIndex[name] else {
            let hint = command.node.flatMap { NameSuggestion.closest(to: $0, in: Array(nodeIndex.keys)) }.map { " (did you mean \($0)?)" } ?? ""
            return .refused("no node named \"\(command.node ?? "")\"\(hint)")
        }
        let node = nodes[index]
        let state = node.state
        switch command {
        case let .drain(_, force):
            guard !state.drained else { return .refused("\(name) is already drained") }
            let left = nodes.filter { $0.index != index && $0.state.isRoutable }.count
            if left < config.minRoutable && !force {
                return .refused("draining \(name) would leave \(left) routable node\(left == 1 ? "" : "s"), fewer than min_routable \(config.minRoutable)")
            }
            apply(node.state.apply(.drain, at: now), to: node)
            if recordUndo { undoStack.append(("drain \(name)", .undrain(node: name))) }
            return .done("drained \(name); \(state.inFlight) call\(state.inFlight == 1 ? "" : "s") in flight will finish")
        case .undrain:
            guard state.drained else { return .refused("\(name) is not drained") }
            apply(node.state.apply(.undrain, at: now), to: node)
            if recordUndo { undoStack.append(("undrain \(name)", .drain(node: name, force: true))) }
            return .done("undrained \(name)")
        case let .setWeight(_, weight):
            let range = OperatorCommand.weightRange
            guard range.contains(weight) else { return .refused("weight must be from \(range.lowerBound) to \(range.upperBound) (got \(weight))") }
            let old = state.weight
            guard old != weight else { return .refused("\(name) already has weight \(weight)") }
            apply(node.state.apply(.weight(weight), at: now), to: node)
            if recordUndo { undoStack.append(("weight \(name) \(old) → \(weight)", .setWeight(node: name, weight: old))) }
            return .done("weight of \(name) \(old) → \(weight)" + (weight == 0 ? " (no new traffic; not drained)" : ""))
        case .resetWeight:
            return apply(.setWeight(node: name, weight: node.config.weight), recordUndo: recordUndo)
        case .undo:
            preconditionFailure("handled above")
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
            guard let index = nodeIndex[name] else {
                log(.warning, .config, node: nil, "state file drains \"\(name)\", which is not in the config; ignored")
                continue
            }
            apply(nodes[index].state.apply(.drain, at: now), to: nodes[index])
        }
        let range = OperatorCommand.weightRange
        for (name, weight) in state.weights.sorted(by: { $0.key < $1.key }) {
            guard let index = nodeIndex[name] else {
                log(.warning, .config, node: nil, "state file sets a weight for \"\(name)\", which is not in the config; ignored")
                continue
            }
            guard range.contains(weight) else {
                log(.warning, .config, node: nil, "state file sets weight \(weight) for \"\(name)\", outside \(OperatorCommand.weightRangeText); ignored")
                continue
            }
            apply(nodes[index].state.apply(.weight(weight), at: now), to: nodes[index])
        }
        if !state.drained.isEmpty || !state.weights.isEmpty {
            log(.notice, .config, node: nil, "restored operator state: \(state.drained.count) drained, \(state.weights.count) weight change(s)")
        }
    }
}
