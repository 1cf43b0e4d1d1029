import ClusterModel
import NIOCore

// A reload on the pool's loop, in one go (no call is routed halfway through): the node tables
// are rebuilt in the new config's order. Nodes that stay keep their `NodeLink` (and id) — state
// machine, heartbeat connection, drain and operator weight — and only move to their new place;
// the timer wheel and the ejection records are renumbered to match, and every router takes the
// new places by id (keeping its call connections). Nodes that leave are retired: their heartbeat
// connection closes now, each router's call connections once the calls on them are answered
// (`NodeIDs.dropQuietRetired` lets them go once every router has reported them done).

extension PoolCore {
    /// Takes `new` (already validated: `newPolicies` were made from it), but for what needs a
    /// restart (`inForce`), which keeps its value in `config`. Returns what changed; the
    /// facade logs and audits it.
    func reload(_ new: ClusterConfig, policies newPolicies: PoolPolicies) -> ReloadOutcome {
        var outcome = ReloadOutcome()
        let (applied, notApplied) = Self.inForce(config, new)
        outcome.notApplied = notApplied
        let oldNodes = nodes
        // Nodes whose snapshot was out of date stay so at their new places.
        let pending = changes.take()
        changes.reset(count: new.nodes.count)
        var links: [NodeLink] = []
        var fresh: [NodeLink] = []
        /// Per new place, where the node was (nil: a new `NodeLink`).
        var oldIndices: [Int?] = []
        for (index, nodeConfig) in new.nodes.enumerated() {
            let name = nodeConfig.name
            guard let was = lookup.byName[name].map({ oldNodes[$0] }) else {
                let link = newLink(index: index, config: nodeConfig, policies: newPolicies)
                outcome.added.append(name)
                links.append(link)
                fresh.append(link)
                oldIndices.append(nil)
                continue
            }
            if was.config.address != nodeConfig.address || was.config.settings != nodeConfig.settings {
                // A new address, protocol, timeout or limit: new connections, the operator's say kept.
                retire(was)  // first: its metric series go before the new link's are made
                let link = newLink(index: index, config: nodeConfig, policies: newPolicies)
                if was.state.drained { _ = link.state.apply(.drain, at: now) }
                if was.state.weight != was.config.weight { _ = link.state.apply(.weight(was.state.weight), at: now) }
                outcome.changed.append(name)
                links.append(link)
                fresh.append(link)
                oldIndices.append(nil)
                continue
            }
            oldIndices.append(was.index)
            was.index = index
            was.state.moved(to: index)
            if was.config != nodeConfig {
                // Weight, group or tags: nothing a connection depends on.
                outcome.changed.append(name)
                if was.config.weight != nodeConfig.weight { was.state.reconfigure(weight: nodeConfig.weight) }
                was.config = nodeConfig
                showMetrics(was)
                was.snapshotVersion = 0
                changes.mark(index)
            }
            links.append(was)
        }
        let staying = Set(new.nodes.map(\.name))
        for node in oldNodes where !staying.contains(node.config.name) {
            outcome.removed.append(node.config.name)
            retire(node)
        }

        var newIndexOfOld = [Int?](repeating: nil, count: oldNodes.count)
        for (index, old) in oldIndices.enumerated() { if let old { newIndexOfOld[old] = index } }
        schedule.wheel.remap { entry -> WheelEntry? in
            switch entry {
            case let .heartbeat(old): return newIndexOfOld[old].map(WheelEntry.heartbeat)
            case let .expire(old): return newIndexOfOld[old].map(WheelEntry.expire)
            }
        }
        var ejection = policies.ejection
        if config.outlier == new.outlier { ejection.reindex(oldIndices) } else { ejection = newPolicies.ejection }
        // The pause guard's reference point stays; the rest are the new config's (a new balancer
        // starts with no history, which only smooth weighted round robin has).
        let pause = policies.pause
        let budget = config.retry == new.retry ? policies.budget : newPolicies.budget
        policies = newPolicies
        policies.ejection = ejection
        policies.pause = pause
        policies.budget = budget

        nodes = links
        lookup = NodeLookup(new.nodes)
        let crossing = alerts.reload(settings: new.alerts, minRoutable: new.minRoutable, oldIndices: oldIndices)
        config = applied
        snapshots.renumber(links, from: oldIndices)
        rates.methods.renumber(from: oldIndices)
        if let crossing { capacityCrossed(crossing) }  // after `config`: its text names the new floor
        for (index, old) in oldIndices.enumerated() where old == nil { changes.mark(index) }
        for old in pending { if let index = newIndexOfOld[old] { changes.mark(index) } }
        // Every router takes the new nodes now: no call is routed by the old places.
        published.layout += 1
        publishRouting()

        let start = now
        for (k, node) in fresh.enumerated() {
            if node.settings.tls?.insecureSkipVerify == true { warnInsecure(node) }
            connect(node)
            let offset = node.settings.heartbeatInterval.nanoseconds * Int64(k) / Int64(fresh.count)
            scheduleHeartbeat(node, at: start + .nanoseconds(offset) + node.settings.heartbeatInterval)
        }
        return outcome
    }

