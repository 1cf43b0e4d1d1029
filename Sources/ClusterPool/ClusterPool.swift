import ClusterModel
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ThriftWire

/// The embedded Thrift client pool: a persistent heartbeat connection per node and failure
/// detection, a client-side load balancer with retries over each node's call connections
/// (opened on demand, one call at a time each), drain and weights, and an immutable
/// `ClusterSnapshot` for readers on any thread. A `ProxyServer` (module ThriftProxy) routes
/// other programs' calls through it.
///
/// All state lives on one event loop (one is enough for thousands of nodes); every method here
/// hops onto it, but for `forward`, which the proxy calls on that loop (it checks). The pool never knows whether a terminal, a script or a service reads it.
///
///     let pool = try ClusterPool(config: config, eventLoop: group.next())
///     try await pool.start()
///     let status = try await pool.call(FB303.GetStatus.self)
///     let result = await pool.execute(.drain(node: "db-3"))
public final class ClusterPool: Sendable {
    /// The config in force: the one given at init, or the last one `reload` took.
    public var config: ClusterConfig { shared.withLockedValue { $0.config } }
    public let eventLoop: any EventLoop
    let core: NIOLoopBoundBox<PoolCore?>
    let shared: NIOLockedValueBox<Shared>
    let options: PoolOptions
    private let operatorStore: any OperatorStore
    /// The routers of a proxy's other loops (`entry(on:)`), which a core starting later adopts.
    let remoteRouters = NIOLockedValueBox(RemoteRouters())

    struct Shared {
        var config: ClusterConfig
        var snapshot: ClusterSnapshot
        var wanted = true
        /// One reload at a time (SIGHUP and `POST /v1/reload` may meet).
        var reloading = false
        var started = false
        /// Decides operator commands when another authority is installed (etcd); nil: the
        /// local one.
        var authority: (any OperatorAuthority)?
        /// Calls are refused while set (the shared state was never read); the text says why.
        var routingHeld: String?
    }

    /// `operatorStore` keeps drains and weights across restarts and audits every action; by
    /// default the config's `state_file` and `audit_log`.
    public init(config: ClusterConfig, eventLoop: any EventLoop, options: PoolOptions = PoolOptions(),
                operatorStore: (any OperatorStore)? = nil) throws {
        // Validate policy parameters now, so a bad config fails before anything starts.
        _ = try PoolPolicies.make(config, maintenanceInterval: PoolCore.maintenanceInterval)
        self.eventLoop = eventLoop
        self.options = options
        // With etcd, state_file is the shared state's cache (SharedState's), not this store's file.
        self.operatorStore = operatorStore ?? FileOperatorStore(stateFile: config.state.store == .file ? config.stateFile : nil, auditLog: config.auditLog)
        core = NIOLoopBoundBox.makeEmptyBox(valueType: PoolCore.self, eventLoop: eventLoop)
        shared = NIOLockedValueBox(Shared(config: config, snapshot: ClusterSnapshot(
            clusterName: config.name, wallTime: options.wallClock(),
            nodes: config.nodes.map { NodeSnapshot(name: $0.name, address: $0.address.description) }, events: [],
            balancer: config.balancer.rawValue)))
    }

    /// Reads the saved operator state (off the event loop), then connects to every node and
    /// starts heartbeating.
    public func start() async throws {
        let store = operatorStore
        let loaded: Result<OperatorState?, any Error>
        do {
            loaded = .success(try await NIOThreadPool.singleton.runIfActive { try store.load() })
        } catch {
            loaded = .failure(error)
        }
        let config = shared.withLockedValue { $0.config }
        let tls = try await NIOThreadPool.singleton.runIfActive { try NodeTLSClients(config: config) }
        try await eventLoop.submit { [self] in
            let core = try PoolCore(config: config, loop: eventLoop, options: options, tls: tls, operatorStore: store)
            core.snapshots.wanted = { [shared] in shared.withLockedValue { $0.wanted } }
            core.snapshots.publish = { [shared] snapshot in
                shared.withLockedValue {
                    $0.snapshot = snapshot
                    $0.wanted = false
                }
            }
            self.core.value = core
            core.ledger.routingHeld = shared.withLockedValue { $0.routingHeld }
            core.published.remote = remoteRouters.withLockedValue { $0.all }
            core.start(restoring: loaded)
            core.publishRouting()
        }.get()
        shared.withLockedValue { $0.started = true }
    }

    /// Whether `start()` has run (a stopped pool too): `run()` starts the pool only if not.
    var isStarted: Bool { shared.withLockedValue { $0.started } }

    /// Closes every connection (also of nodes a reload removed). Calls in flight fail.
    public func stop() async {
        let closing = try? await eventLoop.submit { [self] in core.value?.stop() ?? eventLoop.makeSucceededVoidFuture() }.get()
        try? await closing?.get()
    }

