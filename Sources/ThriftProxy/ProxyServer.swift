import ClusterModel
import ClusterPool
import NIOCore
import NIOPosix
import Synchronization
import ThriftWire
import TLSSupport

/// The listeners of a cluster config over a running pool: Thrift clients connect to them, and
/// every call they send is routed through the pool's balancer on its own. Client connections are
/// spread over `[proxy] threads` event loops (`ListenerLoops`), the pool's among them; each loop
/// routes its calls over its own connections to the nodes, so a call crosses no thread between
/// client, balancer and node.
///
///     let proxy = try await ProxyServer.start(pool: pool, listeners: config.listeners)
///     print(proxy.boundAddresses)          // ["127.0.0.1:9090"]
///     await proxy.shutdown(grace: .seconds(10))
///
/// A listener with `tls` takes TLS clients only (see `ListenerTLS`).
///
/// A reload (`ClusterPool.reload(_:also:)` with the proxy as participant) binds the listeners
/// added and closes the ones removed, leaving the others untouched but for their TLS files,
/// which are read again.
public final class ProxyServer: Sendable {
    private let pool: ClusterPool
    private let limits: ThriftLimits
    private let loops: ListenerLoops
    private let state: Mutex<ServerState>

    /// The listeners bound, and what a shutdown must know of: that it began (a reload then binds
    /// nothing more), and the listeners a reload removed that are still closing.
    private struct ServerState: Sendable {
        var listeners: [Listener]
        var shuttingDown = false
        /// Each resolves to the calls it cut off.
        var retiring: [Task<Int, Never>] = []
    }

    /// One bound listener.
    private struct Listener: Sendable {
        var config: ListenerConfig
        var server: any Channel
        var shared: ListenerShared
        /// Its connections on each loop, by the loop.
        var states: [ObjectIdentifier: NIOLoopBound<ListenerState>]
        var address: NodeAddress
        /// The certificate new connections get (nil: plaintext).
        var tls: ReloadableTLSContext?
    }

    /// Where each listener listens, in config order (the real port when the config said 0).
    public var boundAddresses: [NodeAddress] { state.withLock { $0.listeners.map(\.address) } }

    /// How many event loops take client connections.
    public var threads: Int { loops.loops.count }

    /// The client connections open on each loop, every listener's together, in loop order.
    public func clientConnectionsPerLoop() async -> [Int] {
        let all = state.withLock { $0.listeners }
        var counts: [Int] = []
        for loop in loops.loops {
            let states = all.compactMap { $0.states[ObjectIdentifier(loop)] }
            counts.append((try? await loop.submit { states.reduce(0) { $0 + $1.value.connections.count } }.get()) ?? 0)
        }
        return counts
    }

    private init(pool: ClusterPool, limits: ThriftLimits, loops: ListenerLoops, listeners: [Listener]) {
        self.pool = pool
        self.limits = limits
        self.loops = loops
        state = Mutex(ServerState(listeners: listeners))
    }

    /// Binds every listener, or none: a port that cannot be bound fails the start with an error
    /// naming the address, and the listeners already bound are closed. May come before
    /// `pool.start()`, so a bad port stops everything before a node is contacted (calls that
    /// arrive before the pool runs are answered "no routable node").
    ///
    /// `group`: the event loops for client connections (the pool's may be one of them); nil: the
    /// pool's loop alone when `threads` (by default the config's `[proxy] threads`, else one per
    /// core) is 1, else a group of that many loops the proxy makes and shuts down.
    public static func start(pool: ClusterPool, listeners: [ListenerConfig], limits: ThriftLimits = .default,
                             group: MultiThreadedEventLoopGroup? = nil, threads: Int? = nil) async throws -> ProxyServer {
        let loops = try await ListenerLoops.start(pool: pool, group: group, threads: max(1, threads ?? pool.config.proxy.threadCount))
        var bound: [Listener] = []
        do {
            for config in listeners {
                bound.append(try await bind(config, tls: try await loadTLS(config), pool: pool, loops: loops, limits: limits))
            }
        } catch {
            for listener in bound { try? await listener.server.close() }
            await loops.shutdown(pool: pool)
            throw error
        }
        return ProxyServer(pool: pool, limits: limits, loops: loops, listeners: bound)
    }

    /// A listener's certificate and key read (off the loop), before anything binds or closes:
    /// a file that cannot be used is named with the listener's address.
    private static func loadTLS(_ config: ListenerConfig) async throws -> ReloadableTLSContext? {
        guard let files = config.tls else { return nil }
        do {
            return try await ReloadableTLSContext.load(files)
        } catch {
            throw ProxyStartError(address: config.address.description, reason: "\(error)")
        }
    }