    private func newLink(index: Int, config node: NodeConfig, policies: PoolPolicies) -> NodeLink {
        let link = NodeLink(index: index, id: ids.take(), config: node, policies: policies, changes: changes, metrics: metrics.makeNode(node))
        ids.add(link)
        return link
    }

    /// Out of the pool's tables: no heartbeats, reconnects or new calls. The heartbeat connection
    /// closes now; calls in flight (or already waiting for one of its connections) finish (each
    /// router retires its connections when it takes the new view).
    private func retire(_ node: NodeLink) {
        node.retired = true
        node.state.detach()
        node.reconnectTask?.cancel()
        node.liveConnection?.channel.close(promise: nil)
        node.connection = .idle
        forgetMetrics(of: node)
        ids.retire(node)
    }

    /// What changed in `new` that only a restart applies.
    /// `new` as it can take effect now: what needs a restart keeps its value in force, so
    /// `config` never claims what is not so; and a note for each such change (and for `[health]`,
    /// which applies to nodes added or changed only).
    static func inForce(_ old: ClusterConfig, _ new: ClusterConfig) -> (config: ClusterConfig, notes: [String]) {
        var applied = new
        var notes: [String] = []
        if old.admin != new.admin { notes.append("[admin] changed: needs a restart") }
        if old.name != new.name { notes.append("name changed: needs a restart (it names the admin socket and the metrics)") }
        if old.stateFile != new.stateFile || old.auditLog != new.auditLog {
            notes.append("state_file or audit_log changed: needs a restart")
        }
        if old.state != new.state { notes.append("[state] changed: needs a restart") }
        if old.eventLogCapacity != new.eventLogCapacity { notes.append("event_log_capacity changed: needs a restart") }
        if old.metrics != new.metrics { notes.append("[metrics] changed: needs a restart (its series and the method table are made at start)") }
        if old.health != new.health {
            notes.append("[health] changed: applies to nodes added or changed now, to the others after a restart")
        }
        if old.proxy.threads != new.proxy.threads { notes.append("[proxy] threads changed: needs a restart (the listener's loops are made at start)") }
        applied.proxy.threads = old.proxy.threads
        applied.admin = old.admin
        applied.name = old.name
        applied.stateFile = old.stateFile
        applied.auditLog = old.auditLog
        applied.eventLogCapacity = old.eventLogCapacity
        applied.state = old.state
        applied.metrics = old.metrics
        return (applied, notes)
    }
}

extension SnapshotPublisher {
    /// After a reload: a node that stayed keeps its snapshot and figures at its new place (at
    /// 10,000 nodes, rebuilding them all would hold the loop up); a new one has a placeholder
    /// until the next build.
    mutating func renumber(_ links: [NodeLink], from oldIndices: [Int?]) {
        let old = self
        nodes = links.indices.map { i in
            oldIndices[i].map { old.nodes[$0] } ?? NodeSnapshot(name: links[i].config.name, address: links[i].config.address.description)
        }
        ownRoutable = oldIndices.map { $0.map { old.ownRoutable[$0] } ?? false }
        inRotation = oldIndices.map { $0.map { old.inRotation[$0] } ?? false }
        availability = oldIndices.map { $0.map { old.availability[$0] } ?? 0 }
        recentPicks = links.map(\.state.recentPicks)
    }
}