    /// The latest snapshot, published every 100 ms while someone keeps reading, so at most that
    /// old. Cheap; any thread.
    public var snapshot: ClusterSnapshot {
        shared.withLockedValue {
            $0.wanted = true
            return $0.snapshot
        }
    }

    /// A snapshot built now, on the pool's loop.
    public func currentSnapshot() async throws -> ClusterSnapshot {
        try await eventLoop.submit { [self] in
            guard let core = core.value else { return shared.withLockedValue { $0.snapshot } }
            return core.buildSnapshot()
        }.get()
    }

    /// Runs an operator command (drain, undrain, weight, undo). It takes effect on traffic at
    /// once; the result comes once it is logged, saved and audited.
    public func execute(_ command: OperatorCommand, user: String? = nil) async -> OperatorResult {
        await execute(OperatorRequest(command), user: user)
    }

    /// Runs an operator request through the authority in force: an installed one (etcd, so that
    /// every instance agrees), else the local one, which decides on this pool at once.
    public func execute(_ request: OperatorRequest, user: String? = nil) async -> OperatorResult {
        let installed: (any OperatorAuthority)? = shared.withLockedValue { $0.authority }
        let authority: any OperatorAuthority = installed ?? LocalOperatorAuthority(pool: self)
        return await authority.execute(request, user: user ?? options.user)
    }

    /// Runs an operator request on this pool alone, decided on its loop by the operator rules:
    /// the local authority's way in, and the etcd authority's for `force_local` while etcd is
    /// unreachable (`localOnly` marks it so).
    public func executeHere(_ request: OperatorRequest, user: String, localOnly: Bool = false) async -> OperatorResult {
        do {
            return try await eventLoop.flatSubmit { [self] in
                guard let core = core.value else { return eventLoop.makeSucceededFuture(.refused("the pool is not running")) }
                let result = core.executeEverywhere(request, user: user, localOnly: localOnly)
                core.snapshots.publish(core.buildSnapshot())
                return result
            }.get()
        } catch {
            return .refused("\(error)")
        }
    }

    /// Sends a call through the balancer. Returns the success value; throws the method's
    /// declared exception, or a `PoolCallError` (timeout, connection, TApplicationException with
    /// its type, protocol error, no routable node).
    public func call<M: ThriftMethod>(_ method: M.Type, _ args: M.Args, options: CallOptions = CallOptions()) async throws -> M.Success {
        let reply = try await send(method: M.name, options: options) { kind in ThriftMessage.encodeStruct(args, protocolKind: kind) }
        guard let message = reply.message else { throw PoolCallError.protocolError(node: reply.node, reason: "no reply to a two-way call") }
        do {
            return try M.success(from: try message.result(as: M.Result.self))
        } catch let exception as TApplicationException {
            throw PoolCallError.application(node: reply.node, exception)
        } catch let error as ThriftWireError {
            throw PoolCallError.protocolError(node: reply.node, reason: error.description)
        }
    }

    public func call<M: ThriftMethod>(_ method: M.Type, options: CallOptions = CallOptions()) async throws -> M.Success where M.Args == ThriftEmptyStruct {
        try await call(method, ThriftEmptyStruct(), options: options)
    }

    private func send(method: String, options: CallOptions, encode: @escaping @Sendable (ThriftProtocolKind) -> ByteBuffer) async throws -> PoolReply {
        try await eventLoop.flatSubmit { [self] in
            let promise = eventLoop.makePromise(of: PoolReply.self)
            guard let core = core.value else {
                promise.fail(PoolCallError.noRoutableNode)
                return promise.futureResult
            }
            core.startCall(PendingCall(method: method, encode: encode, idempotent: options.idempotent,
                                       deadline: eventLoop.now + options.timeout, finish: promise.completeWith))
            return promise.futureResult
        }.get()
    }

    /// Starts the heartbeat figures afresh (after a warm-up, say).
    public func resetHeartbeatStatistics() async throws {
        try await eventLoop.submit { [self] in
            core.value?.schedule.heartbeatStats = HeartbeatStats()
        }.get()
    }

    /// Heartbeat scheduling figures, for benchmarks: heartbeats sent, and lateness p50/p99/max in µs.
    public func heartbeatStatistics() async throws -> (sent: Int, latenessP50: UInt64, latenessP99: UInt64, latenessMax: UInt64) {
        try await eventLoop.submit { [self] in
            guard let core = core.value else { return (0, 0, 0, 0) }
            let h = core.schedule.heartbeatStats.lateness
            return (core.schedule.heartbeatStats.sent, h.valueAtPercentile(50), h.valueAtPercentile(99), h.max)
        }.get()
    }
}
