import AsyncHTTPClient
import ClusterModel
import ClusterPool
import EtcdClient
import Foundation
import NIOCore
import NIOPosix
import TLSSupport

/// A pool's link to its shared state store as the config's `[state]` sets it: the HTTP client,
/// the etcd client and the authority, opened before the pool starts and closed after it stops.
/// `serve` and the dashboard open it the same way. A reload reads its TLS files again.
public final class SharedStateConnection: Sendable {
    public let authority: EtcdOperatorAuthority
    private let http: HTTPClient
    private let client: EtcdClient
    /// The `[state]` in force: changing it needs a restart, so a reload reads these files again.
    private let state: StateSettings
    private let pool: ClusterPool

    private init(authority: EtcdOperatorAuthority, http: HTTPClient, client: EtcdClient, state: StateSettings, pool: ClusterPool) {
        self.authority = authority
        self.http = http
        self.client = client
        self.state = state
        self.pool = pool
    }

    /// nil for `store = "file"`. Throws what stops a start: a bad endpoint, password or TLS
    /// file, credentials etcd refuses, a TLS failure (a certificate not trusted, expired or for
    /// another name, a client certificate etcd wants or refuses). An unreachable etcd does not
    /// stop it. Its I/O runs on NIO's shared threads, never on the pool's loop (which heartbeats
    /// and routes).
    public static func open(for pool: ClusterPool) async throws -> SharedStateConnection? {
        let config = pool.config
        let state = config.state
        guard state.store == .etcd else { return nil }
        let endpoints = try state.endpoints.map(EtcdEndpoint.init(parsing:))
        var credentials: EtcdCredentials?
        if let user = state.username, let file = state.passwordFile {
            credentials = EtcdCredentials(username: user, password: try Self.password(file))
        }
        var tls: EtcdTLS?
        if endpoints.contains(where: \.isTLS) {
            do {
                tls = try await StateTLS.load(state)
            } catch let error as TLSFileError {
                throw EtcdOperatorAuthority.StartError(description: error.description)
            }
        }
        let keys = SharedKeys(prefix: state.keyPrefix(cluster: config.name))
        let http = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: EtcdClient.httpConfiguration)
        let client = EtcdClient(endpoints: endpoints, credentials: credentials, http: http, tls: tls)
        let settings = EtcdOperatorAuthority.Settings(keys: keys, location: "\(state.endpoints.joined(separator: ",")) \(keys.prefix)", cacheFile: config.stateFile)
        do {
            let authority = try await EtcdOperatorAuthority.connect(pool: pool, client: client, settings: settings)
            return SharedStateConnection(authority: authority, http: http, client: client, state: state, pool: pool)
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

extension SharedStateConnection: ReloadParticipant {
    /// `[state]` itself needs a restart (the pool's reload says so when it changed), but its TLS
    /// files are read again: new connections to etcd use renewed certificates, while requests
    /// and the watch under way keep theirs. A file that cannot be used is named in the outcome,
    /// and the certificates read before stay in use.
    public func reload(_ config: ClusterConfig, into outcome: inout ReloadOutcome) async {
        guard client.endpoints.contains(where: \.isTLS) else { return }
        do {
            if client.replaceTLS(try await StateTLS.load(state)) {
                pool.logEvent(.notice, .config, "[state] TLS files read again: new connections to etcd use them")
            }
            outcome.tlsFilesReread.append("[state] etcd")
        } catch {
            outcome.notApplied.append("\(error) (connections to etcd keep the certificates read before)")
        }
    }
}
