import NIOConcurrencyHelpers
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
    public func reload(_ files: ServerTLSFiles) throws {
        let context = try files.makeContext()
        state.withLockedValue { $0 = (files, context) }
    }
}
