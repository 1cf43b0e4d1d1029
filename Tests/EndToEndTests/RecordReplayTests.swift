import Foundation
import Testing

/// `serve --record DIR` over demo servers where one node dies, then `thrifttop replay` of what it
/// recorded: the summary, the cluster before and after the death, the JSON form, and a file cut
/// as a crash would leave it.
@Suite("serve --record and replay", .serialized)
struct RecordReplayTests {
    static let scenario = """
        [[node]]
        name = "steady"
        [[node]]
        name = "doomed"
        [[node.step]]
        at = 2.5
        crashed = true
        """

    func replay(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        try runToEnd(TmuxSession.thrifttop, ["replay"] + arguments)
    }

    @Test func aRecordedDeathIsReplayedAtTheMomentItHappened() throws {
        let servers = try CheckCommandTests.DemoServers(scenario: Self.scenario)
        var config = try String(contentsOfFile: servers.config, encoding: .utf8)
        let directory = servers.directory.appendingPathComponent("rec").path
        config += "\n[admin]\nsocket = \"\(servers.directory.appendingPathComponent("admin.sock").path)\"\n"
        config += "[defaults]\nheartbeat_interval_ms = 200\n"
        let serve = try ServeCommandTests.Serve(config: config, arguments: ["--record", directory])
        #expect(serve.stderr(waitingFor: "recording into").contains("recording into \(directory)"))
        Thread.sleep(forTimeInterval: 5.5)
        // An operator drains steady through the admin socket while it records (after +4.5 s,
        // the moment looked at below).
        let socket = servers.directory.appendingPathComponent("admin.sock").path
        let drained = try runToEnd("/usr/bin/curl", ["-s", "-m", "10", "--unix-socket", socket, "-d", #"{"command": "drain", "node": "steady", "force": true}"#,
                                                     "http://local/v1/commands"]).out
        #expect(drained.contains(#""outcome":"done""#), "\(drained)")
        Thread.sleep(forTimeInterval: 1.5)
        kill(serve.process.processIdentifier, SIGTERM)
        #expect(serve.waitForExit() == 0)

        let (status, summary, _) = try replay([directory])
        #expect(status == 0)
        #expect(summary.contains("recorded  by serve, from "), "\(summary)")
        #expect(summary.contains("(2 nodes, balancer p2c-peak-ewma)"), "\(summary)")
        let (_, early, _) = try replay([directory, "--at", "+1.5"])
        #expect(early.split(separator: "\n").contains { $0.hasPrefix("doomed") && $0.contains("up") }, "\(early)")
        let (_, late, _) = try replay([directory, "--at", "+4.5"])
        #expect(late.split(separator: "\n").contains { $0.hasPrefix("doomed") && $0.contains("down") }, "\(late)")
        #expect(late.contains("routable 1/2"), "\(late)")
        let (jsonStatus, json, _) = try replay([directory, "--at", "+4.5", "--json"])
        #expect(jsonStatus == 0)
        let snapshot = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let nodes = try #require(snapshot["nodes"] as? [[String: Any]])
        #expect(nodes.first { $0["name"] as? String == "doomed" }?["health"] as? String == "down")
        let events = try #require(snapshot["events"] as? [[String: Any]])
        #expect(events.contains { $0["node"] as? String == "doomed" && ($0["message"] as? String)?.contains("→ down") == true }, "\(events)")
        // The drain, with who did it, in the recording's last moment.
        let (_, last, _) = try replay([directory, "--at", "+60", "--json"])
        let end = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        #expect((end["nodes"] as? [[String: Any]])?.first { $0["name"] as? String == "steady" }?["drained"] as? Bool == true, "\(last.prefix(300))")
        let actions = (end["events"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "operator_action" }.compactMap { $0["message"] as? String }
        #expect(actions.contains { $0.contains("drain") && $0.contains(NSUserName()) }, "\(actions)")

        // Cut inside its last frames, as a crash mid-write leaves it: read up to the cut, and said.
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: directory).first { $0.hasSuffix(".ttrec") })
        let path = directory + "/" + file
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 40).write(to: URL(fileURLWithPath: path))
        let (cutStatus, cut, cutErrors) = try replay([directory, "--at", "+4.5"])
        #expect(cutStatus == 0)
        #expect(cut.contains("doomed"), "\(cut)")
        #expect(cutErrors.contains("warning: ") && cutErrors.contains("cut"), "\(cutErrors)")
    }

    @Test func recordFollowsARunningDaemonThroughItsAdminSocket() throws {
        let servers = try CheckCommandTests.DemoServers(scenario: Self.scenario)
        let socket = servers.directory.appendingPathComponent("admin.sock").path
        let config = try String(contentsOfFile: servers.config, encoding: .utf8) + "\n[admin]\nsocket = \"\(socket)\"\n"
        let serve = try ServeCommandTests.Serve(config: config)
        #expect(serve.stderr(waitingFor: "admin endpoint on").contains("admin endpoint on unix:\(socket)"))
        let file = servers.directory.appendingPathComponent("daemon.ttrec").path
        let (status, _, said) = try runToEnd(TmuxSession.thrifttop, ["record", "unix:\(socket)", "-o", file, "--duration", "4"])
        #expect(status == 0, "\(said)")
        #expect(said.contains("--duration: \(file) closed"), "\(said)")
        kill(serve.process.processIdentifier, SIGTERM)
        #expect(serve.waitForExit() == 0)
        let (_, summary, _) = try replay([file])
        #expect(summary.contains("recorded  by record unix:\(socket), from "), "\(summary)")
        let (_, json, _) = try replay([file, "--at", "+3", "--json"])
        let snapshot = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect((snapshot["nodes"] as? [[String: Any]])?.map { $0["name"] as? String } == ["steady", "doomed"])
    }

    @Test func whatIsNoRecordingAndABadTimeAreNamed() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-norec-\(UUID().uuidString).ttrec")
        try "hello\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let (status, _, errors) = try replay([file.path])
        #expect(status == 1)
        #expect(errors.contains("is not a thrifttop recording"), "\(errors)")
        let (missing, _, said) = try replay(["/nonexistent/rec", "--at", "25:00"])
        #expect(missing == 1 && said.contains("no recording at /nonexistent/rec"), "\(said)")
    }
}
