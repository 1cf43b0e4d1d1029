import ClusterModel
import ClusterPool
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import TLSSupport

/// The admin endpoint over a running pool: its snapshot, operator commands, its Prometheus
/// metrics (when given them) and a liveness probe
/// over HTTP/1.1 (NIO's codec), on a Unix socket (mode 0600 in a 0700 directory; the peer's uid
/// is the operator in the audit log) and, when configured, on TCP with bearer tokens: loopback,
/// or any address over TLS (`[admin] tls_cert_file`, see `AdminTLS`).
/// `thrifttop serve` starts one; an embedder starts the same over its own `ClusterPool`.
///
///     let admin = try await AdminServer.start(pool: pool, settings: config.admin, group: group)
///     print(admin.socketPath ?? "-")      // /run/user/1000/thrifttop/prod.sock
///     await admin.stop()
public final class AdminServer: Sendable {
    public let socketPath: String?
    /// The TCP endpoint (the real port when the config said 0).
    public let tcpAddress: NodeAddress?
    /// The TCP endpoint's certificate (nil: plaintext or no TCP endpoint); a reload reads it again.
    let tls: ReloadableTLSContext?
    private let channels: [any Channel]
    private let connections: AdminConnections

    private init(socketPath: String?, tcpAddress: NodeAddress?, tls: ReloadableTLSContext?, channels: [any Channel], connections: AdminConnections) {
        self.socketPath = socketPath
        self.tcpAddress = tcpAddress
        self.tls = tls
        self.channels = channels
        self.connections = connections
    }

    /// Re-reads the cluster file for the operator named and applies it (`POST /v1/reload`): the
    /// server does not know the file, its starter does.
    public typealias Reload = @Sendable (_ user: String) async -> ReloadOutcome

    /// Binds what `settings` asks for, or nothing: any failure names the path or address and why.
    /// `streamKeepAlive`: how often an idle `/v1/stream` gets a comment line (tests shorten it).
    /// Without `reload`, `POST /v1/reload` is refused (nothing to re-read). `metrics` is what
    /// `GET /metrics` exports; nil: 404 there.
    public static func start(pool: ClusterPool, settings: AdminSettings, group: any EventLoopGroup,
                             reload: Reload? = nil, metrics: PrometheusMetrics? = nil,
                             streamKeepAlive: TimeAmount = .seconds(5)) async throws -> AdminServer {
        let routes = AdminRoutes(pool: pool, streams: AdminStreamHub(pool: pool, keepAlive: streamKeepAlive), reload: reload, metrics: metrics)
        let connections = AdminConnections()
        var channels: [any Channel] = []
        var socketPath: String?, tcpAddress: NodeAddress?, tls: ReloadableTLSContext?
        do {
            if settings.socketEnabled {
                let path = settings.socket ?? AdminSettings.defaultSocketPath(cluster: pool.config.name)
                try prepareSocket(path)
                let channel = try await bootstrap(group: group, connections) { channel in
                    peerCaller(of: channel).flatMapThrowing { caller in
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(AdminRequestHandler(routes: routes, identity: .peer(caller)))
                    }
                }.bind(unixDomainSocketPath: path).get()
                chmod(path, 0o600)
                channels.append(channel)
                socketPath = path
            }
            if let address = settings.address {
                guard let tokenFile = settings.tokenFile else {
                    throw AdminStartError(where: address.description, reason: "a TCP admin endpoint needs [admin] token_file")
                }
                let tokens = try AdminTokens.load(tokenFile, readOnly: false)
                    + (settings.readOnlyTokenFile.map { try AdminTokens.load($0, readOnly: true) } ?? [])
                if let files = settings.tls {
                    do {
                        tls = try await ReloadableTLSContext.load(files)
                    } catch {
                        throw AdminStartError(where: address.description, reason: "\(error)")
                    }
                }
                let channel: any Channel
                do {
                    channel = try await bootstrap(group: group, connections) { [tls] channel in
                        channel.eventLoop.makeCompletedFuture {
                            if let tls { try AdminTLS.addHandlers(to: channel, tls: tls, pool: pool) }
                            try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                            try channel.pipeline.syncOperations.addHandler(AdminRequestHandler(routes: routes, identity: .tokens(tokens)))
                        }
                    }.bind(host: address.host, port: address.port).get()
                } catch {
                    throw AdminStartError(where: address.description, reason: ErrorText.describe(error))
                }
                channels.append(channel)
                tcpAddress = NodeAddress(channel.localAddress) ?? address
            }
        } catch {
            for channel in channels { try? await channel.close() }
            if let socketPath { unlink(socketPath) }
            if let error = error as? AdminTokens.FileError { throw AdminStartError(where: "token_file", reason: error.description) }
            throw error
        }
        return AdminServer(socketPath: socketPath, tcpAddress: tcpAddress, tls: tls, channels: channels, connections: connections)
    }

