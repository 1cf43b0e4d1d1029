import AsyncHTTPClient
import NIOSSL
import TLSSupport

/// How `thrifttop attach` talks to an `https://` admin endpoint: which CA it trusts (the
/// system store, or `--ca-file` instead of it) and, when the daemon requires client
/// certificates (`[admin] tls_client_ca_file`), which one it shows (`--cert-file`, `--key-file`).
public struct AdminClientTLS: Sendable, Equatable {
    public var caFile: String?
    public var certFile: String?
    public var keyFile: String?

    public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
    }

    /// Whether any of the three was given.
    public var isSet: Bool { caFile != nil || certFile != nil || keyFile != nil }

    /// What the daemon's certificate is checked against, as an error names it.
    var trust: String { caFile.map { "the CA in --ca-file \($0)" } ?? "a CA of the system trust store (give --ca-file for a private CA)" }

    /// The client's TLS settings, the files read now (blocking disk I/O); an error names the
    /// option and the file. In-memory certificates, so that AsyncHTTPClient's context cache
    /// tells files apart by content.
    public func configuration() throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let caFile { configuration.trustRoots = .certificates(try TLSFiles.certificates(caFile, key: "--ca-file")) }
        switch (certFile, keyFile) {
        case let (cert?, key?):
            (configuration.certificateChain, configuration.privateKey) = try TLSFiles.identity(
                certFile: cert, keyFile: key, certKey: "--cert-file", keyKey: "--key-file")
            // Built once here so that a key of another certificate is named now, not at the
            // first connection.
            _ = try TLSFiles.context(configuration, certFile: cert, keyFile: key, keyName: "--key-file")
        case let (cert?, nil):
            throw TLSFileError(key: "--cert-file", path: cert, problem: "needs --key-file too (the certificate's private key, PEM)")
        case let (nil, key?):
            throw TLSFileError(key: "--key-file", path: key, problem: "needs --cert-file too (the certificate this key belongs to, PEM)")
        case (nil, nil):
            break
        }
        return configuration
    }

    /// `problem(error)` when no retry fixes it: a certificate not trusted, not for the host or
    /// refused, TLS on one side only. What stops `attach` before the screen; a handshake that
    /// timed out or failed otherwise may pass (a busy or restarting daemon), so it is retried.
    func lastingProblem(_ error: any Error) -> String? {
        switch TLSReason(error) {
        case .hostnameMismatch, .certificateNotVerified, .notTLS, .peerAlert: problem(error)
        case nil, .version, .noSharedCipher, .closedDuringHandshake, .peerSentNoCertificate, .other: nil
        }
    }

    /// A TLS failure of a connection to the daemon in an operator's words; nil when `error` is
    /// not one.
    func problem(_ error: any Error) -> String? {
        if let error = error as? HTTPClientError, error == .tlsHandshakeTimeout {
            return "the TLS handshake timed out (a plaintext endpoint, or not a thrifttop admin endpoint?)"
        }
        switch TLSReason(error) {
        case .hostnameMismatch:
            return "the daemon's certificate is not for the host attached to (\(error))"
        case .certificateNotVerified:
            return "the daemon's certificate is not signed by \(trust), or it has expired or is not valid yet"
        case .notTLS:
            return "the daemon does not answer in TLS: likely a mismatch (a plaintext admin endpoint takes http://)"
        case let .peerAlert(alert) where alert == .certificateRequired || alert == .handshakeFailure:
            return certFile == nil
                ? "the daemon refused the handshake: it requires a client certificate (give --cert-file and --key-file)"
                : "the daemon refused the handshake (\(alert.words))"
        case .peerAlert:
            return "the daemon refused the client certificate of --cert-file \(certFile ?? "-") (not signed by its tls_client_ca_file, or expired)"
        case nil:
            return nil
        case .version, .noSharedCipher, .closedDuringHandshake, .peerSentNoCertificate, .other:
            if case NIOSSLError.handshakeFailed = error { return "the TLS handshake failed: \(error)" }
            return nil
        }
    }
}
