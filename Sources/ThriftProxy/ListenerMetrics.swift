import ClusterPool
import CoreMetrics
import Synchronization

/// One listener's metric handles (`thrifttop_proxy_connections`, `thrifttop_proxy_calls_total`,
/// `thrifttop_proxy_tls_handshake_failures_total`), in the pool's metrics factory, labelled with the cluster and the address the listener is
/// bound to. Made once when it is bound; the counter of each outcome the first time it happens.
/// Shared by the listener's loops: counters are thread-safe, and the table of those made on
/// demand is behind a lock, taken only for calls no node answered (`ok` has its own field).
final class ListenerMetrics: Sendable {
    /// How a client's call ended, as the `outcome` label says it.
    enum Outcome: String, CaseIterable {
        /// A node answered (its own exceptions included: they pass through).
        case ok
        case noRoutableNode = "no_routable_node"
        case overloaded
        case timeout
        case error
        /// Refused by name during a graceful shutdown.
        case shuttingDown = "shutting_down"

        init(_ result: Result<PoolReply, any Error>) {
            switch result {
            case .success: self = .ok
            case .failure(PoolCallError.noRoutableNode): self = .noRoutableNode
            case .failure(PoolCallError.overloaded): self = .overloaded
            case .failure(PoolCallError.timeout): self = .timeout
            case .failure: self = .error
            }
        }
    }

    private let factory: any MetricsFactory
    private let dimensions: [(String, String)]
    private let connections: Gauge
    private let ok: Counter
    private let calls = Mutex<[Outcome: Counter]>([:])
    private let handshakeFailures = Mutex<[String: Counter]>([:])
    private let destroyed = Atomic<Bool>(false)

    init(cluster: String, listener: String, factory: any MetricsFactory) {
        self.factory = factory
        dimensions = [("cluster", cluster), ("listener", listener)]
        connections = Gauge(label: PoolMetricNames.proxyConnections, dimensions: dimensions, factory: factory)
        connections.record(0)
        ok = Counter(label: PoolMetricNames.proxyCalls, dimensions: dimensions + [("outcome", Outcome.ok.rawValue)], factory: factory)
    }

    /// `count`: the listener's client connections on all its loops.
    func showConnections(_ count: Int) {
        connections.record(count)
    }

    func call(_ outcome: Outcome) {
        guard outcome != .ok else { return ok.increment() }
        calls.withLock { calls in
            let counter = calls[outcome] ?? Counter(label: PoolMetricNames.proxyCalls, dimensions: dimensions + [("outcome", outcome.rawValue)], factory: factory)
            calls[outcome] = counter
            counter.increment()
        }
    }

    /// A TLS client connection closed before its handshake completed; `reason` is a
    /// `TLSHandshakeFailure.Reason` label, or `plaintext_client`.
    func handshakeFailed(_ reason: String) {
        handshakeFailures.withLock { failures in
            let counter = failures[reason] ?? Counter(label: PoolMetricNames.proxyTLSHandshakeFailures, dimensions: dimensions + [("reason", reason)], factory: factory)
            failures[reason] = counter
            counter.increment()
        }
    }

    /// The listener closed: its series go.
    func destroy() {
        guard !destroyed.exchange(true, ordering: .relaxed) else { return }
        connections.destroy()
        ok.destroy()
        calls.withLock { calls in
            for counter in calls.values { counter.destroy() }
            calls = [:]
        }
        handshakeFailures.withLock { failures in
            for counter in failures.values { counter.destroy() }
            failures = [:]
        }
    }
}
