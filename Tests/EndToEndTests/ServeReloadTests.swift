import ClusterPool
import DemoCluster
import Dispatch
import Foundation
import NIOCore
import NIOPosix
import Testing
import ThriftWire

/// `thrifttop serve` re-reading its config: on SIGHUP and on `POST /v1/reload`, with a good file
/// (nodes and listeners added and removed, counted at the servers) and with a bad one (refused,
/// named, the old config still routing).
@Suite("thrifttop serve reload", .serialized)
struct ServeReloadTests {
    /// Round robin: sequential calls reach every node, so each one's share shows at its server.
    /// Listeners on ports the OS picks (a port found free and bound later may be taken in
    /// between by a test running alongside), told apart by their settings.
    static let firstListener = "address = \"127.0.0.1:0\""
    static let secondListener = "address = \"127.0.0.1:0\"\nmax_connections = 50"

    static func config(socket: String, listeners: [String], nodes: [DemoServer]) -> String {
        // Two loops take client connections in turn, each with its own connections to the nodes.
        var text = "name = \"reloaded\"\nbalancer = \"round-robin\"\n[proxy]\nthreads = 2\n[admin]\nsocket = \"\(socket)\"\n"
        for listener in listeners { text += "[[listener]]\n\(listener)\n" }
        for node in nodes {
            text += "[[node]]\nname = \"\(node.spec.name)\"\naddress = \"\(node.address)\"\nheartbeat_interval_ms = 100\n"
        }
        return text
    }

    /// `count` calls one after another on one client connection to `port`.
    static func calls(_ count: Int, port: Int) async throws {
        let client = try await ThriftConnection.connect(host: "127.0.0.1", port: port, protocolKind: .binary, transport: .framed,
                                                        group: MultiThreadedEventLoopGroup.singleton)
        defer { client.channel.close(promise: nil) }
        for i in 0..<count {
            let payload = [UInt8(i % 200)]
            let echoed = try await client.call(DemoService.Work.self, DemoService.Work.Args(costMicros: 0, payload: payload), timeout: .seconds(5))
            #expect(echoed == payload)
        }
    }

    static func work(_ server: DemoServer) -> Int64 { server.counters["demo.calls.work"] ?? 0 }
    static func heartbeats(_ server: DemoServer) -> Int64 { server.counters["demo.calls.getStatus"] ?? 0 }
    static func accepted(_ server: DemoServer) -> Int64 { server.counters["demo.connections.accepted"] ?? 0 }

    /// curl off the cooperative pool (its wait would block a thread the servers need).
    static func curl(_ arguments: [String]) async throws -> (status: Int, body: String) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
                    process.arguments = ["-s", "-m", "20", "-w", "\n%{http_code}"] + arguments
                    let out = Pipe()
                    process.standardOutput = out
                    try process.run()
                    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                    process.waitUntilExit()
                    let status = text.split(separator: "\n").last.flatMap { Int($0) } ?? 0
                    return (status, String(text.split(separator: "\n").dropLast().joined(separator: "\n")))
                })
            }
        }
    }

    @Test func sighupAddsAndRemovesNodesAndListenersAndRefusesABadFile() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let servers = ["a", "b", "c"].map { DemoServer(spec: DemoNodeSpec(name: $0), group: group) }
        for server in servers { try await server.start() }
        defer { Task { for server in servers { await server.stop() } } }
        let (a, b, c) = (servers[0], servers[1], servers[2])
        let socketDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-reload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: socketDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: socketDirectory) }
        let socket = socketDirectory.appendingPathComponent("run/r.sock").path
        let serve = try ServeCommandTests.Serve(config: Self.config(socket: socket, listeners: [Self.firstListener], nodes: [a, b]))
        let first = try serve.port()
        let file = serve.directory.appendingPathComponent("cluster.toml")
        _ = serve.stderr(waitingFor: "b: state_change: unknown → up")
        let started = serve.stderr(waitingFor: "a: state_change: unknown → up")
        try #require(started.contains("a: state_change: unknown → up"), "\(started)")
        // Two client connections, one on each loop: each loop opens its own connection to a.
        try await Self.calls(40, port: first)
        try await Self.calls(40, port: first)
        #expect(Self.work(a) > 0 && Self.work(b) > 0)
        let acceptedByA = Self.accepted(a)
        #expect(acceptedByA >= 3, "a's heartbeat connection and a call connection from each loop")

        // A good file: b out, c in, a second listener.
        try Self.config(socket: socket, listeners: [Self.firstListener, Self.secondListener], nodes: [a, c]).write(to: file, atomically: true, encoding: .utf8)
        kill(serve.process.processIdentifier, SIGHUP)
        let done = serve.stderr(waitingFor: "SIGHUP: reloaded")
        let prefix = "thrifttop serve: SIGHUP: reloaded: added c; removed b; listening on 127.0.0.1:"
        let line = try #require(done.split(separator: "\n").first { $0.hasPrefix(prefix) }, "\(done)")
        let second = try #require(Int(line.dropFirst(prefix.count)), "\(line)")
        _ = serve.stderr(waitingFor: "c: state_change: unknown → up")
        let (bWork, bBeats) = (Self.work(b), Self.heartbeats(b))
        try await Self.calls(40, port: second)
        try await Self.calls(40, port: first)
        try await Task.sleep(for: .milliseconds(500))
        #expect(Self.work(c) > 0, "the added node takes calls through the proxy")
        #expect(Self.work(b) == bWork, "the removed node gets no call")
        #expect(Self.heartbeats(b) == bBeats, "nor a heartbeat")
        #expect(Self.accepted(a) == acceptedByA, "a's connections were not touched")
        #expect(serve.process.isRunning, "SIGHUP does not stop serve")

        // A bad file: refused with file, line and key; the old config still routes.
        try (Self.config(socket: socket, listeners: [Self.firstListener], nodes: [a]) + "colour = \"red\"\n").write(to: file, atomically: true, encoding: .utf8)
        kill(serve.process.processIdentifier, SIGHUP)
        let refused = serve.stderr(waitingFor: "SIGHUP: reload refused")
        #expect(refused.contains("SIGHUP: reload refused: \(file.path):"), "\(refused)")
        #expect(refused.contains("colour"), "the key is named: \(refused)")
        #expect(refused.contains("the old config stays in force"))
        let cWork = Self.work(c)
        try await Self.calls(40, port: second)
        #expect(Self.work(c) > cWork, "c is still in the pool, the second listener still there")

        // POST /v1/reload: the same, over the admin socket.
        try (Self.config(socket: socket, listeners: [Self.firstListener], nodes: [a, c]) + "[defaults]\nweight = 7\n").write(to: file, atomically: true, encoding: .utf8)
        let post = try await Self.curl(["--unix-socket", socket, "-X", "POST", "http://local/v1/reload"])
        #expect(post.status == 200, "\(post)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(post.body.utf8)) as? [String: Any])
        #expect(object["outcome"] as? String == "done")
        #expect(object["changed"] as? [String] == ["a", "c"] && object["added"] as? [String] == [] && object["removed"] as? [String] == [])
        #expect(object["listeners_removed"] as? [String] == ["127.0.0.1:\(second)"])
        try "[[node]]\nname = \"a\"\naddress = \"nowhere\"\n".write(to: file, atomically: true, encoding: .utf8)
        let bad = try await Self.curl(["--unix-socket", socket, "-X", "POST", "http://local/v1/reload"])
        #expect(bad.status == 409, "\(bad)")
        let badObject = try #require(try JSONSerialization.jsonObject(with: Data(bad.body.utf8)) as? [String: Any])
        #expect(badObject["outcome"] as? String == "refused")
        let reason = try #require(badObject["reason"] as? String)
        #expect(reason.hasPrefix("\(file.path):3: ") && reason.contains("address"), "file, line and key: \(reason)")
        let events = serve.stderr(waitingFor: "reload refused: \(file.path):3")
        #expect(events.contains("stopped listening on 127.0.0.1:\(second) (reload)"), "\(events)")
        // One form of the operator for the socket and for SIGHUP: "alice (uid 1000) on HOST".
        let me = PoolOptions.currentUser()
        #expect(me.contains("(uid \(getuid())) on "))
        #expect(events.components(separatedBy: me + ": ").count >= 3, "the outcomes are events naming the operator, on the socket and for SIGHUP: \(events)")
        #expect(events.contains("thrifttop serve: SIGHUP: "), "the SIGHUP's own outcome line")
        kill(serve.process.processIdentifier, SIGTERM)
        #expect(serve.waitForExit() == 0)
    }
}

