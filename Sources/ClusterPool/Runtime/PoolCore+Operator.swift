import ClusterModel
import NIOCore

extension PoolCore {
    /// Applies an operator command. Refusals say why; every outcome is logged and audited.
    func execute(_ command: OperatorCommand, user: String) -> OperatorResult {
        let before = operatorState()
        let result = apply(command, recordUndo: true)
        finish(command, user: user, before: before, result: result)
        return result
    }

    private func finish(_ command: OperatorCommand, user: String, before: OperatorState, result: OperatorResult) {
        let node = command.node.flatMap { nodeIndex[$0] }.map { nodes[$0] }
        switch result {
        case let .done(text): log(.notice, .operatorAction, node: node, "\(user): \(text)")
        case let .refused(reason): log(.warning, .operatorAction, node: node, "\(user): \(command) refused: \(reason)")
        }
        let after = operatorState()
        let known = command.node.map { nodeIndex[$0] != nil } ?? false
        if result.isDone {
            do {
                try persistence.save(after)
            } catch {
                log(.error, .config, node: nil, "cannot save operator state: \(error)")
            }
        }
        do {
            try persistence.audit(AuditRecord(time: options.wallClock(), user: user, action: command.description,
                                              node: command.node, before: known ? before.describe(command.node) : nil,
                                              after: known ? after.describe(command.node) : nil, result: result.description))
        } catch {
            log(.error, .config, node: nil, "cannot append to the audit log: \(error)")
        }
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
        node.dirty = true
        switch command {
        case let .drain(_, force):
            guard !node.operatorDrained else { return .refused("\(name) is already drained") }
            let left = nodes.filter { $0.index != index && $0.isRoutableHealth }.count
            if left < config.minRoutable && !force {
                return .refused("draining \(name) would leave \(left) routable node\(left == 1 ? "" : "s"), fewer than min_routable \(config.minRoutable)")
            }
            node.operatorDrained = true
            if recordUndo { undoStack.append(("drain \(name)", .undrain(node: name))) }
            updateHealth(node, reason: "drained by operator")
            return .done("drained \(name); \(node.inFlight) call\(node.inFlight == 1 ? "" : "s") in flight will finish")
        case .undrain:
            guard node.operatorDrained else { return .refused("\(name) is not drained") }
            node.operatorDrained = false
            if recordUndo { undoStack.append(("undrain \(name)", .drain(node: name, force: true))) }
            updateHealth(node, reason: "undrained by operator")
            return .done("undrained \(name)")
        case let .setWeight(_, weight):
            guard OperatorCommand.weightRange.contains(weight) else { return .refused("weight must be from \(OperatorCommand.weightRange.lowerBound) to \(OperatorCommand.weightRange.upperBound) (got \(weight))") }
            let old = node.weight
            guard old != weight else { return .refused("\(name) already has weight \(weight)") }
            node.weight = weight
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
            drained: nodes.filter(\.operatorDrained).map(\.config.name).sorted(),
            weights: Dictionary(uniqueKeysWithValues: nodes.filter { $0.weight != $0.config.weight }.map { ($0.config.name, $0.weight) }))
    }

    func restoreOperatorState() {
        let state: OperatorState?
        do {
            state = try persistence.load()
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
            nodes[index].operatorDrained = true
        }
        for (name, weight) in state.weights {
            guard let index = nodeIndex[name] else {
                log(.warning, .config, node: nil, "state file sets a weight for \"\(name)\", which is not in the config; ignored")
                continue
            }
            guard OperatorCommand.weightRange.contains(weight) else {
                log(.warning, .config, node: nil, "state file sets weight \(weight) for \"\(name)\", outside \(OperatorCommand.weightRange.lowerBound)–\(OperatorCommand.weightRange.upperBound); ignored")
                continue
            }
            nodes[index].weight = weight
        }
        if !state.drained.isEmpty || !state.weights.isEmpty {
            log(.notice, .config, node: nil, "restored operator state: \(state.drained.count) drained, \(state.weights.count) weight change(s)")
        }
    }
}
