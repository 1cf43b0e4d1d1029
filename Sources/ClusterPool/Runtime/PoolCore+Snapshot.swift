import ClusterModel
import NIOCore

extension PoolCore {
    /// The newest events a snapshot carries: the log keeps `eventLogCapacity`, a reader shows a
    /// few hundred, and copying 10,000 events ten times a second would be waste.
    static let snapshotEventLimit = 1000

    /// How often snapshots are published to readers.
    static let snapshotPeriod = TimeAmount.milliseconds(100)

    /// Builds an immutable snapshot. Only the nodes that changed since the last build are
    /// rebuilt (the rest are shared with the previous snapshot, a retain each); the
    /// cluster-relative figures are recomputed for all from the publisher's side-by-side arrays.
    func buildSnapshot() -> ClusterSnapshot {
        let now = self.now
        let ejection = policies.ejection
        // Worked on as a local: one access to the stored array instead of one per field per node.
        // (Its storage is copied at the first write after each publish, as the published
        // snapshot shares it; that is a retain per node.)
        var out = snapshots.nodes
        snapshots.nodes = []
        for index in changes.take() {
            if let rebuilt = rebuildIfChanged(nodes[index], now: now) { out[index] = rebuilt }
        }
        let count = nodes.count
        var routable = [Bool](repeating: false, count: count)
        var cluster = ClusterAvailability()
        var totalPicks = 0
        for i in 0..<count {
            routable[i] = snapshots.ownRoutable[i] && !ejection.isEjected(i, at: now)
            if routable[i] { cluster.add(snapshots.availability[i]) }
            totalPicks += snapshots.recentPicks[i]
        }
        let clusterAvailability = cluster.value
        var routableCount = 0, inRotation = 0
        for i in 0..<count {
            // Cluster-relative figures change when other nodes change: always recomputed.
            if routable[i] { routableCount += 1 }
            if snapshots.inRotation[i] { inRotation += 1 }
            out[i].routable = routable[i]
            out[i].trafficShare = totalPicks > 0 ? Double(snapshots.recentPicks[i]) / Double(totalPicks) : 0
            out[i].clusterAvailabilityIfDrained = routable[i] ? cluster.without(snapshots.availability[i]) : clusterAvailability
            out[i].ejectedFor = ejection.ejectedUntil(i).flatMap { until in
                until > now ? Double((until - now).nanoseconds) / 1e9 : nil
            }
        }
        snapshots.nodes = out
        if snapshots.events.nextID != events.nextID {
            snapshots.events = (events.nextID, events.events(limit: Self.snapshotEventLimit))
        }
        snapshots.built += 1
        var snapshot = ClusterSnapshot(
            clusterName: config.name, wallTime: options.wallClock(), nodes: out, events: snapshots.events.events,
            callsPerSecond: rates.callsPerSecond, retriesPerSecond: rates.retriesPerSecond, availability: clusterAvailability,
            panicMode: OperatorRules.isPanic(routable: routableCount, inRotation: inRotation, threshold: config.panicThreshold),
            balancer: policies.balancer.name,
            undoable: ledger.undoable,
            listeners: snapshots.listeners)
        snapshot.version = snapshots.built
        snapshot.stateStore = ledger.storeStatus?.status
        snapshot.rules = config.ruleSettings
        snapshot.callSuccessRatio = rates.outcomes.successRatio(at: now)
        snapshot.callLatencyP99 = rates.latency.summary()?.p99
        snapshot.methods = rates.methods.figures(at: now) { [nodes] index in index < nodes.count ? nodes[index].config.name : nil }
        return snapshot
    }

    func publishSnapshotIfWanted() {
        let now = self.now
        guard snapshots.wanted() else { return }
        // Due times move on by the period, so the average rate is the period's even though
        // maintenance only runs every 100 ms; half a tick early counts as due.
        if let due = snapshots.nextPublishDue, now + .milliseconds(50) < due { return }
        snapshots.nextPublishDue = max((snapshots.nextPublishDue ?? now) + Self.snapshotPeriod, now)
        snapshots.readerActiveUntil = now + .seconds(1)
        snapshots.publish(buildSnapshot())
    }

    /// With a reader about, rebuilds a changed node's snapshot now rather than in the next
    /// build: at 10,000 nodes that spreads ~10,000 rebuilds a second evenly over the loop
    /// instead of ~1,000 in one burst every 100 ms, which held heartbeats back.
    func refreshNodeSnapshotIfReading(_ node: NodeLink) {
        let now = self.now
        guard let until = snapshots.readerActiveUntil, now < until else { return }
        if let rebuilt = rebuildIfChanged(node, now: now) { snapshots.nodes[node.index] = rebuilt }
    }

    /// The node's new snapshot if its state moved on since the last one (nil otherwise), with
    /// the publisher's side-by-side figures brought up to date.
    private func rebuildIfChanged(_ node: NodeLink, now: NIODeadline) -> NodeSnapshot? {
        let state = node.state
        guard node.snapshotVersion != state.version else { return nil }
        node.snapshotVersion = state.version
        snapshots.ownRoutable[node.index] = state.isRoutable
        snapshots.inRotation[node.index] = state.inRotation
        snapshots.availability[node.index] = state.availability.availability
        return state.snapshot(of: node.config, at: now, wallTime: options.wallClock(), tick: options.tick)
    }
}