    private static func bind(_ config: ListenerConfig, tls: ReloadableTLSContext?, pool: ClusterPool, loops: ListenerLoops,
                             limits: ThriftLimits) async throws -> Listener {
        // The states exist before the first connection is accepted; the bound address (which
        // labels the metrics) is theirs once known.
        let pending = ListenerStates()
        let channel: any Channel
        do {
            channel = try await bootstrap(config: config, states: pending, tls: tls, loops: loops, limits: limits)
                .bind(host: config.address.host, port: config.address.port).get()
        } catch {
            throw ProxyStartError(address: config.address.description, reason: ErrorText.describe(error))
        }
        let address = NodeAddress(channel.localAddress) ?? config.address
        let shared = ListenerShared(pool: pool, config: config, boundAddress: address.description)
        var states: [ObjectIdentifier: NIOLoopBound<ListenerState>] = [:]
        for (loop, entry) in zip(loops.loops, loops.entries) {
            states[ObjectIdentifier(loop)] = try await loop.submit { NIOLoopBound(ListenerState(shared: shared, entry: entry), eventLoop: loop) }.get()
        }
        pending.set(states)
        return Listener(config: config, server: channel, shared: shared, states: states, address: address, tls: tls)
    }

    private static func bootstrap(config: ListenerConfig, states: ListenerStates,
                                  tls: ReloadableTLSContext?, loops: ListenerLoops, limits: ThriftLimits) -> ServerBootstrap {
        ServerBootstrap(group: loops.loops[0], childGroup: loops.childGroup)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // Thousands of idle clients must stay cheap: start each small, grow with the calls.
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // A connection accepted while the listener was still binding has no state yet.
                    guard let listener = states.state(on: channel.eventLoop), listener.admit(channel) else {
                        channel.close(promise: nil)
                        return
                    }
                    let peer = NodeAddress(channel.remoteAddress)?.description ?? "?"
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(IdleStateHandler(readTimeout: config.idleTimeout))
                    try ListenerTLS.addHandlers(to: channel, tls: tls, listener: listener, peer: peer)
                    try sync.addHandler(ListenerWireSniffer(config: config, limits: limits))
                    try sync.addHandler(DownstreamHandler(listener: listener, peer: peer))
                }
            }
    }

    /// Each of the listener's loops runs `body` on its own state; the results, as futures on the pool's loop.
    private static func onEveryLoop<T: Sendable>(_ listeners: [Listener], _ body: @escaping @Sendable (ListenerState) -> EventLoopFuture<T>) -> [EventLoopFuture<T>] {
        listeners.flatMap { listener in
            listener.states.values.map { state in state.eventLoop.flatSubmit { body(state.value) } }
        }
    }

    /// Stops accepting, lets calls in flight finish for up to `grace` (each client connection
    /// closes once its own are answered; calls that arrive meanwhile are refused by name), then
    /// closes every client connection left. Returns how many calls were still in flight when the grace ran out.
    @discardableResult
    public func shutdown(grace: TimeAmount) async -> Int {
        let (all, retiring) = state.withLock { state in
            state.shuttingDown = true
            defer { state.listeners = [] }
            return (state.listeners, state.retiring)
        }
        for listener in all { try? await listener.server.close() }
        var left = await Self.closeGracefully(all, grace: grace, on: pool.eventLoop)
        // Listeners a reload removed finish closing before their loops stop.
        for task in retiring { left += await task.value }
        await loops.shutdown(pool: pool)
        return left
    }

    /// Drains `listeners` on every loop, waits until their calls are answered or `grace` ran out,
    /// then closes what is left; returns how many calls were still in flight then.
    private static func closeGracefully(_ listeners: [Listener], grace: TimeAmount, on loop: any EventLoop) async -> Int {
        let quiet = onEveryLoop(listeners) { state in
            state.drain()
            return state.whenQuiet()
        }
        let done = loop.makePromise(of: Void.self)
        let timer = loop.scheduleTask(in: grace) { done.succeed(()) }
        EventLoopFuture.andAllComplete(quiet, on: loop).whenComplete { _ in
            timer.cancel()
            done.succeed(())
        }
        try? await done.futureResult.get()
        let counts = onEveryLoop(listeners) { state in state.loop.makeSucceededFuture(state.callsInFlight) }
        var left = 0
        for count in counts { left += (try? await count.get()) ?? 0 }
        for closing in onEveryLoop(listeners, { $0.closeAll() }) { try? await closing.get() }
        for listener in listeners { listener.shared.metrics.destroy() }
        return left
    }
}

/// A listener that could not start.
public struct ProxyStartError: Error, Sendable, CustomStringConvertible {
    public var address: String
    public var reason: String
    public var description: String { "cannot listen on \(address): \(reason)" }
}

