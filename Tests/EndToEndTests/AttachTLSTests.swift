import DemoCluster
import Foundation
import NIOPosix
import Testing
import TLSHarness

/// `thrifttop serve` with a TLS listener and a TLS admin endpoint, and `thrifttop attach https://`
/// to it (in tmux): with the daemon's CA, a dashboard; with another CA, a refusal before the
/// screen naming the URL and the CA. SIGHUP reads both certificates again; a certificate that
/// cannot be read stops serve at start, before anything is served.
@Suite("serve and attach over TLS", .serialized)
struct AttachTLSTests {
    static let token = "alice-0123456789abcdef"

    /// A config with one TLS listener and a TLS admin endpoint (no Unix socket), over `servers`.
    static func config(_ files: URL, listener: (cert: String, key: String), admin: (cert: String, key: String), servers: [DemoServer]) throws -> String {
        let tokens = files.appendingPathComponent("tokens")
        try "alice:\(token)\n".write(to: tokens, atomically: true, encoding: .utf8)
        chmod(tokens.path, 0o600)
        var text = """
            name = "secured"
            [admin]
            socket = ""
            address = "127.0.0.1:0"
            token_file = "\(tokens.path)"
            tls_cert_file = "\(admin.cert)"
            tls_key_file = "\(admin.key)"
            [[listener]]
            address = "127.0.0.1:0"
            tls_cert_file = "\(listener.cert)"
            tls_key_file = "\(listener.key)"

            """
        for server in servers {
            text += "[[node]]\nname = \"\(server.spec.name)\"\naddress = \"\(server.address)\"\nheartbeat_interval_ms = 100\n"
        }
        return text
    }

    static func demoServers() async throws -> [DemoServer] {
        let servers = [DemoServer(spec: DemoNodeSpec(name: "one"), group: MultiThreadedEventLoopGroup.singleton),
                       DemoServer(spec: DemoNodeSpec(name: "two"), group: MultiThreadedEventLoopGroup.singleton)]
        for server in servers { try await server.start() }
        return servers
    }

    /// The port of the line `thrifttop serve: … on https://127.0.0.1:PORT`.
    static func adminPort(_ serve: ServeCommandTests.Serve) throws -> Int {
        let text = serve.stderr(waitingFor: "admin endpoint on https://127.0.0.1:")
        let line = try #require(text.split(separator: "\n").first { $0.contains("admin endpoint on https://127.0.0.1:") }, "\(text)")
        return try #require(Int(line.split(separator: ":").last!))
    }

