import ClusterModel
import ClusterPool
import NIOCore
import NIOPosix
import ThriftWire

/// The listeners of a cluster config over a running pool: Thrift clients connect to them, and
/// every call they send is routed through the pool's balancer on its own. Everything runs on
/// the pool's loop, so a call crosses no thread between client, balancer and node.
///
///     let proxy = try await ProxyServer.start(pool: pool, listeners: config.listeners)
///     print(proxy.boundAddresses)          // ["127.0.0.1:9090"]
///     await proxy.shutdown(grace: .seconds(10))
public final class ProxyServer: Sendable {
    private let pool: ClusterPool
    private let servers: [any Channel]
    private let states: [NIOLoopBound<ListenerState>]
    /// Where each listener listens, in config order (the real port when the config said 0).
    public let boundAddresses: [NodeAddress]

    private init(pool: ClusterPool, servers: [any Channel], states: [NIOLoopBound<ListenerState>], boundAddresses: [NodeAddress]) {
        self.pool = pool
        self.servers = servers
        self.states = states
        self.boundAddresses = boundAddresses
    }

    /// Binds every listener, or none: a port that cannot be bound fails the start with an error
    /// naming the address, and the listeners already bound are closed. May come before
    /// `pool.start()`, so a bad port stops everything before a node is contacted (calls that
    /// arrive before the pool runs are answered "no routable node").
    public static func start(pool: ClusterPool, listeners: [ListenerConfig], limits: ThriftLimits = .default) async throws -> ProxyServer {
        var servers: [any Channel] = []
        var states: [NIOLoopBound<ListenerState>] = []
        var addresses: [NodeAddress] = []
        do {
            for config in listeners {
                let bound = try await pool.eventLoop.submit {
                    NIOLoopBound(ListenerState(pool: pool, config: config), eventLoop: pool.eventLoop)
                }.get()
                let channel: any Channel
                do {
                    channel = try await bootstrap(pool: pool, config: config, state: bound, limits: limits)
                        .bind(host: config.address.host, port: config.address.port).get()
                } catch {
                    throw ProxyStartError(address: config.address.description, reason: ErrorText.describe(error))
                }
                let address = NodeAddress(channel.localAddress) ?? config.address
                try await pool.eventLoop.submit { bound.value.bound(to: address.description) }.get()
                servers.append(channel)
                states.append(bound)
                addresses.append(address)
            }
        } catch {
            for server in servers { try? await server.close() }
            throw error
        }
        return ProxyServer(pool: pool, servers: servers, states: states, boundAddresses: addresses)
    }

    private static func bootstrap(pool: ClusterPool, config: ListenerConfig, state: NIOLoopBound<ListenerState>,
                                  limits: ThriftLimits) -> ServerBootstrap {
        ServerBootstrap(group: pool.eventLoop)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // Thousands of idle clients must stay cheap: start each small, grow with the calls.
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let listener = state.value
                    guard listener.admit(channel) else {
                        channel.close(promise: nil)
                        return
                    }
                    let peer = NodeAddress(channel.remoteAddress)?.description ?? "?"
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(IdleStateHandler(readTimeout: config.idleTimeout))
                    try sync.addHandler(ByteToMessageHandler(ClientWireDecoder(listener: config, limits: limits)))
                    try sync.addHandler(DownstreamHandler(listener: listener, peer: peer))
                }
            }
    }

    /// Stops accepting, lets calls in flight finish for up to `grace` (each client connection
    /// closes once its own are answered; calls that arrive meanwhile are refused by name), then
    /// closes every client connection left. Returns how many calls were still in flight when the grace ran out.
    @discardableResult
    public func shutdown(grace: TimeAmount) async -> Int {
        for server in servers { try? await server.close() }
        let loop = pool.eventLoop
        let cutOff = try? await loop.flatSubmit { [states] () -> EventLoopFuture<Int> in
            let listeners = states.map(\.value)
            for listener in listeners { listener.drain() }
            let done = loop.makePromise(of: Void.self)
            let timer = loop.scheduleTask(in: grace) { done.succeed(()) }
            EventLoopFuture.andAllComplete(listeners.map { $0.whenQuiet() }, on: loop).whenComplete { _ in
                timer.cancel()
                done.succeed(())
            }
            return done.futureResult.flatMap {
                let listeners = states.map(\.value)
                let left = listeners.reduce(0) { $0 + $1.callsInFlight }
                return EventLoopFuture.andAllComplete(listeners.map { $0.closeAll() }, on: loop).map { left }
            }
        }.get()
        return cutOff ?? 0
    }
}

/// A listener that could not start.
public struct ProxyStartError: Error, Sendable, CustomStringConvertible {
    public var address: String
    public var reason: String
    public var description: String { "cannot listen on \(address): \(reason)" }
}
