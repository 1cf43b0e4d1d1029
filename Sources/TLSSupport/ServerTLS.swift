import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// A TLS server's files (a listener's or the admin endpoint's): its certificate and key, and the
/// CA whose client certificates it requires, if any.
public struct ServerTLSFiles: Sendable, Equatable {
    public var certFile: String
    public var keyFile: String
    /// Set: every client must present a certificate this CA signed (mTLS).
    public var clientCAFile: String?

    public init(certFile: String, keyFile: String, clientCAFile: String? = nil) {
        self.certFile = certFile
        self.keyFile = keyFile
        self.clientCAFile = clientCAFile
    }

    /// Reads the files (blocking disk I/O: not on an event loop) into a context, TLS 1.2 or newer.
    public func makeContext() throws -> NIOSSLContext {
        let (chain, key) = try TLSFiles.identity(certFile: certFile, keyFile: keyFile)
        var configuration: TLSConfiguration
        if let clientCAFile {
            let roots = try TLSFiles.certificates(clientCAFile, key: "tls_client_ca_file")
            configuration = .makeServerConfigurationWithMTLS(certificateChain: chain, privateKey: key, trustRoots: .certificates(roots))
            // Clients pick their certificate by it; and the name check is ours to skip: a client
            // is known by its CA, not its address.
            configuration.sendCANameList = true
        } else {
            configuration = .makeServerConfiguration(certificateChain: chain, privateKey: key)
        }
        configuration.minimumTLSVersion = .tlsv12
        return try TLSFiles.context(configuration, certFile: certFile, keyFile: keyFile)
    }
}

/// A server's TLS context that a reload replaces: connections accepted afterwards handshake with
/// the new files, and connections already open keep the context they began with (each holds its
/// own reference), so none is dropped.
public final class ReloadableTLSContext: Sendable {
    private let state: NIOLockedValueBox<(files: ServerTLSFiles, context: NIOSSLContext)>

    public init(files: ServerTLSFiles) throws {
        state = NIOLockedValueBox((files, try files.makeContext()))
    }

    /// The context for the next handshake.
    public var current: NIOSSLContext { state.withLockedValue { $0.context } }
    public var files: ServerTLSFiles { state.withLockedValue { $0.files } }

    /// Reads `files` again (blocking disk I/O). On an error the old context stays in force.
    private func reload(_ files: ServerTLSFiles) throws {
        let context = try files.makeContext()
        state.withLockedValue { $0 = (files, context) }
    }

    /// Reads `files` into a context on NIO's thread pool: disk I/O stays off the event loops.
    public static func load(_ files: ServerTLSFiles) async throws -> ReloadableTLSContext {
        try await NIOThreadPool.singleton.runIfActive { try ReloadableTLSContext(files: files) }
    }

    /// `reload(files)` on NIO's thread pool, for the connections accepted from now on.
    public func reread(_ files: ServerTLSFiles) async throws {
        try await NIOThreadPool.singleton.runIfActive { try self.reload(files) }
    }

    /// Adds the front of a new TLS server connection's pipeline, before what reads the
    /// plaintext: a sniff of the first bytes (a plaintext client goes to `plaintextClient`,
    /// which answers or reports it and closes), then — for a TLS client — a
    /// `NIOSSLServerHandler` with the context in force at that moment and a guard that reports
    /// a handshake failed or not finished within `handshakeTimeout` once, and closes.
    public func addServerHandlers(to channel: any Channel, handshakeTimeout: TimeAmount,
                                  plaintextClient: @escaping (ChannelHandlerContext) -> Void,
                                  handshakeFailed: @escaping (TLSHandshakeFailure) -> Void) throws {
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(TLSSniffHandler(expectingTLS: true, matched: { context in
            try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: self.current), position: .after(context.handler))
        }, mismatched: plaintextClient))
        try sync.addHandler(TLSHandshakeGuard(timeout: handshakeTimeout, report: handshakeFailed))
    }
}
