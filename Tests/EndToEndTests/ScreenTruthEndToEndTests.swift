import Foundation
import Testing

/// The screen over a cluster of one's own, Apache Thrift's Python fb303 servers, as a newcomer
/// uses it: nodes die and hang, the header says how many are routable, a hung node is suspect
/// before it is down, and the dashboard goes when its terminal does. Then `serve` without
/// listeners as a monitor, `attach` with a wrong token, and the command line's own promises.
@Suite("Screen truth end to end (tmux, python3-thrift)", .serialized)
struct ScreenTruthEndToEndTests {
    /// A temporary directory with `cluster.toml` over `servers` (heartbeats every 500 ms) and the
    /// admin socket; gone when the value is.
    final class Cluster {
        let directory: URL
        let config: URL
        var socket: String { directory.appendingPathComponent("admin.sock").path }

        init(_ servers: [(name: String, port: Int)], extra: String = "") throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-truth-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            config = directory.appendingPathComponent("cluster.toml")
            var text = "name = \"own\"\n\(extra)\n[admin]\nsocket = \"\(directory.appendingPathComponent("admin.sock").path)\"\n"
            for server in servers {
                text += "[[node]]\nname = \"\(server.name)\"\naddress = \"127.0.0.1:\(server.port)\"\nheartbeat_interval_ms = 500\ncall_timeout_ms = 400\n"
            }
            try text.write(to: config, atomically: true, encoding: .utf8)
        }

        deinit { try? FileManager.default.removeItem(at: directory) }
    }

    static func state(_ screen: String, _ node: String) -> String? {
        guard let row = TmuxSession.row(screen, node) else { return nil }
        return ["up", "suspect", "down", "unknown", "degraded"].first { row.contains(" \($0) ") }
    }

    @Test func killedNodesLeaveTheRoutableCountAHungOneIsSuspectFirstAndThePaneGoingEndsTheDashboard() async throws {
        let servers = try (1 ... 4).map { _ in try PythonFB303Server() }
        let names = ["n1", "n2", "n3", "n4"]
        let cluster = try Cluster(Array(zip(names, servers.map(\.port))))
        let t = try TmuxSession(width: 160, height: 30, command: "\(TmuxSession.thrifttop) \(cluster.config.path)")
        try await t.waitFor("routable 4/4") { $0.contains("routable 4/4") }

        // Two die: their connections reset, and the header counts them out within a round.
        kill(servers[0].pid, SIGKILL)
        kill(servers[1].pid, SIGKILL)
        let killed = Date()
        let after = try await t.waitFor("routable 2/4", seconds: 10) { $0.contains("routable 2/4") }
        let took = Date().timeIntervalSince(killed)
        #expect(took < 3, "the header said routable 2/4 \(took) s after the kill")
        #expect(!after.split(separator: "\n")[0].contains("100"))
        #expect(TmuxSession.row(after, "n1")?.contains("down") == true)

        // One hangs (SIGSTOP): its heartbeats time out, suspect at the first, down at the third.
        kill(servers[2].pid, SIGSTOP)
        var seen: [String] = []
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if let state = Self.state(try t.screen(), "n3"), seen.last != state { seen.append(state) }
            if seen.last == "down" { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(seen == ["up", "suspect", "down"], "n3 went \(seen)")
        kill(servers[2].pid, SIGCONT)

        // The pane goes (as when a tmux window or an ssh session is closed): the dashboard ends.
        let pid = try #require(t.file("pid").flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        try t.tmux(["kill-pane", "-t", "e2e"])
        let gone = Date().addingTimeInterval(10)
        while kill(pid, 0) == 0 && Date() < gone { try await Task.sleep(for: .milliseconds(50)) }
        #expect(kill(pid, 0) != 0, "the dashboard kept running without its terminal")
    }

    @Test func serveWithoutListenersMonitorsAnswersCurlAndTakesADrainFromAnAttachedDashboard() async throws {
        let servers = try (1 ... 2).map { _ in try PythonFB303Server() }
        let cluster = try Cluster([("one", servers[0].port), ("two", servers[1].port)])
        let serve = try ServeCommandTests.Serve(config: try String(contentsOf: cluster.config, encoding: .utf8))
        let started = serve.stderr(waitingFor: "monitoring only")
        #expect(started.contains("no [[listener]], monitoring only"))
        _ = serve.stderr(waitingFor: "admin endpoint on unix:")

        func curl(_ path: String) throws -> String {
            try runToEnd("/usr/bin/curl", ["-sf", "--max-time", "5", "--unix-socket", cluster.socket, "http://localhost\(path)"]).out
        }
        var snapshot = ""
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            snapshot = try curl("/v1/snapshot")
            if snapshot.contains("\"heartbeats_ok\":") && !snapshot.contains("\"heartbeats_ok\":0") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(snapshot.contains("\"cluster\":\"own\""))
        #expect(snapshot.contains("\"health\":\"up\""))
        #expect(try curl("/metrics").contains("thrifttop_"))

        let t = try TmuxSession(width: 140, height: 30, command: "\(TmuxSession.thrifttop) attach unix:\(cluster.socket)")
        try await t.waitFor("both up") { Self.state($0, "one") == "up" && Self.state($0, "two") == "up" }
        try t.keys(":")
        try t.keys("-l", "drain two")
        try t.keys("Enter")
        try await t.waitFor("the drain dialog") { $0.contains("Drain two?") }
        try t.keys("y")
        try await t.waitFor("two drained") { TmuxSession.row($0, "two")?.contains("drained") == true }
        #expect(try curl("/v1/snapshot").contains("\"drained\":true"))
        try t.keys("q")
        #expect(try await t.waitForFile("exit")?.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        kill(serve.process.processIdentifier, SIGTERM)
        #expect(serve.waitForExit() == 0)
        // Every event it had is printed before it stops, the operator's drain among them.
        #expect(serve.stderr().contains("operator_action"))
    }

    @Test func attachWithAWrongTokenStopsBeforeTheScreenNamingTheToken() async throws {
        let server = try PythonFB303Server()
        let cluster = try Cluster([("one", server.port)])
        let tokens = cluster.directory.appendingPathComponent("tokens")
        try "alice:right-0123456789abcdef\n".write(to: tokens, atomically: true, encoding: .utf8)
        chmod(tokens.path, 0o600)
        let wrong = cluster.directory.appendingPathComponent("wrong")
        try "wrong-0123456789abcdef\n".write(to: wrong, atomically: true, encoding: .utf8)
        chmod(wrong.path, 0o600)
        var text = try String(contentsOf: cluster.config, encoding: .utf8)
        text = text.replacingOccurrences(of: "[admin]\n", with: "[admin]\naddress = \"127.0.0.1:0\"\ntoken_file = \"\(tokens.path)\"\n")
        let serve = try ServeCommandTests.Serve(config: text)
        let line = serve.stderr(waitingFor: "admin endpoint on http://127.0.0.1:")
        let port = try #require(line.split(separator: "\n").first { $0.contains("admin endpoint on http://") }.flatMap { Int($0.split(separator: ":").last!) })
        let (status, message) = try await AttachTLSTests.attach(["http://127.0.0.1:\(port)", "--token-file", wrong.path])
        #expect(status == 1)
        #expect(message.contains("refused the token of --token-file (401"), "\(message)")
        kill(serve.process.processIdentifier, SIGTERM)
        _ = serve.waitForExit()
    }
}

