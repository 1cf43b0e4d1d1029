import AdminServer
import ClusterModel
import ClusterPool
import NIOCore
import NIOPosix
import SharedState
import ThriftProxy

/// What a running pool answers on besides its nodes: the config's listeners and, when wanted,
/// the admin endpoint. `serve` and the dashboard start them the same way, in the same order.
struct PoolEndpoints {
    let proxy: ProxyServer
    let admin: AdminServer?
    /// Re-reads the cluster file (nil when the pool has none, as with --demo).
    let reloader: ConfigReloader?
    /// The shared operator state (`[state] store = "etcd"`); nil for the state file.
    let sharedState: SharedStateConnection?

    /// Binds the listeners and the admin endpoint, then starts the pool: a port or socket that
    /// cannot be bound stops everything before a node is contacted (and what was bound is
    /// closed again). The admin endpoint's `/metrics` exports `metrics`. The listeners' client
    /// connections take `group`'s loops in turn (the pool's is one of them: `[proxy] threads`).
    /// With a shared store, the shared state is read before the pool routes a call (or, with
    /// etcd unreachable, the cache; `startWithoutState` routes without either, loudly).
    static func start(_ pool: ClusterPool, admin wantsAdmin: Bool, configFile: String?, group: MultiThreadedEventLoopGroup,
                      metrics: PrometheusMetrics? = nil, startWithoutState: Bool = false) async throws -> PoolEndpoints {
        // Before any port is bound: credentials etcd refuses stop the start with nothing open.
        let sharedState = try await SharedStateConnection.open(for: pool)
        let proxy: ProxyServer
        do {
            proxy = try await ProxyServer.start(pool: pool, listeners: pool.config.listeners, group: group)
        } catch {
            await sharedState?.close()
            throw error
        }
        let reloader = configFile.map { ConfigReloader(path: $0, pool: pool, proxy: proxy) }
        if let sharedState { reloader?.include(sharedState) }
        var admin: AdminServer?
        do {
            if wantsAdmin {
                var reload: AdminServer.Reload?
                if let reloader { reload = { user in await reloader.reload(user: user) } }
                admin = try await AdminServer.start(pool: pool, settings: pool.config.admin, group: group, reload: reload, metrics: metrics)
                if let admin { reloader?.include(admin) }
            }
            try await pool.start()
            await sharedState?.authority.begin(startWithoutState: startWithoutState)
        } catch {
            await sharedState?.close()
            await admin?.stop()
            await proxy.shutdown(grace: .zero)
            throw error
        }
        await pool.setListeners(proxy.boundAddresses.map(\.description))
        for address in proxy.boundAddresses { pool.logEvent(.info, .proxy, "listening on \(address)") }
        return PoolEndpoints(proxy: proxy, admin: admin, reloader: reloader, sharedState: sharedState)
    }

    /// Stops accepting; calls in flight get up to `grace` to finish. Returns how many were cut off.
    @discardableResult
    func stop(grace: TimeAmount) async -> Int {
        let cutOff = await proxy.shutdown(grace: grace)
        await admin?.stop()
        await sharedState?.close()
        return cutOff
    }
}