/// `:reload` in the dashboard: over a config it re-reads the file; with --demo it says why not.
@Suite("Dashboard :reload (tmux)", .serialized)
struct DashboardReloadTests {
    @Test func reloadAddsANodeToTheScreen() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let servers = ["one", "two"].map { DemoServer(spec: DemoNodeSpec(name: $0), group: group) }
        for server in servers { try await server.start() }
        defer { Task { for server in servers { await server.stop() } } }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-dash-reload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let socket = directory.appendingPathComponent("run/d.sock").path
        let file = directory.appendingPathComponent("cluster.toml")
        try ServeReloadTests.config(socket: socket, listeners: [], nodes: [servers[0]]).write(to: file, atomically: true, encoding: .utf8)
        let t = try TmuxSession(command: "\(TmuxSession.thrifttop) \(file.path) --exit-after 60")
        try await t.waitFor("one up") { TmuxSession.row($0, "one")?.contains("up") == true }
        try ServeReloadTests.config(socket: socket, listeners: [], nodes: servers).write(to: file, atomically: true, encoding: .utf8)
        try t.keys(":", "reload", "Enter")
        let screen = try await t.waitFor("two up after :reload") { TmuxSession.row($0, "two")?.contains("up") == true }
        #expect(screen.contains("reloaded: added two"), "\(screen)")
        try "this is = = not toml\n".write(to: file, atomically: true, encoding: .utf8)
        try t.keys(":", "reload", "Enter")
        try await t.waitFor("the refusal on the status row") { $0.contains("reload refused: \(file.path):1") }
        #expect(TmuxSession.row(try t.screen(), "two") != nil, "the old config stays")
        try ServeReloadTests.config(socket: socket, listeners: [], nodes: [servers[1]]).write(to: file, atomically: true, encoding: .utf8)
        try t.keys(":", "reload", "Enter")
        // (The event line names "one" too: the table's count says it is gone.)
        let after = try await t.waitFor("one gone from the table") { $0.contains("Nodes 1/1") && $0.contains("reloaded: removed one") }
        #expect(TmuxSession.row(after, "two")?.contains("up") == true)
        try t.keys("q")
        #expect(try await t.waitForFile("exit")?.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }

    @Test func reloadWithDemoSaysItNeedsAConfigFile() async throws {
        let t = try TmuxSession(command: "\(TmuxSession.thrifttop) --demo --exit-after 60")
        try await t.waitFor("the demo runs") { $0.contains("alpha") }
        try t.keys(":", "reload", "Enter")
        try await t.waitFor("the note") { $0.contains("reload needs a config file") }
        try t.keys("q")
        #expect(try await t.waitForFile("exit")?.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }
}
