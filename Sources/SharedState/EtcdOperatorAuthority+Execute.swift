import ClusterModel
import ClusterPool
import EtcdClient

extension EtcdOperatorAuthority {
    /// How many times a decision is made again on a fresh read after another instance's write
    /// got in first.
    static let decisionAttempts = 5

    public func execute(_ request: OperatorRequest, user: String) async -> OperatorResult {
        if unreachableSince != nil {
            guard request.forceLocal else { return await refuse(request.command, unreachableRefusal(), user: user) }
            return await executeHere(request, user: user)
        }
        if request.command == .undo { return await undo(user: user, reason: request.reason) }
        var fresh = false
        for _ in 0..<Self.decisionAttempts {
            let nodes = await pool.decisionView()
            let context = SharedDecision.Context(view: view, nodes: nodes, minRoutable: pool.config.minRoutable, user: user,
                                                 instance: instance, time: wallClock(), reason: request.reason)
            switch SharedDecision.decide(request.command, context) {
            case .refuse where !fresh:
                // The watch may not have brought the latest change yet: refuse only on a fresh read.
                fresh = true
                await reread()
                if unreachableSince != nil { return await refuse(request.command, unreachableRefusal(), user: user) }
            case let .refuse(reason):
                return await refuse(request.command, reason, user: user)
            case let .write(node, record, compare, done):
                let before = view.entries[node]?.record
                do {
                    guard let revision = try await write(node, record, if: compare, before: before) else {
                        // Someone else's write came first: decide again on what the store has now.
                        await reread()
                        fresh = true
                        continue
                    }
                    undoStack.append(SharedUndoEntry(user: user, node: node, description: request.command.description, before: before, modRevision: revision))
                    if undoStack.count > 100 { undoStack.removeFirst() }
                    await pool.recordOperatorAction(request.command.description, result: .done(done), user: user, node: node,
                                                    before: SharedNodeRecord.describe(before), after: SharedNodeRecord.describe(record), command: request.command)
                    await publishStatus()
                    return .done(done)
                } catch {
                    await markUnreachable(Self.describe(error))
                    return await refuse(request.command, unreachableRefusal(), user: user)
                }
            }
        }
        return await refuse(request.command, "the shared state kept changing while this was decided (\(Self.decisionAttempts) fresh reads); nothing was changed: try again", user: user)
    }

    /// Reverts `user`'s last action on the shared state, unless anyone changed that node since.
    private func undo(user: String, reason: String?) async -> OperatorResult {
        guard let index = undoStack.lastIndex(where: { $0.user == user }) else {
            let other = undoStack.last.map { " (the last action, \"\($0.description)\", is \($0.user)'s)" } ?? ""
            return await refuse(.undo, "nothing of yours to undo\(other)", user: user)
        }
        let entry = undoStack[index]
        if let changed = changedSince(entry) { return await refuse(.undo, changed, user: user) }
        let change = OperatorChange(user: user, instance: instance, time: wallClock(), action: "undo \(entry.description)", reason: reason)
        let record = SharedNodeRecord(drained: entry.before?.drained ?? false, weight: entry.before?.weight, change: change)
        let current = view.entries[entry.node]?.record
        do {
            guard try await write(entry.node, record, if: [.modRevision(key: settings.keys.node(entry.node), equals: entry.modRevision)], before: current) != nil else {
                await reread()
                return await refuse(.undo, changedSince(entry) ?? "cannot undo \"\(entry.description)\": \(entry.node) changed since", user: user)
            }
        } catch {
            await markUnreachable(Self.describe(error))
            return await refuse(.undo, unreachableRefusal(), user: user)
        }
        undoStack.remove(at: index)
        let done = "undid \(entry.description) on every instance"
        await pool.recordOperatorAction("undo", result: .done(done), user: user, node: entry.node,
                                        before: SharedNodeRecord.describe(current), after: SharedNodeRecord.describe(record), command: .undo)
        await publishStatus()
        return .done(done)
    }

    private func changedSince(_ entry: SharedUndoEntry) -> String? {
        guard view.modRevision(of: entry.node) != entry.modRevision else { return nil }
        let who = view.entries[entry.node].map { "\($0.record.user) on \($0.record.instance) changed \(entry.node) since (\($0.record.action))" }
            ?? "the shared state of \(entry.node) was deleted since"
        return "cannot undo \"\(entry.description)\": \(who)"
    }

    /// Puts the node's record and a history line if `compare` holds; the new mod revision, or
    /// nil when it did not hold. The pool takes the new state at once (the watch brings it too).
    func write(_ node: String, _ record: SharedNodeRecord, if compare: [EtcdCompare], before: SharedNodeRecord?) async throws -> Int64? {
        let keys = settings.keys
        let history = SharedHistoryRecord(time: record.time, user: record.user, instance: record.instance, action: record.action, node: node,
                                          before: SharedNodeRecord.describe(before), after: SharedNodeRecord.describe(record), reason: record.reason)
        let result = try await client.txn(if: compare, then: [
            .put(key: keys.node(node), value: record.encoded()),
            .put(key: keys.historyKey(time: wallClock(), instance: instance), value: history.encoded()),
        ])
        guard result.succeeded else { return nil }
        view.wrote(node, record, txnRevision: result.revision)
        await pool.adoptShared(view.poolState)
        writeCache()
        writes += 1
        if writes % 20 == 0 { await trimHistory() }
        return result.revision
    }

