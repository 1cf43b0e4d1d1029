import ClusterPool
import NIOPosix
import ThriftProxy

/// Re-reads the cluster file of a running pool and applies it to the pool and its listeners:
/// `serve` on SIGHUP, `POST /v1/reload`, the dashboard's `:reload`. A file that does not read
/// or parse is refused with its `FILE:LINE: key: message`, and the config in force stays.
struct ConfigReloader: Sendable {
    let path: String
    let pool: ClusterPool
    let proxy: ProxyServer

    func reload(user: String? = nil) async -> ReloadOutcome {
        let path = self.path
        // Read on NIO's thread pool, as the operator state is: a slow disk holds up no task.
        let config: ClusterConfig
        do {
            config = try await NIOThreadPool.singleton.runIfActive { try ClusterLoading.config(path) }
        } catch {
            return await pool.refuseReload("\(error)", user: user)
        }
        return await pool.reload(config, user: user, also: [proxy])
    }
}
