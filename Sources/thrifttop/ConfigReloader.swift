import ClusterPool
import NIOPosix
import SharedState
import ThriftProxy

/// Re-reads the cluster file of a running pool and applies it to the pool and its listeners
/// (and the shared state connection reads its TLS files again): `serve` on SIGHUP,
/// `POST /v1/reload`, the dashboard's `:reload`. A file that does not read or parse is refused
/// with its `FILE:LINE: key: message`, and the config in force stays.
struct ConfigReloader: Sendable {
    let path: String
    let pool: ClusterPool
    let proxy: ProxyServer
    let sharedState: SharedStateConnection?

    func reload(user: String? = nil) async -> ReloadOutcome {
        let path = self.path
        // Read on NIO's thread pool, as the operator state is: a slow disk holds up no task.
        let config: ClusterConfig
        do {
            config = try await NIOThreadPool.singleton.runIfActive { try ClusterLoading.config(path) }
        } catch {
            return await pool.refuseReload("\(error)", user: user)
        }
        let participants: [any ReloadParticipant] = [proxy] + (sharedState.map { [$0] } ?? [])
        return await pool.reload(config, user: user, also: participants)
    }
}
