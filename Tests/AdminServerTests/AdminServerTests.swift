import AdminServer
import ClusterModel
import ClusterPool
import DemoCluster
import Foundation
import NIOCore
import NIOPosix
import Testing

/// The admin endpoint over a live pool of demo servers, asked with curl (a real HTTP client):
/// on its Unix socket and on loopback TCP with tokens.
@Suite("Admin endpoint", .serialized)
struct AdminServerTests {
    /// A pool over two demo servers with an admin endpoint; everything stopped at the end.
    /// `reload`, when given, answers `POST /v1/reload` over the pool.
    static func run(heartbeat: TimeAmount = .milliseconds(100), keepAlive: TimeAmount = .seconds(5),
                    _ configure: (inout AdminSettings, URL) throws -> Void,
                    reload: (@Sendable (ClusterPool, String) async -> ReloadOutcome)? = nil,
                    _ body: (AdminServer, URL) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-admin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let servers = [DemoServer(spec: DemoNodeSpec(name: "a"), group: group), DemoServer(spec: DemoNodeSpec(name: "b"), group: group)]
        for server in servers { try await server.start() }
        var config = ClusterConfig(name: "adm", nodes: servers.map {
            var settings = NodeSettings()
            settings.heartbeatInterval = heartbeat
            return NodeConfig(name: $0.spec.name, address: NodeAddress(host: "127.0.0.1", port: $0.port), settings: settings)
        })
        config.auditLog = directory.appendingPathComponent("audit.jsonl").path
        config.admin.socket = directory.appendingPathComponent("run/adm.sock").path
        try configure(&config.admin, directory)
        let pool = try ClusterPool(config: config, eventLoop: group.next())
        try await pool.start()
        do {
            var hook: AdminServer.Reload?
            if let reload { hook = { user in await reload(pool, user) } }
            let admin = try await AdminServer.start(pool: pool, settings: config.admin, group: group, reload: hook, streamKeepAlive: keepAlive)
            do {
                try await body(admin, directory)
            } catch {
                await admin.stop()
                throw error
            }
            await admin.stop()
        } catch {
            await pool.stop()
            for server in servers { await server.stop() }
            try? await group.shutdownGracefully()
            throw error
        }
        await pool.stop()
        for server in servers { await server.stop() }
        try? await group.shutdownGracefully()
    }

