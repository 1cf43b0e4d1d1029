import ClusterModel
import NIOCore

extension PoolCore {
    /// The newest events a snapshot carries: the log keeps `eventLogCapacity`, a reader shows a
    /// few hundred, and copying 10,000 events ten times a second would be waste.
    static let snapshotEventLimit = 1000

    /// How often snapshots are published to readers.
    static let snapshotPeriod = TimeAmount.milliseconds(100)

    /// Builds an immutable snapshot. Node snapshots are rebuilt only for nodes that changed.
    func buildSnapshot() -> ClusterSnapshot {
        let now = self.now
        let routable = nodes.map { $0.state.isRoutable && !policies.ejection.isEjected($0.index, at: now) }
        var cluster = ClusterAvailability()
        for node in nodes where routable[node.index] { cluster.add(node.state.availability.availability) }
        let clusterAvailability = cluster.value
        let totalRate = nodes.reduce(0) { $0 + $1.state.pickRate }
        for node in nodes {
            let i = node.index
            rebuildNodeSnapshotIfChanged(node, now: now)
            // Cluster-relative figures change when other nodes change: always recomputed.
            snapshots.nodes[i].routable = routable[i]
            snapshots.nodes[i].trafficShare = totalRate > 0 ? node.state.pickRate / totalRate : 0
            snapshots.nodes[i].clusterAvailabilityIfDrained = routable[i]
                ? cluster.without(node.state.availability.availability)
                : clusterAvailability
            snapshots.nodes[i].ejectedFor = policies.ejection.ejectedUntil(i).flatMap { until in
                until > now ? Double((until - now).nanoseconds) / 1e9 : nil
            }
        }
        return ClusterSnapshot(
            clusterName: config.name, wallTime: options.wallClock(), nodes: snapshots.nodes, events: events.events(limit: Self.snapshotEventLimit),
            callsPerSecond: callRate, retriesPerSecond: retryRate, availability: clusterAvailability,
            panicMode: isPanic(routableCount: routable.count { $0 }), balancer: policies.balancer.name,
            undoDescription: undoStack.last?.description)
    }

    private func nodeSnapshot(_ node: NodeLink, now: NIODeadline) -> NodeSnapshot {
        let state = node.state
        var s = NodeSnapshot(name: node.config.name, address: state.address, health: state.health)
        s.group = node.config.group
        s.tags = node.config.tags
        s.fbStatus = state.fbStatus?.description
        s.statusDetails = state.details.statusDetails
        s.connected = node.liveConnection != nil
        if let summary = state.latency.summary() {
            s.latencyP50 = summary.p50
            s.latencyP90 = summary.p90
            s.latencyP99 = summary.p99
            s.latencyMax = summary.max
            s.latencyHistogram = summary.histogram
        }
        s.latencyEWMA = state.latency.ewma
        s.recentLatencies = state.latency.recent
        s.heartbeatsOK = state.heartbeatsOK
        s.heartbeatsFailed = state.heartbeatsFailed
        s.phi = state.detector.second.phi(at: now)
        s.calls = state.calls
        s.callFailures = state.callFailures
        s.retries = state.retries
        s.inFlight = state.inFlight
        s.weight = state.weight
        s.configuredWeight = node.config.weight
        s.availability = state.availability.availability
        s.operatorDrained = state.drained
        s.lastError = state.lastError
        s.serverName = state.details.serverName
        s.serverVersion = state.details.serverVersion
        s.aliveSince = state.details.aliveSince
        s.counters = state.details.counters
        return s
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
        rebuildNodeSnapshotIfChanged(node, now: now)
    }

    private func rebuildNodeSnapshotIfChanged(_ node: NodeLink, now: NIODeadline) {
        node.state.rotateLatencyWindow(at: now)
        guard node.snapshotVersion != node.state.version else { return }
        snapshots.nodes[node.index] = nodeSnapshot(node, now: now)
        node.snapshotVersion = node.state.version
    }
}
