import ClusterPool
import NIOPosix
import Synchronization
import ThriftProxy

/// Re-reads the cluster file of a running pool and applies it to the pool and its listeners
/// (and to whatever else was included: the admin endpoint's and the shared state's TLS files): `serve` on SIGHUP,
/// `POST /v1/reload`, the dashboard's `:reload`. A file that does not read or parse is refused
/// with its `FILE:LINE: key: message`, and the config in force stays.
final class ConfigReloader: Sendable {
    let path: String
    let pool: ClusterPool
    let proxy: ProxyServer
    /// Started after the reloader (the admin endpoint is given it for `POST /v1/reload`).
    private let others = Mutex<[any ReloadParticipant]>([])

    init(path: String, pool: ClusterPool, proxy: ProxyServer) {
        self.path = path
        self.pool = pool
        self.proxy = proxy
    }

    /// Also reloads `participant`, after the listeners.
    func include(_ participant: any ReloadParticipant) {
        others.withLock { $0.append(participant) }
    }

    func reload(user: String? = nil) async -> ReloadOutcome {
        let path = self.path
        // Read on NIO's thread pool, as the operator state is: a slow disk holds up no task.
        let config: ClusterConfig
        do {
            config = try await NIOThreadPool.singleton.runIfActive { try ClusterLoading.config(path) }
        } catch {
            // One line for the event, the status row and the audit log: its problems joined.
            return await pool.refuseReload("\(error)".split(separator: "\n").joined(separator: "; "), user: user)
        }
        return await pool.reload(config, user: user, also: [proxy] + others.withLock { $0 })
    }
}
