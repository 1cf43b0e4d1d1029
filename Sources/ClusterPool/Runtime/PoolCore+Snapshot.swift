import ClusterModel
import NIOCore

extension PoolCore {
    /// The newest events a snapshot carries: the log keeps `eventLogCapacity`, a reader shows a
    /// few hundred, and copying 10,000 events ten times a second would be waste.
    static let snapshotEventLimit = 1000

    /// How often snapshots are published to readers.
    static let snapshotPeriod = TimeAmount.milliseconds(100)

    /// Builds an immutable snapshot. Node snapshots are rebuilt only for nodes that changed; the
    /// rest are shared with the previous snapshot (a retain each).
    func buildSnapshot() -> ClusterSnapshot {
        let now = self.now
        let ejection = policies.ejection
        // Worked on as a local: one access to the stored array instead of one per field per node.
        // (Its storage is copied at the first write after each publish, as the published
        // snapshot shares it; that is a retain per node.)
        var out = snapshots.nodes
        snapshots.nodes = []
        var routable = [Bool](repeating: false, count: nodes.count)
        var cluster = ClusterAvailability()
        var totalRate = 0.0
        for node in nodes {
            let i = node.index, state = node.state
            rebuildIfChanged(node, into: &out, now: now)
            routable[i] = state.isRoutable && !ejection.isEjected(i, at: now)
            if routable[i] { cluster.add(state.availability.availability) }
            totalRate += state.pickRate
        }
        let clusterAvailability = cluster.value
        var routableCount = 0
        for node in nodes {
            // Cluster-relative figures change when other nodes change: always recomputed.
            let i = node.index, state = node.state
            if routable[i] { routableCount += 1 }
            out[i].routable = routable[i]
            out[i].trafficShare = totalRate > 0 ? state.pickRate / totalRate : 0
            out[i].clusterAvailabilityIfDrained = routable[i] ? cluster.without(state.availability.availability) : clusterAvailability
            out[i].ejectedFor = ejection.ejectedUntil(i).flatMap { until in
                until > now ? Double((until - now).nanoseconds) / 1e9 : nil
            }
        }
        snapshots.nodes = out
        if snapshots.events.nextID != events.nextID {
            snapshots.events = (events.nextID, events.events(limit: Self.snapshotEventLimit))
        }
        return ClusterSnapshot(
            clusterName: config.name, wallTime: options.wallClock(), nodes: out, events: snapshots.events.events,
            callsPerSecond: callRate, retriesPerSecond: retryRate, availability: clusterAvailability,
            panicMode: isPanic(routableCount: routableCount), balancer: policies.balancer.name,
            undoDescription: undoStack.last?.description)
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
        rebuildIfChanged(node, into: &snapshots.nodes, now: now)
    }

    private func rebuildIfChanged(_ node: NodeLink, into nodes: inout [NodeSnapshot], now: NIODeadline) {
        node.state.rotateLatencyWindow(at: now)
        guard node.snapshotVersion != node.state.version else { return }
        nodes[node.index] = node.state.snapshot(of: node.config, at: now)
        node.snapshotVersion = node.state.version
    }
}
