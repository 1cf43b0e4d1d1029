import DemoCluster
import EtcdHarness
import Foundation
import NIOPosix
import Testing

/// Two `thrifttop serve` processes on one real etcd, and a dashboard attached to one of them: a
/// drain made through one holds on the other, counted at the server, and shows on the screen
/// with who made it on which instance.
@Suite("thrifttop serve sharing state on etcd", .serialized)
struct SharedServeTests {
    static func config(instance: String, socket: String, etcd: String, cache: String, nodes: [DemoServer], state extra: String = "") -> String {
        var text = """
            name = "fleet"
            instance = "\(instance)"
            balancer = "round-robin"
            state_file = "\(cache)"
            [state]
            store = "etcd"
            endpoints = ["\(etcd)"]
            \(extra)
            [admin]
            socket = "\(socket)"
            [[listener]]
            address = "127.0.0.1:0"

            """
        for node in nodes {
            text += "[[node]]\nname = \"\(node.spec.name)\"\naddress = \"\(node.address)\"\nheartbeat_interval_ms = 100\n"
        }
        return text
    }

    @Test func aDrainThroughOneServeStopsTheOtherRoutingToTheNodeAndTheAttachedDashboardSaysWho() async throws {
        let etcd = try await EtcdServer.start()
        let group = MultiThreadedEventLoopGroup.singleton
        let servers = ["one", "two", "three"].map { DemoServer(spec: DemoNodeSpec(name: $0), group: group) }
        for server in servers { try await server.start() }
        defer { Task { for server in servers { await server.stop() } } }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-shared-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

        let a = try ServeCommandTests.Serve(config: Self.config(instance: "serve-a", socket: path("a.sock"), etcd: etcd.endpoint, cache: path("a.json"), nodes: servers))
        let b = try ServeCommandTests.Serve(config: Self.config(instance: "serve-b", socket: path("b.sock"), etcd: etcd.endpoint, cache: path("b.json"), nodes: servers))
        let portB = try b.port()
        _ = try a.port()
        for serve in [a, b] {
            let text = serve.stderr(waitingFor: "shared state read from etcd")
            #expect(text.contains("shared state read from etcd"), "\(text)")
            for node in ["one", "two", "three"] { _ = serve.stderr(waitingFor: "\(node): state_change: unknown → up") }
        }
        let dashboard = try TmuxSession(width: 150, height: 32, command: "\(TmuxSession.thrifttop) attach unix:\(path("b.sock"))")
        _ = try await dashboard.waitFor("the attached dashboard shows fleet") { $0.contains("fleet") && TmuxSession.row($0, "two") != nil }

        // Drain two through A's admin API.
        let post = try await ServeReloadTests.curl(["--unix-socket", path("a.sock"), "-X", "POST", "-d", #"{"command":"drain","node":"two","reason":"kernel update"}"#,
                                                    "http://local/v1/commands"])
        #expect(post.status == 200, "\(post)")
        #expect(post.body.contains("drained two on every instance"))
        let started = Date()
        // B stops routing to two within a second, counted at the server.
        var routedToTwo = true
        while Date().timeIntervalSince(started) < 1.0 {
            let before = ServeReloadTests.work(servers[1])
            try await ServeReloadTests.calls(6, port: portB)
            if ServeReloadTests.work(servers[1]) == before {
                routedToTwo = false
                break
            }
        }
        #expect(!routedToTwo, "serve-b still routed to two 1 s after the drain on serve-a")
        let before = ServeReloadTests.work(servers[1])
        try await ServeReloadTests.calls(30, port: portB)
        #expect(ServeReloadTests.work(servers[1]) == before)
        #expect(b.stderr(waitingFor: "(shared state)").contains("on serve-a: drain two (kernel update) (shared state)"))

        // The dashboard attached to B shows it, and who did it where.
        _ = try await dashboard.waitFor("two draining on B's dashboard") { screen in
            TmuxSession.row(screen, "two")?.contains("draining") == true || TmuxSession.row(screen, "two")?.contains("drained") == true
        }
        // Filter to it, open its detail.
        try dashboard.keys("/", "two", "Enter")
        _ = try await dashboard.waitFor("the filter on two") { $0.contains("Nodes 1/3") }
        try dashboard.keys("Enter")
        let detail = try await dashboard.waitFor("the last change in the node detail") { $0.contains("Last change") }
        #expect(detail.contains("on serve-a at"), "\(detail)")
        #expect(detail.contains("drain two (kernel update)"), "\(detail)")
    }

    @Test func wrongEtcdCredentialsStopServeAtStartWithAClearError() async throws {
        let etcd = try await EtcdServer.start()
        try await etcd.enableAuth(user: "tt", password: "right-password", prefix: "/thrifttop/")
        let server = DemoServer(spec: DemoNodeSpec(name: "one"), group: MultiThreadedEventLoopGroup.singleton)
        try await server.start()
        defer { Task { await server.stop() } }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-shared-auth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let password = directory.appendingPathComponent("etcd.password").path
        try "wrong-password\n".write(toFile: password, atomically: true, encoding: .utf8)
        chmod(password, 0o600)
        let serve = try ServeCommandTests.Serve(config: Self.config(
            instance: "serve-a", socket: directory.appendingPathComponent("a.sock").path, etcd: etcd.endpoint,
            cache: directory.appendingPathComponent("a.json").path, nodes: [server],
            state: "username = \"tt\"\npassword_file = \"\(password)\""))
        let status = serve.waitForExit()
        #expect(status != nil && status != 0)
        let text = serve.stderr()
        #expect(text.contains("refused user \"tt\"") && text.contains("authentication failed"), "\(text)")
    }
}