    private func reread() async {
        do {
            let applied = view.replace(with: try await client.range(prefix: settings.keys.prefix), announcing: true)
            await adopt(applied)
        } catch {
            await markUnreachable(Self.describe(error))
        }
    }

    /// Keeps the shared history at `SharedKeys.historyLimit` entries, oldest deleted first.
    private func trimHistory() async {
        let keys = settings.keys
        guard let count = try? await client.count(prefix: keys.history), count > SharedKeys.historyLimit,
              let old = try? await client.keys(prefix: keys.history, limit: count - SharedKeys.historyLimit, ascending: true),
              let first = old.first, let last = old.last else { return }
        _ = try? await client.txn(if: [], then: [.deleteRange(from: first, to: last + "\u{0}")])
    }

    private func refuse(_ command: OperatorCommand, _ reason: String, user: String) async -> OperatorResult {
        await pool.recordOperatorAction(command.description, result: .refused(reason), user: user, node: command.node,
                                        before: nil, after: nil, command: command)
        return .refused(reason)
    }

    func unreachableRefusal() -> String {
        let clock = unreachableSince.map { RFC3339.string(fromUnixSeconds: $0).dropFirst(11).prefix(8) + " UTC" } ?? "now"
        return "the state store (etcd, \(settings.location)) is unreachable since \(clock)" + (unreachableReason.map { ": \($0)" } ?? "")
            + "; nothing was changed. To act on this instance only, send force_local (the dashboard offers \"here anyway\")"
    }

    // MARK: here only, while etcd is unreachable

    /// The pool's own decision (its local floor), marked as made here only; kept to be written
    /// back when etcd returns.
    private func executeHere(_ request: OperatorRequest, user: String) async -> OperatorResult {
        guard request.command != .undo, let node = request.command.node else {
            return await refuse(request.command, "undo needs the state store, which is unreachable; nothing was changed", user: user)
        }
        let result = await pool.executeHere(request, user: user, localOnly: true)
        guard case let .done(text) = result else { return result }
        let base = pending[node]?.base ?? view.modRevision(of: node)
        var record = pending[node]?.record ?? view.entries[node]?.record
            ?? SharedNodeRecord(drained: false, weight: nil, change: OperatorChange(user: user, instance: instance, time: wallClock(), action: ""))
        switch request.command {
        case .drain: record.drained = true
        case .undrain: record.drained = false
        case let .setWeight(_, weight): record.weight = weight
        case .resetWeight: record.weight = nil
        case .undo: break
        }
        let change = OperatorChange(user: user, instance: instance, time: wallClock(), action: request.command.description, reason: request.reason, localOnly: true)
        record = SharedNodeRecord(drained: record.drained, weight: record.weight, change: change)
        if pending[node] == nil { pendingOrder.append(node) }
        pending[node] = LocalChange(base: base, record: record, actions: (pending[node]?.actions ?? []) + [request.command.description])
        await publishStatus()
        return .done("\(text) — HERE ONLY: etcd is unreachable; it is written to etcd when etcd is back, unless someone changed \(node) there since")
    }

    /// Writes back what was done here while etcd was unreachable, node by node, only where the
    /// store still has what this instance last saw; anything else is a conflict, shown, and the
    /// store's state stands.
    func writeBack(against range: EtcdRange) async throws {
        let keys = settings.keys
        let current = Dictionary(range.kvs.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        for node in pendingOrder {
            guard let change = pending[node] else { continue }
            let actions = change.actions.joined(separator: ", ")
            let now = current[keys.node(node)]
            if (now?.modRevision ?? 0) == change.base,
               try await write(node, change.record, if: [.modRevision(key: keys.node(node), equals: change.base)], before: view.entries[node]?.record) != nil {
                pool.logEvent(.notice, .operatorAction, node: node, "written to etcd: \(actions) on \(node), made here while etcd was unreachable")
            } else {
                let theirs = now.flatMap { try? SharedNodeRecord.decode($0.value).get() }
                let who = theirs.map { "\($0.user) on \($0.instance) changed \(node) at \($0.time) (\($0.action)): \(SharedNodeRecord.describe($0))" }
                    ?? "its shared state changed"
                pool.logEvent(.warning, .operatorAction, node: node, "conflict: \(actions) on \(node), made here while etcd was unreachable, was NOT written: \(who); the shared state stands")
            }
            pending[node] = nil
        }
        pendingOrder = []
    }
}