    /// Closes the endpoints and every connection on them (attached dashboards see the daemon
    /// go), and removes the socket file.
    public func stop() async {
        for channel in channels { try? await channel.close() }
        for connection in connections.all { try? await connection.close() }
        if let socketPath { unlink(socketPath) }
    }

    private static func bootstrap(group: any EventLoopGroup, _ connections: AdminConnections,
                                  _ initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .childChannelInitializer { channel in
                connections.add(channel)
                return initializer(channel)
            }
    }

    /// The Unix socket's directory (0700, created if missing), and no other live instance on it:
    /// one that answers is never taken over; a stale file (nobody answers) is removed.
    static func prepareSocket(_ path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        var info = stat()
        if stat(directory, &info) != 0 {
            guard mkdir(directory, 0o700) == 0 || errno == EEXIST else {
                throw AdminStartError(where: path, reason: "cannot create \(directory): \(String(cString: strerror(errno)))")
            }
        } else if info.st_uid != getuid() {
            throw AdminStartError(where: path, reason: "\(directory) belongs to uid \(info.st_uid), not to this user; set [admin] socket to a path of your own")
        }
        guard access(path, F_OK) == 0 else { return }
        if isAnswering(path) {
            throw AdminStartError(where: path, reason: "another thrifttop answers on it; set [admin] socket = \"PATH\" to use another path (or socket = \"\" for none)")
        }
        unlink(path)
    }

    /// Whether something accepts connections on the Unix socket at `path`.
    static func isAnswering(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8.prefix(MemoryLayout.size(ofValue: address.sun_path) - 1))
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in bytes.enumerated() { raw[i] = byte }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0 }
        }
    }

    /// The local user at the other end of a Unix socket connection (SO_PEERCRED), named as every
    /// operator is (`OperatorIdentity`): "alice (uid 1000) on HOST".
    static func peerCaller(of channel: any Channel) -> EventLoopFuture<AdminCaller> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeSucceededFuture(AdminCaller(name: "unknown local user", mayAct: true))
        }
        let credentials: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SO_PEERCRED)
        return credentials.map { peer in
            AdminCaller(name: OperatorIdentity.local(uid: peer.uid, host: PoolOptions.hostName()), mayAct: true)
        }.recover { _ in AdminCaller(name: "unknown local user", mayAct: true) }
    }
}

/// Linux's `struct ucred` (which Swift's Glibc module does not show without _GNU_SOURCE): the
/// same three fields in the same layout.
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// The open connections of an endpoint, so that stopping it closes them too.
final class AdminConnections: Sendable {
    private let open = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) {
        open.withLockedValue { $0[ObjectIdentifier(channel)] = channel }
        channel.closeFuture.whenComplete { [open] _ in
            _ = open.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(channel)) }
        }
    }

    var all: [any Channel] { open.withLockedValue { Array($0.values) } }
}

/// The admin endpoint could not start.
public struct AdminStartError: Error, Sendable, CustomStringConvertible {
    public var `where`: String
    public var reason: String
    public var description: String { "admin endpoint \(`where`): \(reason)" }
}
