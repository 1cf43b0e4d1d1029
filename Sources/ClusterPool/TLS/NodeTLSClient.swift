import ClusterModel
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import TLSSupport

/// The client side of one TLS setting (nodes with the same `tls_*` keys share it): the context
/// every handshake of theirs uses, made from the files when the pool starts or reloads (so a
/// reload's new handshakes use renewed files, and open connections keep theirs).
public final class NodeTLSClient: Sendable {
    public let settings: NodeTLSSettings
    let context: NIOSSLContext
    /// Handshakes in which a server asked for a client certificate. BoringSSL's certificate
    /// callback runs only then, but is told nothing of the connection: a handshake compares the
    /// count before and after (another handshake of the same setting could blur it, rarely).
    private let certificateRequests: NIOLockedValueBox<Int>

    /// Reads the files (blocking disk I/O: not on an event loop).
    public init(settings: NodeTLSSettings) throws {
        self.settings = settings
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = settings.minimumVersion == .tls13 ? .tlsv13 : .tlsv12
        if let caFile = settings.caFile {
            configuration.trustRoots = .certificates(try TLSFiles.certificates(caFile, key: "tls_ca_file"))
        }
        if let certFile = settings.certFile, let keyFile = settings.keyFile {
            (configuration.certificateChain, configuration.privateKey) = try TLSFiles.identity(certFile: certFile, keyFile: keyFile)
        }
        configuration.certificateVerification = settings.insecureSkipVerify ? .none : .fullVerification
        let requests = NIOLockedValueBox(0)
        configuration.sslContextCallback = { _, promise in
            requests.withLockedValue { $0 += 1 }
            promise.succeed(.noChanges)
        }
        certificateRequests = requests
        context = try TLSFiles.context(configuration, certFile: settings.certFile, keyFile: settings.keyFile)
    }

    var certificateRequestCount: Int { certificateRequests.withLockedValue { $0 } }
}

/// Every TLS setting of a config, each made once.
public struct NodeTLSClients: Sendable {
    private var clients: [NodeTLSSettings: NodeTLSClient] = [:]

    public init() {}

    /// Reads every TLS node's files; a bad one names the first node that uses it.
    public init(config: ClusterConfig) throws {
        for node in config.nodes {
            guard let settings = node.settings.tls, clients[settings] == nil else { continue }
            do {
                clients[settings] = try NodeTLSClient(settings: settings)
            } catch {
                let users = config.nodes.filter { $0.settings.tls == settings }.count
                throw NodeTLSFileError(node: node.name, othersUsingIt: users - 1, underlying: "\(error)")
            }
        }
    }

    public subscript(settings: NodeTLSSettings?) -> NodeTLSClient? {
        settings.flatMap { clients[$0] }
    }
}

/// A node's TLS files could not be read: nothing starts (or the reload is refused).
public struct NodeTLSFileError: Error, Sendable, CustomStringConvertible {
    public var node: String
    public var othersUsingIt: Int
    public var underlying: String

    public var description: String {
        "node \"\(node)\"\(othersUsingIt > 0 ? " (and \(othersUsingIt) more with the same tls_* keys)" : ""): \(underlying)"
    }
}

/// What a completed handshake showed: shown in the node's detail, its expiry in metrics.
public struct TLSSession: Sendable, Equatable {
    public var version: String?
    public var certificate: PeerCertificate?
    /// The server sent a CertificateRequest (TLS 1.3 servers that require one refuse only later).
    public var clientCertificateRequested = false
}
