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
    /// The way in for calls taken on `loop`: the pool itself on its own loop, else that loop's
    /// router (made the first time; one per loop however many proxies use it), which the pool
    /// keeps up to date until the last of them drops it (`dropEntries`).
    public func entry(on loop: any EventLoop) async throws -> CallEntry {
        if loop === eventLoop { return CallEntry(loop: loop, pool: self, remote: nil) }
        if let known = remoteRouters.withLockedValue({ Self.use(&$0, on: loop) }) {
            return CallEntry(loop: loop, pool: self, remote: known.router)
        }
        let pool = self, poolLoop = eventLoop
        let seed = options.seed &+ UInt64(remoteRouters.withLockedValue { $0.all.count } + 1)
        let config = self.config, tick = options.tick
        let made = try await loop.submit {
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
        let remote = RemoteRouter(loop: loop, router: made)
        // Another entry for this loop may have been made meanwhile: the first one made stays.
        let existing = remoteRouters.withLockedValue { routers -> RemoteRouter? in
            if let known = Self.use(&routers, on: loop) { return known }
            routers.all.append(remote)
            routers.users[ObjectIdentifier(remote)] = 1
            return nil
        }
        if let existing {
            _ = try? await loop.submit { made.value.stop() }.get()
            return CallEntry(loop: loop, pool: self, remote: existing.router)
        }
        // A running pool publishes to it now; one that starts later adopts it then.
        let published = try await eventLoop.submit { [self] () -> EventLoopFuture<Void>? in
            guard let core = core.value else { return nil }
            if !core.published.remote.contains(where: { $0 === remote }) { core.published.remote.append(remote) }
            return EventLoopFuture.andAllComplete(core.publishRouting(), on: poolLoop)
        }.get()
        try await published?.get()
        return CallEntry(loop: loop, pool: self, remote: made)
    }

    /// The router of `loop`, counted as used once more; nil when there is none yet.
    private static func use(_ routers: inout RemoteRouters, on loop: any EventLoop) -> RemoteRouter? {
        guard let known = routers.all.first(where: { $0.loop === loop }) else { return nil }
        routers.users[ObjectIdentifier(known), default: 0] += 1
        return known
    }

    /// A proxy on `loops` is done with them (it shuts down, and must call this before it shuts
    /// the loops down): the routers no other proxy uses stop — their call connections close,
    /// calls waiting for one fail — and the pool publishes to them no more.
    public func dropEntries(on loops: [any EventLoop]) async {
        let dropped = remoteRouters.withLockedValue { routers -> [RemoteRouter] in
            var dropped: [RemoteRouter] = []
            for remote in routers.all where loops.contains(where: { $0 === remote.loop }) {
                let id = ObjectIdentifier(remote)
                let left = (routers.users[id] ?? 1) - 1
                routers.users[id] = left > 0 ? left : nil
                if left <= 0 { dropped.append(remote) }
            }
            routers.all.removeAll { remote in dropped.contains { $0 === remote } }
            return dropped
        }
        guard !dropped.isEmpty else { return }
        try? await eventLoop.submit { [self] in
            core.value?.published.remote.removeAll { remote in dropped.contains { $0 === remote } }
        }.get()
        for remote in dropped {
            let closing = try? await remote.loop.submit { remote.router.value.stop() }.get()
            for future in closing ?? [] { try? await future.get() }
        }
    }
}
