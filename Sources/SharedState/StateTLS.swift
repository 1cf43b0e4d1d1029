import ClusterPool
import EtcdClient
import NIOPosix
import NIOSSL
import TLSSupport

/// `[state]`'s TLS files (`tls_ca_file`, `tls_cert_file` + `tls_key_file`) read into memory as
/// the etcd client's TLS, at start and again on every reload, so that renewed files under the
/// same paths reach new connections. A file that cannot be used throws `TLSFileError` naming
/// the key and the path.
enum StateTLS {
    /// Reads on NIO's thread pool: a slow disk holds up no loop and no task.
    static func load(_ state: StateSettings) async throws -> EtcdTLS {
        try await NIOThreadPool.singleton.runIfActive { try read(state) }
    }

    static func read(_ state: StateSettings) throws -> EtcdTLS {
        var configuration = EtcdTLS.clientConfiguration()
        var trustSource = "the system trust store"
        if let caFile = state.tlsCAFile {
            configuration.trustRoots = .certificates(try TLSFiles.certificates(caFile, key: "[state] tls_ca_file"))
            trustSource = "[state] tls_ca_file \(caFile)"
        }
        var clientIdentity: String?
        if let certFile = state.tlsCertFile, let keyFile = state.tlsKeyFile {
            (configuration.certificateChain, configuration.privateKey) = try TLSFiles.identity(
                certFile: certFile, keyFile: keyFile, certKey: "[state] tls_cert_file", keyKey: "[state] tls_key_file")
            clientIdentity = "[state] tls_cert_file \(certFile)"
        }
        // A context made once now names a key that is not the certificate's here, not at the
        // first request (AsyncHTTPClient makes its own from the same configuration).
        _ = try TLSFiles.context(configuration, certFile: state.tlsCertFile, keyFile: state.tlsKeyFile, keyName: "[state] tls_key_file")
        return EtcdTLS(configuration: configuration, trustSource: trustSource, clientIdentity: clientIdentity)
    }
}
