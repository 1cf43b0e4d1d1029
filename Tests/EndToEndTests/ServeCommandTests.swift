import ClusterPool
import DemoCluster
import EtcdHarness
import Foundation
import NIOCore
import NIOPosix
import Testing
import ThriftWire

/// `thrifttop serve` as a process: its listener, SIGTERM with calls in flight, startup errors.
@Suite("thrifttop serve", .serialized)
struct ServeCommandTests {
    /// A `thrifttop serve` process over `config`; stderr is collected. Killed by PID at the end.
    final class Serve: @unchecked Sendable {
        let process = Process()
        let directory: URL
        private let errors = Pipe()
        private var collected = ""

        /// `fileSizeLimitKB`: serve runs under `ulimit -f` (a write past it fails, as on a full disk).
        init(config: String, arguments: [String] = [], fileSizeLimitKB: Int? = nil) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-serve-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let file = directory.appendingPathComponent("cluster.toml")
            try config.write(to: file, atomically: true, encoding: .utf8)
            if let fileSizeLimitKB {
                // exec: the PID is serve's, for the signals the tests send.
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                process.arguments = ["-c", "ulimit -f \(fileSizeLimitKB) && exec \"$0\" \"$@\"", TmuxSession.thrifttop, "serve", file.path] + arguments
            } else {
                process.executableURL = URL(fileURLWithPath: TmuxSession.thrifttop)
                process.arguments = ["serve", file.path] + arguments
            }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = errors
            try process.run()
        }

        /// stderr so far (all of it once the process has exited).
        func stderr(waitingFor text: String? = nil, seconds: Double = 10) -> String {
            let deadline = Date().addingTimeInterval(seconds)
            let handle = errors.fileHandleForReading
            repeat {
                if let text, collected.contains(text) { break }
                if !process.isRunning {
                    collected += String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
                    break
                }
                let fd = handle.fileDescriptor
                var poll = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                if Glibc.poll(&poll, 1, 50) > 0 {
                    let chunk = handle.availableData
                    collected += String(decoding: chunk, as: UTF8.self)
                }
            } while text != nil && Date() < deadline
            return collected
        }

        func port() throws -> Int {
            let text = stderr(waitingFor: "listening on 127.0.0.1:")
            let line = try #require(text.split(separator: "\n").first { $0.contains("listening on 127.0.0.1:") })
            return try #require(Int(line.split(separator: ":").last!))
        }

        func waitForExit(seconds: Double = 15) -> Int32? {
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            return process.isRunning ? nil : process.terminationStatus
        }

