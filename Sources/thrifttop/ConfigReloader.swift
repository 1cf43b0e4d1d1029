import ClusterPool
import Dispatch
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
        // Read off the cooperative pool: a slow disk must not hold up anyone's tasks.
        let loaded = await withCheckedContinuation { (continuation: CheckedContinuation<Result<ClusterConfig, any Error>, Never>) in
            DispatchQueue.global().async { continuation.resume(returning: Result { try ClusterLoading.config(path) }) }
        }
        switch loaded {
        case let .success(config): return await pool.reload(config, user: user, also: [proxy])
        case let .failure(error): return await pool.refuseReload("\(error)", user: user)
        }
    }
}
