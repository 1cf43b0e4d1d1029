import ClusterModel
import ClusterPool
import NIOCore
import Synchronization
import TLSSupport

/// What one listener's loops share: the pool, the listener's settings, its metrics, and how many
/// client connections it has open on all of them (`max_connections` counts them all).
final class ListenerShared: Sendable {
    let pool: ClusterPool
    let config: ListenerConfig
    /// The address it is bound to (the real port when the config said 0).
    let boundAddress: String
    let metrics: ListenerMetrics
    private let open = Atomic<Int>(0)
    private let refusals = Mutex<(count: Int, lastLog: NIODeadline?)>((0, nil))

    init(pool: ClusterPool, config: ListenerConfig, boundAddress: String) {
        self.pool = pool
        self.config = config
        self.boundAddress = boundAddress
        metrics = ListenerMetrics(cluster: pool.config.name, listener: boundAddress, factory: pool.metricsFactory)
    }

    /// Takes a place for a new client connection, or refuses it (false) over `max_connections`.
    func admit() -> Bool {
        let count = open.wrappingAdd(1, ordering: .relaxed).newValue
        guard count <= config.maxConnections else {
            open.wrappingSubtract(1, ordering: .relaxed)
            refused()
            return false
        }
        metrics.showConnections(count)
        return true
    }

    func closed() {
        metrics.showConnections(open.wrappingSubtract(1, ordering: .relaxed).newValue)
    }

    /// One event a second at most: a flood of refusals must not flood the log.
    private func refused() {
        let now = NIODeadline.now()
        let due: Int? = refusals.withLock { state in
            state.count += 1
            guard state.lastLog.map({ now - $0 >= .seconds(1) }) ?? true else { return nil }
            defer { state = (0, now) }
            return state.count
        }
        if let due { log(.warning, "refused \(due) client connection(s): \(config.maxConnections) already open (max_connections)") }
    }

    func log(_ severity: EventSeverity, _ message: String) {
        pool.logEvent(severity, .proxy, "listener \(boundAddress): \(message)")
    }
}

/// One listener's client connections on one event loop: the way into the pool there, the
/// connections open and the calls they have in flight (a graceful shutdown waits for those).
final class ListenerState {
    let shared: ListenerShared
    let entry: CallEntry
    var loop: any EventLoop { entry.loop }
    private(set) var connections: [ObjectIdentifier: any Channel] = [:]
    private(set) var callsInFlight = 0
    private var quietWaiters: [EventLoopPromise<Void>] = []
    private var draining = false

    init(shared: ListenerShared, entry: CallEntry) {
        self.shared = shared
        self.entry = entry
    }

    var config: ListenerConfig { shared.config }

    /// Takes a new client connection, or refuses it (false) over `max_connections` or once the
    /// listener is shutting down (one accepted on another loop may reach this loop after).
    func admit(_ channel: any Channel) -> Bool {
        guard !draining, shared.admit() else { return false }
        let id = ObjectIdentifier(channel)
        connections[id] = channel
        channel.closeFuture.assumeIsolated().whenComplete { [self] _ in
            connections[id] = nil
            shared.closed()
        }
        return true
    }

    func callStarted() { callsInFlight += 1 }

    /// Counts a client call by how it ended (oneway calls and refusals during shutdown too).
    func callAnswered(_ outcome: ListenerMetrics.Outcome) {
        shared.metrics.call(outcome)
    }

    func callEnded() {
        callsInFlight -= 1
        if callsInFlight == 0 {
            let waiters = quietWaiters
            quietWaiters.removeAll()
            for waiter in waiters { waiter.succeed(()) }
        }
    }

    /// Completes once no call of this listener on this loop is in flight.
    func whenQuiet() -> EventLoopFuture<Void> {
        if callsInFlight == 0 { return loop.makeSucceededVoidFuture() }
        let promise = loop.makePromise(of: Void.self)
        quietWaiters.append(promise)
        return promise.futureResult
    }

    /// Shutdown begins: each connection closes once its calls in flight are answered.
    func drain() {
        draining = true
        for channel in connections.values { channel.pipeline.fireUserInboundEventTriggered(ProxyDrain()) }
    }

    func closeAll() -> EventLoopFuture<Void> {
        let closing = connections.values.map { $0.close().recover { _ in } }
        return EventLoopFuture.andAllComplete(closing, on: loop)
    }

    func log(_ severity: EventSeverity, _ message: String) {
        shared.log(severity, message)
    }

    /// A client of this TLS listener whose handshake failed (once per connection).
    func handshakeFailed(peer: String, _ failure: TLSHandshakeFailure) {
        shared.metrics.handshakeFailed(failure.reason.rawValue)
        log(.warning, "TLS handshake with client \(peer) failed: \(failure.text)")
    }

    /// The first bytes were plaintext on a TLS listener, or a TLS handshake on a plaintext one:
    /// the client and the listener disagree, which no retry fixes.
    func mismatched(peer: String, clientUsesTLS: Bool) {
        let pool = shared.pool, address = shared.boundAddress
        if clientUsesTLS {
            pool.logEvent(.warning, .proxy, "TLS client \(peer) on plaintext listener \(address): it sent a TLS ClientHello; likely a mismatch "
                + "(the client must connect without TLS, or the listener needs tls_cert_file and tls_key_file)")
        } else {
            shared.metrics.handshakeFailed("plaintext_client")
            pool.logEvent(.warning, .proxy, "plaintext client \(peer) on TLS listener \(address): likely a mismatch (the client must use TLS)")
        }
    }

    /// What the client is told when its call could not be answered by a node.
    func explain(_ error: any Error, method: String) -> String {
        let config = shared.pool.config
        let cluster = "cluster \"\(config.name)\""
        let group = config.routes.group(for: method)
        let scope = group.map { "group \"\($0)\" of \(cluster)" } ?? cluster
        switch error {
        case PoolCallError.noRoutableNode:
            return "thrifttop: no routable node for \(method) in \(scope): \(entry.unroutableSummary(group: group))"
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

/// A listener's state on each of its loops, by the loop: filled in once it is bound (a
/// connection accepted before that has none, and is closed).
final class ListenerStates: Sendable {
    private let byLoop = Mutex<[ObjectIdentifier: NIOLoopBound<ListenerState>]>([:])

    func set(_ states: [ObjectIdentifier: NIOLoopBound<ListenerState>]) { byLoop.withLock { $0 = states } }

    /// Call on `loop`.
    func state(on loop: any EventLoop) -> ListenerState? { byLoop.withLock { $0[ObjectIdentifier(loop)] }?.value }
}

/// Tells a client connection that the listener shuts down.
struct ProxyDrain {}