extension ProxyServer: ReloadParticipant {
    /// Binds the config's listeners that are not bound yet (one that cannot be is left out,
    /// named in the outcome, and tried again at the next reload) and closes the ones no longer
    /// in it: they stop accepting at once, their client connections close once their calls in
    /// flight are answered (cut off after `[proxy] shutdown_grace_s`). Unchanged ones are
    /// untouched, but a TLS listener reads its certificate and key again (at new paths, if the
    /// config names others): connections accepted from now on get them, open ones keep theirs.
    /// A file that fails to read is named in the outcome and changes nothing: a kept listener
    /// keeps its certificate, and a listener whose new settings need it goes on as it was.
    public func reload(_ config: ClusterConfig, into outcome: inout ReloadOutcome) async {
        guard let running = state.withLock({ $0.shuttingDown ? nil : $0.listeners }) else {
            outcome.notApplied.append("listeners: the proxy is shutting down")
            return
        }
        var (plan, unmatched) = Self.match(config.listeners, to: running)
        // New certificates are read before anything closes, so that one that cannot be read
        // leaves the listener it would have replaced (on the same address) running.
        var contexts: [Int: ReloadableTLSContext] = [:]
        var unreadable: Set<Int> = []
        for (index, step) in plan.enumerated() where step.running == nil {
            do {
                contexts[index] = try await Self.loadTLS(step.wanted)
            } catch {
                unreadable.insert(index)
                var why = "\(error)"
                if let old = unmatched.firstIndex(where: { $0.config.address == step.wanted.address }) {
                    plan[index].running = unmatched.remove(at: old)
                    why += "; it goes on with the settings in force"
                }
                outcome.notApplied.append(why)
            }
        }
        for listener in unmatched {
            // Closed before the new ones bind: a listener whose settings changed keeps its port.
            try? await listener.server.close()
            retire(listener, grace: config.proxy.shutdownGrace)
            outcome.listenersRemoved.append(listener.address.description)
            pool.logEvent(.info, .proxy, "stopped listening on \(listener.address) (reload)")
        }
        var next: [Listener] = []
        for (index, step) in plan.enumerated() {
            if var listener = step.running {
                if Self.keeps(listener.config, as: step.wanted), await rereadTLS(of: listener, files: step.wanted.tls, into: &outcome) {
                    listener.config = step.wanted
                }
                next.append(listener)
                continue
            }
            guard !unreadable.contains(index) else { continue }
            do {
                let listener = try await Self.bind(step.wanted, tls: contexts[index], pool: pool, loops: loops, limits: limits)
                next.append(listener)
                outcome.listenersAdded.append(listener.address.description)
                pool.logEvent(.info, .proxy, "listening on \(listener.address) (reload)")
            } catch {
                outcome.notApplied.append("\(error)")
            }
        }
        let late = state.withLock { state -> Bool in
            guard !state.shuttingDown else { return true }
            state.listeners = next
            return false
        }
        if late {
            // A shutdown began meanwhile and took the listeners it found: these close now.
            let added = next.filter { listener in !running.contains { $0.server === listener.server } }
            for listener in added { try? await listener.server.close() }
            _ = await Self.closeGracefully(added, grace: .zero, on: pool.eventLoop)
            return
        }
        await pool.setListeners(next.map(\.address.description))
    }

    /// Pairs each wanted entry with the running listener that takes it as it is, an identical
    /// one first (two alike on port 0 are two listeners), else one that differs only in its TLS
    /// paths; what is left of the running ones is to close.
    private static func match(_ wanted: [ListenerConfig], to running: [Listener]) -> (plan: [(wanted: ListenerConfig, running: Listener?)], unmatched: [Listener]) {
        var left = running
        var plan: [(wanted: ListenerConfig, running: Listener?)] = wanted.map { entry in
            (entry, left.firstIndex { $0.config == entry }.map { left.remove(at: $0) })
        }
        for index in plan.indices where plan[index].running == nil {
            plan[index].running = left.firstIndex { keeps($0.config, as: plan[index].wanted) }.map { left.remove(at: $0) }
        }
        return (plan, left)
    }

    /// Whether a bound listener takes `wanted` as it is: the same settings but perhaps the paths
    /// of its TLS files. Turning TLS on or off binds it anew.
    private static func keeps(_ running: ListenerConfig, as wanted: ListenerConfig) -> Bool {
        guard (running.tls == nil) == (wanted.tls == nil) else { return false }
        var running = running, wanted = wanted
        running.tls = nil
        wanted.tls = nil
        return running == wanted
    }

    /// Reads a kept TLS listener's files again, at `files` (its paths in the new config);
    /// whether they are in force now.
    private func rereadTLS(of listener: Listener, files: ServerTLSFiles?, into outcome: inout ReloadOutcome) async -> Bool {
        guard let tls = listener.tls, let files else { return true }
        do {
            try await tls.reread(files)
            outcome.tlsFilesReread.append("listener \(listener.address)")
            return true
        } catch {
            outcome.notApplied.append("listener \(listener.address): \(error); its certificate in force stays")
            return false
        }
    }

    /// A removed listener's client connections: each closes once its calls are answered; any
    /// left after `grace` are closed.
    private func retire(_ listener: Listener, grace: TimeAmount) {
        let loop = pool.eventLoop
        let task = Task { await Self.closeGracefully([listener], grace: grace, on: loop) }
        state.withLock { $0.retiring.append(task) }
    }
}