    /// `curl` with `arguments`; the body and the HTTP status. It waits on a Dispatch thread, not
    /// on one of Swift's few cooperative threads: two curls blocking those would starve the
    /// endpoint's own tasks until one ends.
    static func curl(_ arguments: [String]) async throws -> (status: Int, body: String) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try runCurl(arguments) })
            }
        }
    }

    static func runCurl(_ arguments: [String]) throws -> (status: Int, body: String) {
        do {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            process.arguments = ["-s", "-m", "10", "-w", "\n%{http_code}"] + arguments
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let text = String(decoding: data, as: UTF8.self)
            let status = Int(text.split(separator: "\n").last ?? "") ?? 0
            return (status, String(text.dropLast(text.split(separator: "\n").last?.count ?? 0)).trimmingCharacters(in: .newlines))
        }
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func theUnixSocketServesSnapshotCommandsAndHealthAndNamesTheLocalUser() async throws {
        try await Self.run({ _, _ in }) { admin, directory in
            let path = try #require(admin.socketPath)
            var info = stat()
            #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600, "the socket is the user's alone")
            #expect(stat((path as NSString).deletingLastPathComponent, &info) == 0 && info.st_mode & 0o777 == 0o700)
            let unix = ["--unix-socket", path]
            #expect(try await Self.curl(unix + ["http://local/healthz"]) == (200, "ok"))
            // Wait for both nodes, then read the snapshot.
            var snapshot: [String: Any] = [:]
            for _ in 0..<200 {
                snapshot = try Self.json(try await Self.curl(unix + ["http://local/v1/snapshot"]).body)
                let nodes = snapshot["nodes"] as? [[String: Any]] ?? []
                if nodes.count == 2 && nodes.allSatisfy({ $0["health"] as? String == "up" }) { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let nodes = try #require(snapshot["nodes"] as? [[String: Any]])
            #expect(nodes.map { $0["name"] as? String } == ["a", "b"])
            #expect(nodes.allSatisfy { $0["health"] as? String == "up" && $0["drained"] as? Bool == false && $0["weight"] as? Int == 100 })
            let post = unix + ["-H", "Content-Type: application/json", "http://local/v1/commands", "-d"]
            let drained = try await Self.curl(post + [#"{"command": "drain", "node": "a"}"#])
            #expect(drained.status == 200)
            #expect(try Self.json(drained.body)["outcome"] as? String == "done")
            let after = try Self.json(try await Self.curl(unix + ["http://local/v1/snapshot"]).body)
            #expect((after["nodes"] as? [[String: Any]])?.first?["drained"] as? Bool == true)
            let floor = try await Self.curl(post + [#"{"command": "drain", "node": "b"}"#])
            #expect(floor.status == 409)
            #expect(try Self.json(floor.body)["reason"] as? String == "draining b would leave 0 routable nodes, fewer than min_routable 1 (:drain b force overrides)")
            let unknown = try await Self.curl(post + [#"{"command": "weight", "node": "bb", "weight": 5}"#])
            #expect(unknown.status == 409 && unknown.body.contains(#"did you mean b?"#), "\(unknown)")
            #expect(try await Self.curl(post + [#"{"command": "weight", "node": "b", "weight": 5000}"#]).status == 409)
            // A weight of 0 is held to the floor as a drain is; "force" takes it past.
            let weightZero = try await Self.curl(post + [#"{"command": "weight", "node": "b", "weight": 0}"#])
            #expect(weightZero.status == 409 && weightZero.body.contains("(:weight b 0 force overrides)"), "\(weightZero)")
            #expect(try await Self.curl(post + [#"{"command": "weight", "node": "b", "weight": 0, "force": true}"#]).status == 200)
            #expect(try await Self.curl(post + [#"{"command": "undo"}"#]).status == 200)
            #expect(try await Self.curl(post + [#"{"command": "undo"}"#]).status == 200)
            // Malformed bodies: 400, naming what is wrong.
            for (body, message) in [("{bad", "malformed JSON: the body does not parse as JSON"),
                                    ("[1]", "the body must be a JSON object"),
                                    (#"{"node": "a"}"#, #"missing "command" (drain, undrain, weight, reset_weight or undo)"#),
                                    (#"{"command": "explode"}"#, #"unknown command "explode" (drain, undrain, weight, reset_weight or undo)"#),
                                    (#"{"command": "drain"}"#, #""drain" needs "node""#),
                                    (#"{"command": "weight", "node": "a", "weight": "x"}"#, #""weight" must be a whole number 0–1000"#),
                                    (#"{"command": "drain", "node": "a", "force": 1}"#, #""force" must be true or false"#),
                                    (#"{"command": "drain", "node": "a", "force_local": "yes"}"#, #""force_local" must be true or false"#),
                                    (#"{"command": "drain", "node": "a", "reason": 3}"#, #""reason" must be a string"#),
                                    (#"{"command": "drain", "node": "a", "nodes": 1}"#, #"unknown field "nodes" (command, node, weight, force, force_local, reason)"#)] {
                let answer = try await Self.curl(post + [body])
                #expect(answer.status == 400, "\(body)")
                #expect(try Self.json(answer.body)["error"] as? String == message)
            }
            #expect(try await Self.curl(unix + ["http://local/v1/nothing"]).status == 404)
            #expect(try await Self.curl(unix + ["-X", "DELETE", "http://local/v1/snapshot"]).status == 405)
            // The audit log names the local user by the peer's uid, in the one form of an operator.
            let audit = try String(contentsOf: directory.appendingPathComponent("audit.jsonl"), encoding: .utf8)
            let user = String(cString: getpwuid(getuid())!.pointee.pw_name)
            #expect(audit.contains(#""user":"\#(user) (uid \#(getuid())) on \#(PoolOptions.hostName())""#), "\(audit)")
        }
    }

    /// The server-sent events of a stream read for `seconds`: (event, id, data) each.
    static func events(_ text: String) -> [(event: String, id: UInt64, data: [String: Any])] {
        text.components(separatedBy: "\n\n").compactMap { block in
            var event = "", id: UInt64 = 0, data = ""
            for line in block.split(separator: "\n") {
                if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
                if line.hasPrefix("id: ") { id = UInt64(line.dropFirst(4)) ?? 0 }
                if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
            }
            guard !event.isEmpty, let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] else { return nil }
            return (event, id, object)
        }
    }

    @Test func theStreamSendsASnapshotThenDeltasOfWhatChanged() async throws {
        try await Self.run({ _, _ in }) { admin, _ in
            let path = try #require(admin.socketPath)
            let reading = Task { try await Self.curl(["-N", "-m", "3", "--unix-socket", path, "http://local/v1/stream"]) }
            // curl writes what it read only as it ends: give it a generous second to connect
            // and get the first snapshot, so the drain can only come as a delta.
            try await Task.sleep(for: .seconds(1))
            #expect(try await Self.curl(["--unix-socket", path, "-d", #"{"command":"drain","node":"a","force":true}"#, "http://local/v1/commands"]).status == 200)
            let events = Self.events(try await reading.value.body)
            let first = try #require(events.first)
            #expect(first.event == "snapshot")
            #expect((first.data["nodes"] as? [[String: Any]])?.count == 2)
            let deltas = events.dropFirst()
            #expect(!deltas.isEmpty && deltas.allSatisfy { $0.event == "delta" })
            #expect(deltas.count <= 31, "at most 10 a second")
            #expect(zip(events, events.dropFirst()).allSatisfy { $0.id < $1.id }, "ids are the snapshots' versions, increasing")
            let drain = try #require(deltas.first { ($0.data["nodes"] as? [[String: Any]])?.contains { $0["name"] as? String == "a" && $0["drained"] as? Bool == true } == true })
            #expect((drain.data["events"] as? [[String: Any]])?.contains { ($0["message"] as? String)?.contains("drained a") == true } == true)
            #expect(drain.data["cluster"] as? String == "adm", "the header figures come whole")
            // Back with an id the server cannot continue from: a full snapshot again.
            let again = Self.events(try await Self.curl(["-N", "-m", "0.5", "-H", "Last-Event-ID: 1", "--unix-socket", path, "http://local/v1/stream"]).body)
            #expect(again.first?.event == "snapshot")
        }
    }

    @Test func anIdleStreamGetsAKeepAliveCommentEachPeriodAndClientsGetTheSameDeltas() async throws {
        // Heartbeats every 30 s: after the first, nothing changes, and only keep-alives flow.
        try await Self.run(heartbeat: .seconds(30), keepAlive: .milliseconds(300), { _, _ in }) { admin, _ in
            let path = try #require(admin.socketPath)
            try await Task.sleep(for: .milliseconds(500))  // the first heartbeats
            let first = Task { try await Self.curl(["-N", "-m", "2.5", "--unix-socket", path, "http://local/v1/stream"]) }
            let second = Task { try await Self.curl(["-N", "-m", "2.5", "--unix-socket", path, "http://local/v1/stream"]) }
            try await Task.sleep(for: .milliseconds(1200))
            #expect(try await Self.curl(["--unix-socket", path, "-d", #"{"command":"drain","node":"b"}"#, "http://local/v1/commands"]).status == 200)
            let (one, two) = (try await first.value.body, try await second.value.body)
            for text in [one, two] {
                let comments = text.split(separator: "\n").filter { $0 == ": keep-alive" }.count
                // 2.5 s with one change at 1.2 s: about 6 periods of 300 ms, minus the ones the
                // delta stood in for; generous for a busy machine.
                #expect((3 ... 9).contains(comments), "\(comments) keep-alives in 2.5 s at 300 ms:\n\(text)")
            }
            // The drain's delta is the same bytes for both clients (encoded once).
            let delta = { (text: String) in text.components(separatedBy: "\n\n").first { $0.hasPrefix("event: delta") } }
            #expect(delta(one) != nil && delta(one) == delta(two))
        }
    }

    @Test func aTokenFileOthersCanReadIsRefusedByName() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-tokens-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokens = directory.appendingPathComponent("tokens")
        try "alice:alice-0123456789abcdef\n".write(to: tokens, atomically: true, encoding: .utf8)
        chmod(tokens.path, 0o644)
        do {
            try await Self.run({ settings, _ in
                settings.socketEnabled = false
                settings.address = NodeAddress(host: "127.0.0.1", port: 0)
                settings.tokenFile = tokens.path
            }) { _, _ in Issue.record("the endpoint started with a readable token file") }
        } catch let error as AdminStartError {
            #expect(error.description == "admin endpoint token_file: token file \(tokens.path) can be read by others (mode 644): chmod 600 \(tokens.path)")
        }
    }

    @Test func tcpNeedsATokenAndAReadOnlyTokenMayNotAct() async throws {
        try await Self.run({ settings, directory in
            let tokens = directory.appendingPathComponent("tokens"), readOnly = directory.appendingPathComponent("ro-tokens")
            try "# operators\nalice:alice-0123456789abcdef\n".write(to: tokens, atomically: true, encoding: .utf8)
            try "viewer:viewer-0123456789abcdef\n".write(to: readOnly, atomically: true, encoding: .utf8)
            for file in [tokens, readOnly] { chmod(file.path, 0o600) }
            settings.socketEnabled = false
            settings.address = NodeAddress(host: "127.0.0.1", port: 0)
            settings.tokenFile = tokens.path
            settings.readOnlyTokenFile = readOnly.path
        }) { admin, directory in
            #expect(admin.socketPath == nil)
            let base = "http://\(try #require(admin.tcpAddress))"
            #expect(try await Self.curl(["\(base)/healthz"]) == (200, "ok"), "a liveness probe needs no token")
            #expect(try await Self.curl(["\(base)/v1/snapshot"]).status == 401)
            #expect(try await Self.curl(["-H", "Authorization: Bearer alice-0123456789abcdeX", "\(base)/v1/snapshot"]).status == 401)
            #expect(try await Self.curl(["-H", "Authorization: Bearer viewer-0123456789abcdef", "\(base)/v1/snapshot"]).status == 200)
            let refused = try await Self.curl(["-H", "Authorization: Bearer viewer-0123456789abcdef", "-d", #"{"command":"drain","node":"a"}"#, "\(base)/v1/commands"])
            #expect(refused.status == 403)
            let done = try await Self.curl(["-H", "Authorization: Bearer alice-0123456789abcdef", "-d", #"{"command":"weight","node":"a","weight":50}"#, "\(base)/v1/commands"])
            #expect(done.status == 200, "\(done)")
            let audit = try String(contentsOf: directory.appendingPathComponent("audit.jsonl"), encoding: .utf8)
            #expect(audit.contains(#""user":"alice""#), "the token's operator is named: \(audit)")
        }
    }

    @Test func aLiveSocketIsNeverTakenOverAndAStaleOneIsReplaced() async throws {
        try await Self.run({ _, _ in }) { admin, directory in
            let path = try #require(admin.socketPath)
            var settings = AdminSettings()
            settings.socket = path
            let group = MultiThreadedEventLoopGroup.singleton
            let other = try ClusterPool(config: ClusterConfig(name: "other", nodes: [NodeConfig(name: "x", address: NodeAddress(host: "127.0.0.1", port: 1))]),
                                        eventLoop: group.next())
            await #expect(throws: AdminStartError.self) { _ = try await AdminServer.start(pool: other, settings: settings, group: group) }
            do {
                _ = try await AdminServer.start(pool: other, settings: settings, group: group)
            } catch {
                #expect("\(error)" == "admin endpoint \(path): another thrifttop answers on it; set [admin] socket = \"PATH\" to use another path (or socket = \"\" for none)")
            }
            // A stale socket file (nobody answers): replaced.
            let stale = directory.appendingPathComponent("run/stale.sock").path
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, byte) in stale.utf8.enumerated() { raw[i] = byte } }
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
            close(fd)
            #expect(FileManager.default.fileExists(atPath: stale))
            settings.socket = stale
            let replaced = try await AdminServer.start(pool: other, settings: settings, group: group)
            #expect(try await Self.curl(["--unix-socket", stale, "http://local/healthz"]) == (200, "ok"))
            await replaced.stop()
            #expect(!FileManager.default.fileExists(atPath: stale), "removed when the endpoint stops")
        }
    }

    @Test func tcpWithoutATokenFileOrOnANonLoopbackAddressIsRefusedByName() {
        func error(_ admin: String) -> String? {
            do {
                _ = try ClusterConfig(parsing: "[admin]\n" + admin + "\n[[node]]\nname = \"a\"\naddress = \"127.0.0.1:1\"\n", file: "c.toml")
                return nil
            } catch {
                return "\(error)"
            }
        }
        #expect(error(#"address = "127.0.0.1:9900""#)
                == "c.toml:2: admin.address: a TCP admin endpoint needs token_file (one token per line, NAME:TOKEN to name its operator)")
        #expect(error("address = \"10.1.2.3:9900\"\ntoken_file = \"/t\"")
                == "c.toml:2: admin.address: 10.1.2.3:9900 is not a loopback address: tokens would cross the network in the clear; set tls_cert_file and tls_key_file to serve it over TLS, or listen on 127.0.0.1")
        #expect(error("socket = 5") != nil)
    }
}
