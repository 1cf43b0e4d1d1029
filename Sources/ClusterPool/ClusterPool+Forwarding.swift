import ClusterModel
import CoreMetrics
import NIOCore
import ThriftWire

/// A call a proxy received from a client, to be routed through the pool: its name and type as
/// the client sent them, and its args struct undecoded, in the client's protocol.
public struct ForwardedCall: Sendable {
    public var name: String
    public var oneway: Bool
    public var body: ByteBuffer
    public var protocolKind: ThriftProtocolKind
    public var limits: ThriftLimits
    /// A THeader client's info headers: a THeader node gets them with the call.
    public var infoHeaders: [THeaderInfo]

    public init(name: String, oneway: Bool, body: ByteBuffer, protocolKind: ThriftProtocolKind, limits: ThriftLimits = .default,
                infoHeaders: [THeaderInfo] = []) {
        self.name = name
        self.oneway = oneway
        self.body = body
        self.protocolKind = protocolKind
        self.limits = limits
        self.infoHeaders = infoHeaders
    }
}

extension ClusterPool {
    /// Routes one forwarded call on the pool's loop (a proxy's connections on that loop): the
    /// config's `[[route]]` picks the node group, `[proxy]` the timeout and whether it may be
    /// retried after a write. The reply is the node's, in the node's protocol. No hop, no
    /// future; `completion` runs on the loop. A proxy's other loops route with their own
    /// `CallEntry`.
    public func forward(_ call: ForwardedCall, completion: @escaping (Result<PoolReply, any Error>) -> Void) {
        eventLoop.preconditionInEventLoop()
        guard let core = core.value else {
            completion(.failure(PoolCallError.noRoutableNode))
            return
        }
        core.publishRoutingIfMoved()
        core.router.forward(call, completion: completion)
    }

    /// How long a forwarded call may take, retries included: every attempt its full timeout.
    static func forwardedCallBudget(_ config: ClusterConfig) -> TimeAmount {
        let longest = config.proxy.callTimeout ?? config.nodes.map(\.settings.callTimeout).max() ?? .seconds(1)
        return .nanoseconds(longest.nanoseconds * Int64(config.retry.maxAttempts))
    }

    /// The events logged after the one with id `after` (0: all kept), oldest first: for a
    /// headless process that prints them as they come.
    public func events(after id: UInt64) async -> [PoolEvent] {
        (try? await eventLoop.submit { [self] () -> [PoolEvent] in
            guard let core = core.value, core.events.nextID > id + 1 else { return [] }
            return core.events.events(limit: Int(core.events.nextID - id - 1))
        }.get()) ?? []
    }

    /// Where this pool records its metrics (`PoolOptions.metricsFactory`): a proxy over it
    /// records its own there too.
    public var metricsFactory: any MetricsFactory { options.metricsFactory }

    /// Tells snapshots where a proxy over this pool listens.
    public func setListeners(_ addresses: [String]) async {
        try? await eventLoop.submit { [self] in core.value?.snapshots.listeners = addresses }.get()
    }

    /// Why `group` (nil: the whole cluster) has no node for a call now: "2 down, 1 drained".
    /// Call on the pool's loop.
    public func unroutableSummary(group: String?) -> String {
        core.value?.router.unroutableSummary(group: group) ?? "the pool is not running"
    }

    /// Adds an event to the pool's log (shown by the dashboard, and logged to the pool's
    /// `Logger`), from any thread.
    public func logEvent(_ severity: EventSeverity, _ kind: PoolEvent.Kind, node: String? = nil, _ message: String) {
        guard eventLoop.inEventLoop else {
            eventLoop.execute { self.logEvent(severity, kind, node: node, message) }
            return
        }
        core.value?.log(severity, kind, nodeName: node, message)
    }

    /// The method part of a possibly multiplexed name (`Service:method` → `method`).
    static func methodName(_ name: String) -> Substring {
        name.lastIndex(of: ":").map { name[name.index(after: $0)...] } ?? name[...]
    }
}
