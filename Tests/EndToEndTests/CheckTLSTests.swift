import Foundation
import TLSHarness
import Testing

/// `thrifttop check` on TLS nodes, against `thrifttop bench-servers --tls-cert` in another
/// process: a TLS failure is exit 2 and names the cause; `--json` has the certificate's days.
@Suite("thrifttop check over TLS", .serialized)
struct CheckTLSTests {
    /// `bench-servers` with one TLS listener presenting certificate NAME.
    final class TLSServer {
        let process = Process()
        let port: Int

        init(_ certs: TestCertificates, _ name: String) throws {
            process.executableURL = URL(fileURLWithPath: TmuxSession.thrifttop)
            process.arguments = ["bench-servers", "--listeners", "1", "--duration", "60", "--tls-cert", certs.cert(name), "--tls-key", certs.key(name)]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
            guard line.hasPrefix("PORTS "), let port = Int(line.dropFirst(6).trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw TestCertificates.Failure(description: "bench-servers said \(line)")
            }
            self.port = port
        }

        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        }
    }

    @Test func aTLSFailureExitsTwoAndTheJSONHasTheCertificatesDays() throws {
        let certs = try TestCertificates()
        let good = try TLSServer(certs, "server")
        let expired = try TLSServer(certs, "expired")
        let config = certs.folder.appendingPathComponent("cluster.toml").path
        try """
            name = "tls"
            [defaults]
            tls = true
            tls_ca_file = "\(certs.ca)"
            [[node]]
            name = "good"
            address = "localhost:\(good.port)"
            [[node]]
            name = "expired"
            address = "127.0.0.1:\(expired.port)"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let (code, table) = try CheckCommandTests.check([config])
        #expect(code == 2, "\(table)")
        let expiredRow = try #require(table.split(separator: "\n").first { $0.hasPrefix("expired") })
        #expect(expiredRow.contains("TLS_FAILURE") && expiredRow.contains("TLS expired: the server's certificate (CN=localhost) expired 20"))
        let goodRow = try #require(table.split(separator: "\n").first { $0.hasPrefix("good") })
        #expect(goodRow.contains("SERVING") && goodRow.contains("364d left"))

        let (goodCode, json) = try CheckCommandTests.check([config, "--node", "good", "--json"])
        #expect(goodCode == 0, "\(json)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let node = try #require((report["nodes"] as? [[String: Any]])?.first)
        #expect(node["cert_expires_in_days"] as? Int == 364)
        #expect(node["cert_expires_soon"] as? Bool == false)
        #expect(node["tls_version"] as? String == "TLS 1.3")
    }
}
