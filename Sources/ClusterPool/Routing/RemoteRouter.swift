import NIOCore

/// A router on one of a proxy's loops other than the pool's: the pool publishes views to it and
/// takes its reports. Known by identity: one per loop while some proxy uses it.
final class RemoteRouter: Sendable {
    let loop: any EventLoop
    let router: NIOLoopBound<CallRouter>

    init(loop: any EventLoop, router: NIOLoopBound<CallRouter>) {
        self.loop = loop
        self.router = router
    }
}

/// What the pool's loop has published to routers: the routers of a proxy's other loops, and the
/// counters a view carries.
struct RoutingPublication {
    var remote: [RemoteRouter] = []
    /// Moves on with each `RoutingView` published, and `layout` with each reload's nodes.
    var generation: UInt64 = 0
    var layout: UInt64 = 1
}

/// The remote routers of a pool, and how many proxies use each (`entry(on:)` adds one, `dropEntries` takes one).
struct RemoteRouters {
    var all: [RemoteRouter] = []
    var users: [ObjectIdentifier: Int] = [:]
}
