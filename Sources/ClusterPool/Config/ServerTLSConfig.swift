import ConfigFormat
import TLSSupport

extension ClusterConfig {
    static let serverTLSKeys = ["tls_cert_file", "tls_key_file", "tls_client_ca_file"]

    /// A listener's or `[admin]`'s TLS: `tls_cert_file` and `tls_key_file` together or neither,
    /// `tls_client_ca_file` (require client certificates) only with them. Only the keys are
    /// checked here: the files are read when the endpoint starts and at each reload, so a
    /// renewed certificate is taken without a config change.
    static func serverTLS(_ table: ConfigTable) throws -> ServerTLSFiles? {
        var paths: [String: String] = [:]
        for key in serverTLSKeys {
            guard let path = try table.string(key) else { continue }
            guard !path.isEmpty else { throw table.error(key, "must be the path of a PEM file") }
            paths[key] = path
        }
        switch (paths["tls_cert_file"], paths["tls_key_file"]) {
        case let (cert?, key?):
            return ServerTLSFiles(certFile: cert, keyFile: key, clientCAFile: paths["tls_client_ca_file"])
        case (.some, nil):
            throw table.error("tls_cert_file", "needs tls_key_file too (the certificate's private key, PEM)")
        case (nil, .some):
            throw table.error("tls_key_file", "needs tls_cert_file too (the certificate this key belongs to, PEM)")
        case (nil, nil):
            if paths["tls_client_ca_file"] != nil {
                throw table.error("tls_client_ca_file", "requires client certificates over TLS: set tls_cert_file and tls_key_file too")
            }
            return nil
        }
    }
}
