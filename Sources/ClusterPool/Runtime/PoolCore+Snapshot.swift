import ClusterModel
import NIOCore

extension PoolCore {
    /// The newest events a snapshot carries: the log keeps `eventLogCapacity`, a reader shows a
    /// few hundred, and copying 10,000 events ten times a second would be waste.
    static let snapshotEventLimit = 1000

    /// Builds an immutable snapshot. Node snapshots are rebuilt only for nodes that changed.
    func buildSnapshot() -> ClusterSnapshot {
        let now = self.now
        let routable = nodes.map { $0.isRoutableHealth && !outliers.isEjected($0.index, at: now) }
        var cluster = ClusterAvailability()
        for node in nodes where routable[node.index] { cluster.add(node.availability.availability) }
        let clusterAvailability = cluster.value
        let totalRate = nodes.reduce(0) { $0 + $1.pickRate }
        for node in nodes {
            let i = node.index
            rebuildNodeSnapshotIfChanged(node, now: now)
            // Cluster-relative figures change when other nodes change: always recomputed.
            nodeSnapshots[i].routable = routable[i]
            nodeSnapshots[i].trafficShare = totalRate > 0 ? node.pickRate / totalRate : 0
            nodeSnapshots[i].clusterAvailabilityIfDrained = routable[i]
                ? cluster.without(node.availability.availability)
                : clusterAvailability
            nodeSnapshots[i].ejectedFor = outliers.ejectedUntil(i).flatMap { until in
                until > now ? Double((until - now).nanoseconds) / 1e9 : nil
            }
        }
        return ClusterSnapshot(
            clusterName: config.name, wallTime: options.wallClock(), nodes: nodeSnapshots, events: events.events(limit: Self.snapshotEventLimit),
            callsPerSecond: callRate, retriesPerSecond: retryRate, availability: clusterAvailability,
            panicMode: isPanic(routableCount: routable.count { $0 }), balancer: balancer.name,
            undoDescription: undoStack.last?.description)
    }

    private func nodeSnapshot(_ node: NodeRuntime, now: NIODeadline) -> NodeSnapshot {
        var s = NodeSnapshot(name: node.config.name, address: node.config.address.description, health: node.health)
        s.group = node.config.group
        s.tags = node.config.tags
        s.fbStatus = node.fbStatus?.description
        s.statusDetails = node.statusDetails
        s.connected = node.liveConnection != nil
        node.latency.rotateIfDue(at: now)
        if let summary = node.latency.summary() {
            s.latencyP50 = summary.p50
            s.latencyP90 = summary.p90
            s.latencyP99 = summary.p99
            s.latencyMax = summary.max
            s.latencyHistogram = summary.histogram
        }
        s.latencyEWMA = node.latency.ewma
        s.recentLatencies = node.latency.recent
        s.heartbeatsOK = node.heartbeatsOK
        s.heartbeatsFailed = node.heartbeatsFailed
        s.phi = node.phi.phi(at: now)
        s.calls = node.calls
        s.callFailures = node.callFailures
        s.retries = node.retries
        s.inFlight = node.inFlight
        s.weight = node.weight
        s.configuredWeight = node.config.weight
        s.availability = node.availability.availability
        s.operatorDrained = node.operatorDrained
        s.lastError = node.lastError
        s.serverName = node.serverName
        s.serverVersion = node.serverVersion
        s.aliveSince = node.aliveSince
        s.counters = node.counters
        return s
    }

    func publishSnapshotIfWanted() {
        let now = self.now
        guard snapshotWanted() else { return }
        // Due times move on by the period, so the average rate is the period's even though
        // maintenance only runs every 100 ms; half a tick early counts as due.
        if let due = nextPublishDue, now + .milliseconds(50) < due { return }
        nextPublishDue = max((nextPublishDue ?? now) + snapshotPeriod, now)
        readerActiveUntil = now + .seconds(1)
        publish(buildSnapshot())
    }

    /// How often snapshots are published to readers: 10 Hz up to 4,000 nodes, then slower in
    /// proportion (4 Hz at 10,000), since each one copies every node's snapshot (~25 µs a
    /// node a second at 10 Hz). Operator actions publish at once whatever this says.
    var snapshotPeriod: TimeAmount {
        .nanoseconds(min(1_000_000_000, max(100_000_000, Int64(nodes.count) * 25_000)))
    }

    /// With a reader about, rebuilds a changed node's snapshot now rather than in the next
    /// build: at 10,000 nodes that spreads ~10,000 rebuilds a second evenly over the loop
    /// instead of ~1,000 in one burst every 100 ms, which held heartbeats back.
    func refreshNodeSnapshotIfReading(_ node: NodeRuntime) {
        let now = self.now
        guard let until = readerActiveUntil, now < until else { return }
        rebuildNodeSnapshotIfChanged(node, now: now)
    }

    private func rebuildNodeSnapshotIfChanged(_ node: NodeRuntime, now: NIODeadline) {
        guard node.dirty else { return }
        nodeSnapshots[node.index] = nodeSnapshot(node, now: now)
        node.dirty = false
    }
}
