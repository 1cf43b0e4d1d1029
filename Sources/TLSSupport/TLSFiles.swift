import Foundation
import NIOSSL

/// A certificate, key or CA file that could not be used, naming the config key, the path and
/// what is wrong with it.
public struct TLSFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var key: String
    public var path: String
    public var problem: String

    public init(key: String, path: String, problem: String) {
        self.key = key
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(key) \(path): \(problem)" }
}

/// Reads PEM files into memory for swift-nio-ssl. Never NIOSSL's `.file` sources: a bad
/// certificate file there stops the process (a precondition), and a `.key` file is read as DER.
public enum TLSFiles {
    /// The certificates of a PEM file, leaf first; at least one.
    public static func certificates(_ path: String, key: String) throws -> [NIOSSLCertificate] {
        try checkReadable(path, key: key)
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw TLSFileError(key: key, path: path, problem: "is not a PEM certificate file (\(error))")
        }
        guard !certificates.isEmpty else {
            throw TLSFileError(key: key, path: path, problem: "holds no certificate (expected -----BEGIN CERTIFICATE-----)")
        }
        return certificates
    }

    /// The private key of a PEM file.
    public static func privateKey(_ path: String, key: String) throws -> NIOSSLPrivateKey {
        try checkReadable(path, key: key)
        do {
            return try NIOSSLPrivateKey(file: path, format: .pem)
        } catch {
            throw TLSFileError(key: key, path: path, problem: "is not a PEM private key (unencrypted PKCS#8, EC or RSA)")
        }
    }

    private static func checkReadable(_ path: String, key: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TLSFileError(key: key, path: path, problem: "no such file")
        }
        guard !isDirectory.boolValue else { throw TLSFileError(key: key, path: path, problem: "is a directory, not a PEM file") }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw TLSFileError(key: key, path: path, problem: "cannot be read (permission denied)")
        }
    }

    /// A context, with a key that does not belong to its certificate named as such (NIOSSL says
    /// only "failed to load private key").
    public static func context(_ configuration: TLSConfiguration, certFile: String?, keyFile: String?, keyName: String = "tls_key_file") throws -> NIOSSLContext {
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch NIOSSLError.failedToLoadPrivateKey {
            throw TLSFileError(key: keyName, path: keyFile ?? "", problem: "is not the private key of the certificate in \(certFile ?? "tls_cert_file")")
        }
    }

    /// `TLSConfiguration.certificateChain` and `.privateKey` from the two files.
    public static func identity(certFile: String, keyFile: String, certKey: String = "tls_cert_file", keyKey: String = "tls_key_file")
        throws -> ([NIOSSLCertificateSource], NIOSSLPrivateKeySource)
    {
        let chain = try certificates(certFile, key: certKey).map { NIOSSLCertificateSource.certificate($0) }
        return (chain, .privateKey(try privateKey(keyFile, key: keyKey)))
    }
}
