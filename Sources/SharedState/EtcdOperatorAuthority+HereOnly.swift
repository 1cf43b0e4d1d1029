import ClusterModel
import ClusterPool
import EtcdClient

// Actions made on this instance alone while etcd is unreachable (`force_local`), on purpose:
// marked so everywhere, kept (and cached) until etcd is back, then written there — only where
// the store still has what this instance last saw of that node; anything else is a conflict,
// shown, and the store's state stands.

extension EtcdOperatorAuthority {
    /// The pool's own decision (its local floor), marked as made here only, and kept to be
    /// written back.
    func executeHere(_ request: OperatorRequest, user: String) async -> OperatorResult {
        guard request.command != .undo, let node = request.command.node else {
            return .refused("undo needs the state store, which is unreachable; nothing was changed")
        }
        let result = await pool.executeHere(request, user: user, localOnly: true)
        guard case let .done(text) = result else { return result }
        var record = pending.byNode[node]?.record ?? view.entries[node]?.record
            ?? SharedNodeRecord(drained: false, weight: nil, change: OperatorChange(user: user, instance: instance, time: wallClock(), action: ""))
        switch request.command {
        case .drain: record.drained = true
        case .undrain: record.drained = false
        case let .setWeight(_, weight, _): record.weight = weight
        case .resetWeight: record.weight = nil
        case .undo: break
        }
        let change = OperatorChange(user: user, instance: instance, time: wallClock(), action: request.command.description, reason: request.reason, localOnly: true)
        pending.add(node, base: view.modRevision(of: node), record: SharedNodeRecord(drained: record.drained, weight: record.weight, change: change),
                    action: request.command.description)
        // A reload re-applies what the pool last adopted: that includes this now.
        await pool.adoptShared(poolState())
        writeCache()
        await publishStatus()
        // etcd may have come back while the pool acted: then write it at once.
        if outage.since == nil, let range = try? await client.range(prefix: settings.keys.prefix) {
            try? await writeBack(against: range)
            _ = await reread()
        }
        return .done("\(text) — HERE ONLY: etcd is unreachable; it is written to etcd when etcd is back, unless someone changed \(node) there since")
    }

    /// Writes back what was done here, node by node, against `range` (the store now).
    func writeBack(against range: EtcdRange) async throws {
        let keys = settings.keys
        let current = Dictionary(range.kvs.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        for node in pending.order {
            guard let change = pending.byNode[node] else { continue }
            let actions = change.actions.joined(separator: ", ")
            let now = current[keys.node(node)]
            let theirs = now.flatMap { try? SharedNodeRecord.decode($0.value).get() }
            if theirs == change.record {
                // Written already (an answer lost last time): nothing to do, nothing to report but that.
                pending.remove(node, ifStill: change)
                pool.logEvent(.notice, .operatorAction, node: node, "written to etcd: \(actions) on \(node), made here while etcd was unreachable")
                continue
            }
            var written = false
            if (now?.modRevision ?? 0) == change.base {
                var record = change.record
                record.madeWhileUnreachable = true
                written = try await write(node, record, if: [.modRevision(key: keys.node(node), equals: change.base)], before: view.entries[node]?.record) != nil
            }
            pending.remove(node, ifStill: change)
            if written {
                pool.logEvent(.notice, .operatorAction, node: node, "written to etcd: \(actions) on \(node), made here while etcd was unreachable")
            } else {
                counts.conflicts += 1
                let who = theirs.map { "\(OperatorIdentity.acting($0.user, on: $0.instance)) changed \(node) at \($0.time) (\($0.action)): \(SharedNodeRecord.describe($0))" }
                    ?? "its shared state changed"
                pool.logEvent(.warning, .operatorAction, node: node, "conflict: \(actions) on \(node), made here while etcd was unreachable, was NOT written: \(who); the shared state stands")
            }
        }
        writeCache()
    }
}