    /// `thrifttop attach ARGS` without a terminal: its exit status and stderr.
    static func attach(_ arguments: [String]) async throws -> (Int32, String) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: TmuxSession.thrifttop)
                    process.arguments = ["attach"] + arguments
                    let errors = Pipe()
                    process.standardError = errors
                    process.standardOutput = FileHandle.nullDevice
                    process.standardInput = FileHandle.nullDevice
                    try process.run()
                    let data = errors.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
                })
            }
        }
    }

    @Test func attachHTTPSWithTheDaemonsCAShowsTheDashboardAndWithAnotherIsRefusedByName() async throws {
        let certs = try TestCertificates()
        let servers = try await Self.demoServers()
        defer { Task { for server in servers { await server.stop() } } }
        let server = (certs.cert("server"), certs.key("server"))
        let serve = try ServeCommandTests.Serve(config: try Self.config(certs.folder, listener: server, admin: server, servers: servers))
        let listenerPort = try serve.port()
        let adminPort = try Self.adminPort(serve)
        #expect(try await ServedCertificate.pem(port: listenerPort, ca: certs.ca) == ServedCertificate.pem(file: certs.cert("server")))
        let tokenFile = certs.folder.appendingPathComponent("tokens").path

        let (status, refusal) = try await Self.attach(["https://127.0.0.1:\(adminPort)", "--ca-file", certs.otherCA, "--token-file", tokenFile])
        #expect(status == 1)
        #expect(refusal == "error: https://127.0.0.1:\(adminPort): the daemon's certificate is not signed by the CA in --ca-file \(certs.otherCA), or it has expired or is not valid yet\n")
        let (_, plain) = try await Self.attach(["http://127.0.0.1:\(adminPort)", "--token-file", tokenFile])
        #expect(plain.contains("speaks TLS: plain http:// is likely a mismatch"), "\(plain)")

        let dashboard = try TmuxSession(width: 140, height: 30, command:
            "\(TmuxSession.thrifttop) attach https://127.0.0.1:\(adminPort) --ca-file \(certs.ca) --token-file \(tokenFile)")
        try await dashboard.waitFor("both nodes up over https") { screen in
            TmuxSession.row(screen, "one")?.contains("up") == true && TmuxSession.row(screen, "two")?.contains("up") == true
        }
        #expect(serve.process.isRunning)
    }

    @Test func sighupReadsTheListenersAndTheAdminEndpointsCertificatesAgain() async throws {
        let certs = try TestCertificates()
        let servers = try await Self.demoServers()
        defer { Task { for server in servers { await server.stop() } } }
        let cert = certs.folder.appendingPathComponent("renewed.pem").path, key = certs.folder.appendingPathComponent("renewed.key").path
        func install(_ name: String) throws {
            for (from, to) in [(certs.cert(name), cert), (certs.key(name), key)] {
                try? FileManager.default.removeItem(atPath: to)
                try FileManager.default.copyItem(atPath: from, toPath: to)
            }
        }
        try install("server")
        let serve = try ServeCommandTests.Serve(config: try Self.config(certs.folder, listener: (cert, key), admin: (cert, key), servers: servers))
        let listenerPort = try serve.port()
        let adminPort = try Self.adminPort(serve)
        for port in [listenerPort, adminPort] {
            #expect(try await ServedCertificate.pem(port: port, ca: certs.ca) == ServedCertificate.pem(file: certs.cert("server")))
        }
        try install("soon")
        kill(serve.process.processIdentifier, SIGHUP)
        // print writes the line and its newline apart: the line is whole once it is there at all.
        let text = serve.stderr(waitingFor: "SIGHUP: reloaded")
        let line = text.split(separator: "\n").first { $0.contains("SIGHUP: reloaded") }.map(String.init)
        #expect(line == "thrifttop serve: SIGHUP: reloaded: no node or listener changed; TLS files re-read for listener 127.0.0.1:\(listenerPort), admin endpoint 127.0.0.1:\(adminPort)", "\(text)")
        for port in [listenerPort, adminPort] {
            #expect(try await ServedCertificate.pem(port: port, ca: certs.ca) == ServedCertificate.pem(file: certs.cert("soon")))
        }
        #expect(serve.process.isRunning)
    }

    @Test func aCertificateThatCannotBeReadStopsServeAtStartNamingTheFile() async throws {
        let certs = try TestCertificates()
        let servers = try await Self.demoServers()
        defer { Task { for server in servers { await server.stop() } } }
        let missing = certs.folder.appendingPathComponent("missing.pem").path
        let good = (certs.cert("server"), certs.key("server"))
        let badListener = try ServeCommandTests.Serve(config: try Self.config(certs.folder, listener: (missing, good.1), admin: good, servers: servers))
        #expect(badListener.waitForExit() == 1)
        #expect(badListener.stderr().contains("error: cannot listen on 127.0.0.1:0: tls_cert_file \(missing): no such file\n"), "\(badListener.stderr())")
        #expect(!badListener.stderr().contains("listening on"), "nothing was served")
        let badAdmin = try ServeCommandTests.Serve(config: try Self.config(certs.folder, listener: good, admin: (good.0, certs.key("client")), servers: servers))
        #expect(badAdmin.waitForExit() == 1)
        #expect(badAdmin.stderr().contains(
            "error: admin endpoint 127.0.0.1:0: tls_key_file \(certs.key("client")): is not the private key of the certificate in \(good.0)\n"), "\(badAdmin.stderr())")
    }
}
