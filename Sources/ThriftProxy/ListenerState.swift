import ClusterModel
import ClusterPool
import NIOCore
import TLSSupport

/// What one listener's client connections share, on the pool's loop: the pool, the listener's
/// settings, its open connections and the calls they have in flight (a graceful shutdown waits
/// for those).
final class ListenerState {
    let pool: ClusterPool
    let config: ListenerConfig
    /// The address it is bound to (the real port when the config said 0).
    private(set) var boundAddress: String
    /// Made once the real address is known (it labels the series).
    private var metrics: ListenerMetrics?
    private(set) var connections: [ObjectIdentifier: any Channel] = [:]
    private(set) var callsInFlight = 0
    private var quietWaiters: [EventLoopPromise<Void>] = []
    private var refusedSinceLog = 0
    private var lastRefusalLog: NIODeadline?

    init(pool: ClusterPool, config: ListenerConfig) {
        self.pool = pool
        self.config = config
        boundAddress = config.address.description
    }

    /// The listener is bound: its address is known, and its metrics can be made.
    func bound(to address: String) {
        boundAddress = address
        metrics = ListenerMetrics(cluster: pool.config.name, listener: address, factory: pool.metricsFactory)
    }

    /// Takes a new client connection, or refuses it (false) over `max_connections`.
    func admit(_ channel: any Channel) -> Bool {
        guard connections.count < config.maxConnections else {
            refusedSinceLog += 1
            let now = NIODeadline.now()
            // One event a second at most: a flood of refusals must not flood the log.
            if lastRefusalLog.map({ now - $0 >= .seconds(1) }) ?? true {
                log(.warning, "refused \(refusedSinceLog) client connection(s): \(config.maxConnections) already open (max_connections)")
                refusedSinceLog = 0
                lastRefusalLog = now
            }
            return false
        }
        let id = ObjectIdentifier(channel)
        connections[id] = channel
        metrics?.showConnections(connections.count)
        channel.closeFuture.assumeIsolated().whenComplete { [self] _ in
            connections[id] = nil
            metrics?.showConnections(connections.count)
        }
        return true
    }

    func callStarted() { callsInFlight += 1 }

    /// Counts a client call by how it ended (oneway calls and refusals during shutdown too).
    func callAnswered(_ outcome: ListenerMetrics.Outcome) {
        metrics?.call(outcome)
    }

    func callEnded() {
        callsInFlight -= 1
        if callsInFlight == 0 {
            let waiters = quietWaiters
            quietWaiters.removeAll()
            for waiter in waiters { waiter.succeed(()) }
        }
    }

    /// Completes once no call of this listener is in flight.
    func whenQuiet() -> EventLoopFuture<Void> {
        if callsInFlight == 0 { return pool.eventLoop.makeSucceededVoidFuture() }
        let promise = pool.eventLoop.makePromise(of: Void.self)
        quietWaiters.append(promise)
        return promise.futureResult
    }

    /// Shutdown begins: each connection closes once its calls in flight are answered.
    func drain() {
        for channel in connections.values { channel.pipeline.fireUserInboundEventTriggered(ProxyDrain()) }
    }

    func closeAll() -> EventLoopFuture<Void> {
        let closing = connections.values.map { $0.close().recover { _ in } }
        return EventLoopFuture.andAllComplete(closing, on: pool.eventLoop).assumeIsolated().map { [self] in
            metrics?.destroy()
            metrics = nil
        }.nonisolated()
    }

    func log(_ severity: EventSeverity, _ message: String) {
        pool.logEvent(severity, .proxy, "listener \(boundAddress): \(message)")
    }

    /// A client of this TLS listener whose handshake failed (once per connection).
    func handshakeFailed(peer: String, _ failure: TLSHandshakeFailure) {
        metrics?.handshakeFailed(failure.reason.rawValue)
        log(.warning, "TLS handshake with client \(peer) failed: \(failure.text)")
    }

    /// The first bytes were plaintext on a TLS listener, or a TLS handshake on a plaintext one:
    /// the client and the listener disagree, which no retry fixes.
    func mismatched(peer: String, clientUsesTLS: Bool) {
        if clientUsesTLS {
            pool.logEvent(.warning, .proxy, "TLS client \(peer) on plaintext listener \(boundAddress): it sent a TLS ClientHello; likely a mismatch "
                + "(the client must connect without TLS, or the listener needs tls_cert_file and tls_key_file)")
        } else {
            metrics?.handshakeFailed("plaintext_client")
            pool.logEvent(.warning, .proxy, "plaintext client \(peer) on TLS listener \(boundAddress): likely a mismatch (the client must use TLS)")
        }
    }

    /// What the client is told when its call could not be answered by a node.
    func explain(_ error: any Error, method: String) -> String {
        let cluster = "cluster \"\(pool.config.name)\""
        let group = pool.config.routes.group(for: method)
        let scope = group.map { "group \"\($0)\" of \(cluster)" } ?? cluster
        switch error {
        case PoolCallError.noRoutableNode:
            return "thrifttop: no routable node for \(method) in \(scope): \(pool.unroutableSummary(group: group))"
        case PoolCallError.overloaded:
            return "thrifttop: \(cluster) overloaded: every node that could take \(method)\(group.map { " (group \"\($0)\")" } ?? "") has all its connections busy and its queue full (max_connections, max_pending)"
        case let PoolCallError.timeout(node, after):
            return "thrifttop: \(method) timed out after \(after.nanoseconds / 1_000_000) ms on node \(node)"
        case let PoolCallError.connection(node, reason):
            return "thrifttop: \(method) failed on node \(node): \(reason)"
        case let PoolCallError.protocolError(node, reason):
            return "thrifttop: \(method) failed on node \(node): protocol error: \(reason)"
        default:
            return "thrifttop: \(method) failed: \(error)"
        }
    }
}

@available(*, unavailable)
extension ListenerState: Sendable {}

/// Tells a client connection that the listener shuts down.
struct ProxyDrain {}
