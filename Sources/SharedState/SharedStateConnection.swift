import AsyncHTTPClient
import ClusterModel
import ClusterPool
import EtcdClient
import Foundation
import NIOCore
import NIOPosix

/// A pool's link to its shared state store as the config's `[state]` sets it: the HTTP client,
/// the etcd client and the authority, opened before the pool starts and closed after it stops.
/// `serve` and the dashboard open it the same way.
public final class SharedStateConnection: Sendable {
    public let authority: EtcdOperatorAuthority
    private let http: HTTPClient

    private init(authority: EtcdOperatorAuthority, http: HTTPClient) {
        self.authority = authority
        self.http = http
    }

    /// nil for `store = "file"`. Throws what stops a start: a bad endpoint or password file,
    /// credentials etcd refuses. An unreachable etcd does not stop it. Its I/O runs on NIO's
    /// shared threads, never on the pool's loop (which heartbeats and routes).
    public static func open(for pool: ClusterPool) async throws -> SharedStateConnection? {
        let config = pool.config
        let state = config.state
        guard state.store == .etcd else { return nil }
        let endpoints = try state.endpoints.map(EtcdEndpoint.init(parsing:))
        var credentials: EtcdCredentials?
        if let user = state.username, let file = state.passwordFile {
            credentials = EtcdCredentials(username: user, password: try Self.password(file))
        }
        let keys = SharedKeys(prefix: state.keyPrefix(cluster: config.name))
        let http = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: EtcdClient.httpConfiguration)
        let client = EtcdClient(endpoints: endpoints, credentials: credentials, http: http)
        let settings = EtcdOperatorAuthority.Settings(keys: keys, location: "\(state.endpoints.joined(separator: ",")) \(keys.prefix)", cacheFile: config.stateFile)
        do {
            let authority = try await EtcdOperatorAuthority.connect(pool: pool, client: client, settings: settings)
            return SharedStateConnection(authority: authority, http: http)
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    public func close() async {
        await authority.stop()
        try? await http.shutdown()
    }

    /// The first line of a file only its owner can read (`SecretFile`'s rule).
    static func password(_ path: String) throws -> String {
        let text: String
        do {
            text = try SecretFile.read(path, what: "[state] password_file")
        } catch let failure as SecretFile.Failure {
            throw EtcdOperatorAuthority.StartError(description: failure.description)
        }
        guard let line = text.split(whereSeparator: \.isNewline).first.map(String.init), !line.isEmpty else {
            throw EtcdOperatorAuthority.StartError(description: "[state] password_file \(path) is empty: its first line is the etcd user's password")
        }
        return line
    }
}
