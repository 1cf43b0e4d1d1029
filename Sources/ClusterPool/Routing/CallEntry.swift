import ClusterModel
import NIOCore

/// A proxy's way into the pool on one event loop: calls forwarded through it are routed on that
/// loop, over that loop's connections to the nodes, with the balancer state the pool last
/// published (`RoutingView`). On the pool's own loop it is the pool itself. Use it on its loop
/// only.
public final class CallEntry: Sendable {
    public let loop: any EventLoop
    private let pool: ClusterPool
    /// Nil on the pool's loop.
    private let remote: NIOLoopBound<CallRouter>?

    init(loop: any EventLoop, pool: ClusterPool, remote: NIOLoopBound<CallRouter>?) {
        self.loop = loop
        self.pool = pool
        self.remote = remote
    }

    /// Routes one forwarded call (see `ClusterPool.forward`); `completion` runs on this loop.
    public func forward(_ call: ForwardedCall, completion: @escaping (Result<PoolReply, any Error>) -> Void) {
        guard let remote else { return pool.forward(call, completion: completion) }
        remote.value.forward(call, completion: completion)
    }

    /// Why `group` (nil: the whole cluster) has no node for a call on this loop now.
    public func unroutableSummary(group: String?) -> String {
        guard let remote else { return pool.unroutableSummary(group: group) }
        return remote.value.unroutableSummary(group: group)
    }
}

extension ClusterPool {
    /// The way in for calls taken on `loop`: the pool itself on its own loop, else a router of
    /// that loop's own (made once per loop), which the pool keeps up to date from now on.
    public func entry(on loop: any EventLoop) async throws -> CallEntry {
        if loop === eventLoop { return CallEntry(loop: loop, pool: self, remote: nil) }
        if let known = remoteRouters.withLockedValue({ $0.first { $0.loop === loop } }) {
            return CallEntry(loop: loop, pool: self, remote: known.router)
        }
        let pool = self, poolLoop = eventLoop
        let seed = options.seed &+ UInt64(remoteRouters.withLockedValue { $0.count } + 1)
        let config = self.config, tick = options.tick
        let router = try await loop.submit {
            let batch = ReportBatch(loop: loop) { reports in
                poolLoop.execute {
                    guard let core = pool.core.value else { return }
                    for report in reports { core.record(report) }
                }
            }
            let router = try CallRouter(loop: loop, view: .empty(config), seed: seed, tick: tick, connector: PoolCore.tcpConnector,
                                        report: batch.add)
            router.startTicking()
            return NIOLoopBound(router, eventLoop: loop)
        }.get()
        let remote = RemoteRouter(loop: loop, router: router)
        remoteRouters.withLockedValue { $0.append(remote) }
        // A running pool publishes to it now; one that starts later adopts it then.
        let published = try await eventLoop.submit { [self] () -> EventLoopFuture<Void>? in
            guard let core = core.value else { return nil }
            if !core.remoteRouters.contains(where: { $0.loop === loop }) { core.remoteRouters.append(remote) }
            return EventLoopFuture.andAllComplete(core.publishRouting(), on: poolLoop)
        }.get()
        try await published?.get()
        return CallEntry(loop: loop, pool: self, remote: router)
    }
}

extension ClusterPool {
    /// The routers of `loops` (a proxy's own, about to shut down) stop: their call connections
    /// close, calls waiting for one fail, and the pool publishes to them no more.
    public func dropEntries(on loops: [any EventLoop]) async {
        let loops = loops.filter { $0 !== eventLoop }
        guard !loops.isEmpty else { return }
        let dropped = remoteRouters.withLockedValue { routers in
            let dropped = routers.filter { remote in loops.contains { $0 === remote.loop } }
            routers.removeAll { remote in loops.contains { $0 === remote.loop } }
            return dropped
        }
        try? await eventLoop.submit { [self] in
            core.value?.remoteRouters.removeAll { remote in loops.contains { $0 === remote.loop } }
        }.get()
        for remote in dropped {
            let closing = try? await remote.loop.submit { remote.router.value.stop() }.get()
            for future in closing ?? [] { try? await future.get() }
        }
    }
}
