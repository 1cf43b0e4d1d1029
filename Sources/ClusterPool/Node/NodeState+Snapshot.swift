import ClusterModel
import NIOCore

extension NodeState {
    /// The node's own figures as a snapshot shows them (the cluster-relative ones are the pool's).
    /// A method, so the state is read in place rather than copied out of its owner first.
    /// `wallTime` is the wall clock at `now`: the times of the status and the last error
    /// are shown as wall-clock times, so that their age can be read at any later moment.
    func snapshot(of config: NodeConfig, at now: NIODeadline, wallTime: Double = 0, tick: TimeAmount = PoolOptions.defaultTick) -> NodeSnapshot {
        func wall(_ at: NIODeadline) -> Double { wallTime - Double((now - at).nanoseconds) / 1e9 }
        var s = NodeSnapshot(name: name, address: address, health: health)
        s.group = config.group
        s.tags = config.tags
        s.fbStatus = fbStatus?.description
        s.fbStatusAt = details.statusAt.map(wall)
        s.heartbeatTimeoutMillis = Double(settings.heartbeatTimeout(tick: tick).nanoseconds) / 1e6
        s.statusDetails = details.statusDetails
        s.connected = connected
        s.serving = serving
        if let summary = latency.summary() {
            s.latencyP50 = summary.p50
            s.latencyP90 = summary.p90
            s.latencyP99 = summary.p99
            s.latencyMax = summary.max
            s.latencyHistogram = summary.histogram
        }
        s.latencyEWMA = latency.ewma
        s.recentLatencies = latency.recent
        s.heartbeatsOK = heartbeatsOK
        s.heartbeatsFailed = heartbeatsFailed
        s.phi = detector.second.phi(at: now)
        s.calls = calls
        s.callFailures = callFailures
        s.retries = retries
        s.inFlight = inFlight
        s.weight = weight
        s.configuredWeight = configuredWeight
        s.availability = availability.availability
        s.operatorDrained = drained
        s.lastError = lastError
        s.lastErrorAt = lastFailure.map { wall($0.at) }
        s.serverName = details.serverName
        s.serverVersion = details.serverVersion
        s.aliveSince = details.aliveSince
        s.counters = details.counters
        s.replyHeaders = details.replyHeaders
        s.wire = settings.wireText
        s.lastChange = lastChange
        s.tls = tls
        return s
    }
}