        deinit {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
            try? FileManager.default.removeItem(at: directory)
        }
    }

    static func config(listener: String, nodePort: Int) -> String {
        """
        name = "served"
        [proxy]
        shutdown_grace_s = 5
        [[listener]]
        address = "\(listener)"
        [[node]]
        name = "only"
        address = "127.0.0.1:\(nodePort)"
        heartbeat_interval_ms = 100
        call_timeout_ms = 5000
        """
    }

    @Test func sigtermLetsCallsInFlightFinishThenExitsZero() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let server = DemoServer(spec: DemoNodeSpec(name: "only"), group: group)
        try await server.start()
        defer { Task { await server.stop() } }
        let serve = try Serve(config: Self.config(listener: "127.0.0.1:0", nodePort: server.port))
        let port = try serve.port()
        _ = serve.stderr(waitingFor: "state_change: unknown → up")
        let clients = try await (0..<4).asyncMap { _ in
            try await ThriftConnection.connect(host: "127.0.0.1", port: port, protocolKind: .binary, transport: .framed, group: group)
        }
        let calls = clients.map { client in
            Task { try await client.call(DemoService.Work.self, .init(costMicros: 1_000_000, payload: [7]), timeout: .seconds(10)) }
        }
        try await Task.sleep(for: .milliseconds(300))
        kill(serve.process.processIdentifier, SIGTERM)
        for call in calls { #expect(try await call.value == [7], "a call in flight at SIGTERM finishes") }
        #expect(serve.waitForExit() == 0)
        let text = serve.stderr()
        #expect(text.contains("SIGTERM: no new connections; waiting up to 5000 ms for calls in flight"))
        #expect(text.contains("thrifttop serve: stopped"))
        await #expect(throws: (any Error).self, "nobody listens any more") {
            _ = try await ThriftConnection.connect(host: "127.0.0.1", port: port, protocolKind: .binary, transport: .framed, group: group)
        }
    }

    @Test func eventsAreJSONLinesWithLogFormatJSON() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let server = DemoServer(spec: DemoNodeSpec(name: "only"), group: group)
        try await server.start()
        defer { Task { await server.stop() } }
        let serve = try Serve(config: Self.config(listener: "127.0.0.1:0", nodePort: server.port), arguments: ["--log-format", "json"])
        let text = serve.stderr(waitingFor: #""kind":"state_change""#)
        let lines = text.split(separator: "\n").filter { $0.hasPrefix("{") }
        let events = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(events.count == lines.count && !events.isEmpty, "every event line is a JSON object: \(text)")
        #expect(events.contains { $0["kind"] as? String == "config" && ($0["message"] as? String)?.hasPrefix("pool started") == true })
        #expect(events.contains { $0["node"] as? String == "only" && $0["kind"] as? String == "state_change" && ($0["time"] as? String)?.hasSuffix("Z") == true })
        kill(serve.process.processIdentifier, SIGTERM)
        #expect(serve.waitForExit() == 0)
    }

    @Test func aPortInUseIsNamedBeforeAnythingStarts() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let server = DemoServer(spec: DemoNodeSpec(name: "only"), group: group)
        try await server.start()
        defer { Task { await server.stop() } }
        // The node's own port is taken, by the node.
        let serve = try Serve(config: Self.config(listener: "127.0.0.1:\(server.port)", nodePort: server.port))
        #expect(serve.waitForExit() == 1)
        let text = serve.stderr()
        #expect(text.contains("error: cannot listen on 127.0.0.1:\(server.port): address already in use"), "\(text)")
        #expect(!text.contains("pool started"), "nothing starts")
    }

    /// Without [[listener]] serve is a monitor; a SIGTERM as soon as the pool has its events
    /// still prints every one (here the config's warning and every node's refused connect), also
    /// those the printer (every 200 ms) has not reached yet.
    @Test func aConfigWithoutListenersMonitorsAndASIGTERMAtOncePrintsEveryEvent() throws {
        // 21 distinct ports: the OS may hand out a port just freed again.
        var ports: [Int] = []
        while ports.count < 21 {
            let port = try LoopbackPort.free()
            if !ports.contains(port) { ports.append(port) }
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-monitor-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var config = "[admin]\nsocket = \"\(directory.appendingPathComponent("admin.sock").path)\"\n"
        config += "[defaults]\nheartbeat_interval_ms = 200\ncall_timeout_ms = 1000\n"
        for port in ports { config += "[[node]]\nname = \"n\(port)\"\naddress = \"127.0.0.1:\(port)\"\n" }
        let serve = try Serve(config: config)
        #expect(serve.stderr(waitingFor: "monitoring only").contains("no [[listener]], monitoring only"))
        // Once every refused connect is in the pool (asked of the admin socket, not of stderr).
        let socket = directory.appendingPathComponent("admin.sock").path
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let snapshot = try runToEnd("/usr/bin/curl", ["-s", "--max-time", "5", "--unix-socket", socket, "http://localhost/v1/snapshot"]).out
            let json = try? JSONSerialization.jsonObject(with: Data(snapshot.utf8)) as? [String: Any]
            let nodes = json?["nodes"] as? [[String: Any]] ?? []
            if nodes.count == ports.count, nodes.allSatisfy({ ($0["last_error"] as? String)?.contains("cannot connect") == true }) { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        kill(serve.process.processIdentifier, SIGTERM)
        #expect(serve.waitForExit() == 0)
        let text = serve.stderr()
        #expect(text.contains("every node: heartbeats time out after 180 ms, not call_timeout_ms 1000"), "\(text)")
        #expect(text.split(separator: "\n").filter { $0.contains(" connection: cannot connect to 127.0.0.1:") }.count == ports.count, "\(text)")
        #expect(text.hasSuffix("thrifttop serve: stopped\n"))
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}

/// The dashboard over a config answers on the admin endpoint too: an action over the wire acts
/// on the pool the screen shows.
@Suite("Dashboard's admin endpoint (tmux)", .serialized)
struct DashboardAdminEndpointTests {
    @Test func aDrainOverTheSocketShowsOnTheDashboard() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let servers = [DemoServer(spec: DemoNodeSpec(name: "one"), group: group), DemoServer(spec: DemoNodeSpec(name: "two"), group: group)]
        for server in servers { try await server.start() }
        defer { Task { for server in servers { await server.stop() } } }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-dash-admin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let socket = directory.appendingPathComponent("run/dash.sock").path
        let config = directory.appendingPathComponent("cluster.toml")
        try """
            name = "dash"
            [admin]
            socket = "\(socket)"
            [[node]]
            name = "one"
            address = "127.0.0.1:\(servers[0].port)"
            [[node]]
            name = "two"
            address = "127.0.0.1:\(servers[1].port)"
            """.write(to: config, atomically: true, encoding: .utf8)
        let t = try TmuxSession(command: "\(TmuxSession.thrifttop) \(config.path) --exit-after 60")
        try await t.waitFor("both up") { TmuxSession.row($0, "one")?.contains("up") == true && TmuxSession.row($0, "two")?.contains("up") == true }
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-s", "-m", "10", "--unix-socket", socket, "-d", #"{"command": "drain", "node": "two"}"#, "http://local/v1/commands"]
        let out = Pipe()
        curl.standardOutput = out
        try curl.run()
        let answer = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        curl.waitUntilExit()
        #expect(answer.contains(#""outcome":"done""#), "\(answer)")
        try await t.waitFor("two drained on the screen") { TmuxSession.row($0, "two")?.contains("drain") == true }
        try t.keys("q")
        #expect(try await t.waitForFile("exit")?.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        #expect(!FileManager.default.fileExists(atPath: socket), "the socket goes with the dashboard")
    }
}
