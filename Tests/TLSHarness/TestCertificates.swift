import Foundation

/// The test certificates of `scripts/make-test-certs.sh`, made in a fresh temporary folder
/// (removed at deinit): a CA, a localhost server certificate with DNS and IP SANs, an expired
/// one, a not-yet-valid one, one for the wrong name, one expiring in 5 days, a client
/// certificate, one for etcd (server and client), and a second CA nobody trusts with a server
/// and a client certificate of its own.
public final class TestCertificates: Sendable {
    public let folder: URL

    public struct Failure: Error, CustomStringConvertible {
        public var description: String

        public init(description: String) {
            self.description = description
        }
    }

    public init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-certs-\(UUID().uuidString.prefix(8))")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [root.appendingPathComponent("scripts/make-test-certs.sh").path, folder.path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "make-test-certs.sh exited \(process.terminationStatus): \(text)")
        }
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// `NAME.pem`.
    public func cert(_ name: String) -> String { folder.appendingPathComponent("\(name).pem").path }
    /// `NAME.key`.
    public func key(_ name: String) -> String { folder.appendingPathComponent("\(name).key").path }

    public var ca: String { cert("ca") }
    public var otherCA: String { cert("other-ca") }
}
