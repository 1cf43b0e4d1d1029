import ClusterPool
import DemoCluster
import Foundation
import NIOCore
import NIOPosix
import Testing
import ThriftWire

/// `thrifttop attach` in tmux against a real `thrifttop serve`: actions from the attached
/// dashboard act on the daemon, two dashboards see each other's actions, the daemon outlives a
/// dashboard, and a daemon that dies and comes back is shown as such.
@Suite("thrifttop attach (tmux)", .serialized)
struct AttachEndToEndTests {
    static func config(socket: String, ports: [Int]) -> String {
        """
        name = "attached"
        [admin]
        socket = "\(socket)"
        [[listener]]
        address = "127.0.0.1:0"
        [[node]]
        name = "one"
        address = "127.0.0.1:\(ports[0])"
        heartbeat_interval_ms = 100
        [[node]]
        name = "two"
        address = "127.0.0.1:\(ports[1])"
        heartbeat_interval_ms = 100
        """
    }

    static func bothUp(_ screen: String) -> Bool {
        TmuxSession.row(screen, "one")?.contains("up") == true && TmuxSession.row(screen, "two")?.contains("up") == true
    }

    /// Demo servers "one" and "two" and a temporary directory for the daemon's socket and files,
    /// all gone when `body` ends, also when it throws.
    static func withServers(_ body: (_ ports: [Int], _ directory: URL) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let servers = [DemoServer(spec: DemoNodeSpec(name: "one"), group: group), DemoServer(spec: DemoNodeSpec(name: "two"), group: group)]
        for server in servers { try await server.start() }
        defer { Task { for server in servers { await server.stop() } } }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-attach-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await body(servers.map(\.port), directory)
    }

    @Test func twoAttachedDashboardsActOnTheDaemonWhichOutlivesThemAndIsShownGoneAndBack() async throws {
        try await Self.withServers { ports, directory in
            let group = MultiThreadedEventLoopGroup.singleton
            let socket = directory.appendingPathComponent("run/attached.sock").path
            let config = Self.config(socket: socket, ports: ports)

            var serve: ServeCommandTests.Serve? = try ServeCommandTests.Serve(config: config)
            let port = try serve!.port()
            _ = serve!.stderr(waitingFor: "admin endpoint on unix:")

            let a = try TmuxSession(width: 140, height: 30, command: "\(TmuxSession.thrifttop) attach unix:\(socket)")
            let b = try TmuxSession(width: 140, height: 30, command: "\(TmuxSession.thrifttop) attach unix:\(socket)")
            try await a.waitFor("both up on A", Self.bothUp)
            try await b.waitFor("both up on B", Self.bothUp)

            // Drain "two" from A (N sorts by name: one, two): confirmed, done by the daemon.
            try a.keys("N")
            try a.keys("j")
            try a.keys("d")
            try await a.waitFor("the confirmation dialog") { $0.contains("Drain two") || $0.contains("drain two") }
            try a.keys("y")
            try await a.waitFor("two drained on A") { TmuxSession.row($0, "two")?.contains("drain") == true }
            let shownOnA = Date()
            try await b.waitFor("two drained on B") { TmuxSession.row($0, "two")?.contains("drain") == true }
            let lag = Date().timeIntervalSince(shownOnA)
            #expect(lag < 1, "B saw A's drain \(lag) s after A did")

            // A quits; the daemon keeps routing (to "one" only).
            try a.keys("q")
            #expect(try await a.waitForFile("exit")?.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
            #expect(serve!.process.isRunning)
            let client = try await ThriftConnection.connect(host: "127.0.0.1", port: port, protocolKind: .binary, transport: .framed, group: group)
            for _ in 0 ..< 5 {
                #expect(try await client.call(DemoService.Work.self, .init(costMicros: 0, payload: [1]), timeout: .seconds(10)) == [1])
            }
            await client.close()

            // The daemon dies: B keeps the last figures, greyed, and says since when.
            kill(serve!.process.processIdentifier, SIGKILL)
            _ = serve!.waitForExit()
            try await b.waitFor("unreachable on B") { $0.contains("daemon unreachable since") }
            // It comes back (the stale socket is replaced): B is live again by itself.
            serve = try ServeCommandTests.Serve(config: config)
            _ = serve!.stderr(waitingFor: "admin endpoint on unix:")
            try await b.waitFor("B live again", seconds: 20) { !$0.contains("daemon unreachable") && Self.bothUp($0) }
            try b.keys("q")
            #expect(try await b.waitForFile("exit")?.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
            kill(serve!.process.processIdentifier, SIGTERM)
            #expect(serve!.waitForExit() == 0)
        }
    }

    /// The undo history is the daemon's, per operator: an attached dashboard's `z` reverts its
    /// own operator's last action, and the audit log names the same operator for both.
    @Test func zOnAnAttachedDashboardUndoesThatOperatorsLastAction() async throws {
        try await Self.withServers { ports, directory in
            let socket = directory.appendingPathComponent("run/attached.sock").path
            let audit = directory.appendingPathComponent("audit.jsonl").path
            let config = "audit_log = \"\(audit)\"\n" + Self.config(socket: socket, ports: ports)
            let serve = try ServeCommandTests.Serve(config: config)
            _ = serve.stderr(waitingFor: "admin endpoint on unix:")
            let t = try TmuxSession(width: 140, height: 30, command: "\(TmuxSession.thrifttop) attach unix:\(socket)")
            try await t.waitFor("both up", Self.bothUp)
            try t.keys("N")  // by name: one, two
            try t.keys("j")
            try t.keys("d")
            try await t.waitFor("the drain dialog") { $0.contains("Drain two?") }
            try t.keys("y")
            try await t.waitFor("two drained") { TmuxSession.row($0, "two")?.contains("drain") == true }
            try t.keys("z")
            try await t.waitFor("the undo dialog naming the drain") { $0.contains("Undo your last operator action?") && $0.contains("Reverts: drain two") }
            try t.keys("y")
            try await t.waitFor("two undrained") { Self.bothUp($0) && $0.contains("undid drain two") }
            let lines = try String(contentsOfFile: audit, encoding: .utf8).split(separator: "\n")
            let users = lines.compactMap { line -> String? in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["user"] as? String
            }
            #expect(users.count == 2 && users[0] == users[1] && users[0] == PoolOptions.currentUser(), "\(lines)")
            #expect(lines.last?.contains("undid drain two") == true)
            try t.keys("q")
            #expect(try await t.waitForFile("exit")?.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
            kill(serve.process.processIdentifier, SIGTERM)
            #expect(serve.waitForExit() == 0)
        }
    }

    @Test func withoutAnEndpointItAttachesToTheOnlySocketOrSaysWhereItLooked() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-attach-list-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("thrifttop"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let t = try TmuxSession(width: 120, height: 20, command: "env XDG_RUNTIME_DIR=\(directory.path) \(TmuxSession.thrifttop) attach")
        try await t.waitFor("where it looked") { $0.contains("no admin sockets in \(directory.path)/thrifttop") }
        #expect(try await t.waitForFile("exit")?.trimmingCharacters(in: .whitespacesAndNewlines) == "1")
    }
}