/// What the command line promises: a version everywhere, an unknown option named, bad
/// arguments exit 1, and a JSON error for a bad config under `check --json`.
@Suite("Command line promises")
struct CommandLinePromisesTests {
    func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        try runToEnd(TmuxSession.thrifttop, arguments)
    }

    @Test(arguments: [[], ["run"], ["serve"], ["attach"], ["check"], ["demo-servers"]])
    func everySubcommandHasAVersion(_ command: [String]) throws {
        let (status, out, _) = try run(command + ["--version"])
        #expect(status == 0)
        #expect(out.hasPrefix("thrifttop "))
    }

    @Test(arguments: [["--bogus"], ["check", "x.toml", "--bogus"], ["serve", "x.toml", "--bogus"], ["attach", "--bogus"]])
    func anUnknownOptionIsNamedAndExitsOne(_ arguments: [String]) throws {
        let (status, _, err) = try run(arguments)
        #expect(status == 1)
        #expect(err.contains("Unknown option '--bogus'"), "\(err)")
    }

    @Test func theTopLevelHelpShowsTheDashboardsOptions() throws {
        let (status, out, _) = try run(["--help"])
        #expect(status == 0)
        for option in ["--demo", "--theme", "--read-only", "--no-mouse", "serve", "attach", "check"] {
            #expect(out.contains(option), "thrifttop --help does not show \(option)")
        }
    }

    @Test func checkJSONOnABadConfigPrintsAJSONErrorWithEveryProblem() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-bad-\(UUID().uuidString).toml")
        try "[default]\n[[node]]\nname = \"a\"\naddress = \"127.0.0.1:1\"\nprotocl = \"binary\"\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let (status, out, err) = try run(["check", file.path, "--json"])
        #expect(status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        #expect(object["exit_code"] as? Int == 1)
        let error = try #require(object["error"] as? String)
        #expect(error.contains(":1: default: unknown key (did you mean \"defaults\"?)"))
        #expect(error.contains(":5: node \"a\".protocl: unknown key (did you mean \"protocol\"?)"))
        #expect(err.contains("node \"a\".protocl"))
    }
}
