import Foundation

/// What a TLS server on 127.0.0.1 shows a new client, asked with `openssl s_client` (a peer
/// that is not ours): the leaf certificate, PEM. On a Dispatch thread, not a cooperative one.
public enum ServedCertificate {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The certificate served on `port`, checked against `ca` for the name localhost; with
    /// `client` (a name of `TestCertificates`), that client certificate is shown.
    public static func pem(port: Int, ca: String, client: (cert: String, key: String)? = nil) async throws -> String {
        var arguments = ["s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", ca, "-servername", "localhost", "-verify_return_error"]
        if let client { arguments += ["-cert", client.cert, "-key", client.key] }
        // Bounded: a server that never answers must not hang the test.
        let output = try await run("/usr/bin/timeout", ["10", "/usr/bin/openssl"] + arguments)
        guard let begin = output.range(of: "-----BEGIN CERTIFICATE-----"),
              let end = output.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<output.endIndex) else {
            throw Failure(description: "openssl s_client showed no certificate on port \(port): \(output.suffix(600))")
        }
        return String(output[begin.lowerBound..<end.upperBound])
    }

    /// The first certificate of a PEM file, as `pem(port:…)` returns one.
    public static func pem(file: String) throws -> String {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        guard let begin = text.range(of: "-----BEGIN CERTIFICATE-----"),
              let end = text.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<text.endIndex) else {
            throw Failure(description: "\(file) holds no certificate")
        }
        return String(text[begin.lowerBound..<end.upperBound])
    }

    private static func run(_ executable: String, _ arguments: [String]) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: executable)
                    process.arguments = arguments
                    let out = Pipe()
                    process.standardOutput = out
                    process.standardError = out
                    process.standardInput = FileHandle.nullDevice
                    try process.run()
                    let data = out.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    return String(decoding: data, as: UTF8.self)
                })
            }
        }
    }
}
