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

    /// Presses ' (the next change) until the status row says what `landed` wants, at most 8 times.
    func jump(_ t: TmuxSession, until landed: (String) -> Bool) async throws -> String {
        var screen = ""
        for _ in 0..<8 {
            try t.keys("'")
            try await Task.sleep(for: .milliseconds(300))
            screen = try t.screen()
            if let status = screen.split(separator: "\n").last, landed(String(status)) { return screen }
        }
        Issue.record("no jump landed where wanted; screen:\n\(screen)")
        return screen
    }

    /// The clock in the header (recorded time while replaying), as seconds since midnight.
    static func headerClock(_ screen: String) -> Int? {
        guard let line = screen.split(separator: "\n").first(where: { $0.contains(" UTC") }),
              let range = line.range(of: #"\d\d:\d\d:\d\d UTC"#, options: .regularExpression) else { return nil }
        let parts = line[range].prefix(8).split(separator: ":").compactMap { Int($0) }
        return parts.count == 3 ? parts[0] * 3600 + parts[1] * 60 + parts[2] : nil
    }

    /// The dashboard records what it shows (`--record FILE`) while a node dies and its operator
    /// drains another; `thrifttop replay FILE` in a terminal then plays it: pause, a step, a jump
    /// to the death (its row down in the frame that shows it), to the drain with its operator,
    /// `:goto`, and an export whose rows are the screen's.
    @Test func theReplayScreenPlaysStepsJumpsAndExportsWhatTheDashboardRecorded() async throws {
        let servers = try CheckCommandTests.DemoServers(scenario: """
            [[node]]
            name = "steady"
            [[node]]
            name = "spare"
            [[node]]
            name = "doomed"
            [[node.step]]
            at = 3
            crashed = true
            """)
        let config = servers.directory.appendingPathComponent("fast.toml").path
        try (try String(contentsOfFile: servers.config, encoding: .utf8) + "\n[defaults]\nheartbeat_interval_ms = 200\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let file = servers.directory.appendingPathComponent("dashboard.ttrec").path
        do {
            let dashboard = try TmuxSession(command: "\(TmuxSession.thrifttop) \(config) --record \(file)")
            try await dashboard.waitFor("doomed down", seconds: 20) { TmuxSession.row($0, "doomed")?.contains("down") == true }
            try dashboard.keys(":")
            try dashboard.keys("drain steady", "Enter")
            try await dashboard.waitFor("the drain dialog") { $0.contains("rain steady") }
            try dashboard.keys("y")
            try await dashboard.waitFor("steady drained") { TmuxSession.row($0, "steady")?.contains("drain") == true }
            try await Task.sleep(for: .seconds(2))
            try dashboard.keys("q")
            #expect(try await dashboard.waitForFile("exit")?.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        }
        let t = try TmuxSession(width: 160, height: 40, command: "\(TmuxSession.thrifttop) replay \(file)")
        let opened = try await t.waitFor("the replay screen") { $0.contains(" REPLAY ") && $0.contains("▶ ×1") }
        #expect(opened.contains("@ dashboard.ttrec"), "\(opened)")
        try t.keys("Space")
        let paused = try await t.waitFor("paused") { $0.contains("⏸ paused") }
        let clock = try #require(Self.headerClock(paused))
        // Two steps: two recorded frames on (a little over a second apart each).
        try t.keys(".")
        try await Task.sleep(for: .milliseconds(200))
        try t.keys(".")
        try await t.waitFor("two frames on") { screen in Self.headerClock(screen).map { $0 >= clock + 1 && $0 <= clock + 3 } == true }
        // ' until the death: the row shows it in the frame the jump lands on.
        let death = try await jump(t) { $0.contains("doomed: up → down") }
        try await t.waitFor("doomed down where the jump landed") { TmuxSession.row($0, "doomed")?.contains("down") == true }
        #expect(death.contains("⏸ paused"))
        // On to the drain, with who did it.
        _ = try await jump(t) { $0.contains("steady: ") && $0.contains(NSUserName()) }
        try await t.waitFor("steady drained in the replay") { TmuxSession.row($0, "steady")?.contains("drain") == true }
        // Back to the start: everything up.
        try t.keys(":")
        try t.keys("goto +1.5", "Enter")
        let early = try await t.waitFor("doomed up again at +1.5 s") { TmuxSession.row($0, "doomed")?.contains("up") == true }
        #expect(early.contains("⏸ paused"))
        try t.keys(":")
        try t.keys("goto +5", "Enter")
        let shown = try await t.waitFor("doomed down at +5 s") { TmuxSession.row($0, "doomed")?.contains("down") == true }
        let csv = t.directory.appendingPathComponent("nodes.csv").path
        try t.keys(":")
        try t.keys("export \(csv)", "Enter")
        try await t.waitFor("the export said") { $0.contains("exported 3 rows to") }
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\r\n").map(String.init)
        #expect(lines.first?.hasPrefix("STATE,NAME,ADDRESS,FB303,P50,P99") == true, "\(lines)")
        let tableRows = shown.split(separator: "\n").drop { !$0.hasPrefix("STATE") }.dropFirst().prefix(3)
        #expect(lines.count == 4)
        for (row, line) in zip(tableRows, lines.dropFirst()) {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            #expect(row.hasPrefix(fields[0]) && row.contains(" \(fields[1]) ") && row.contains(fields[2]), "\(row) | \(line)")
        }
        try t.keys("q")
        #expect(try await t.waitForFile("exit")?.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        #expect(try await t.waitForFile("stty.after") == t.file("stty.before"))
    }

    /// A recording whose writes start failing (a file over `ulimit -f`, as a full disk fails
    /// them) stops with an event that says why; serve goes on heartbeating and answering, and
    /// what was written replays up to where the writes stopped.
    @Test func aDiskThatFillsStopsTheRecordingNotTheDaemon() throws {
        let servers = try CheckCommandTests.DemoServers(scenario: Self.scenario)
        let socket = servers.directory.appendingPathComponent("admin.sock").path
        let config = try String(contentsOfFile: servers.config, encoding: .utf8)
            + "\n[admin]\nsocket = \"\(socket)\"\n[defaults]\nheartbeat_interval_ms = 100\n"
        let directory = servers.directory.appendingPathComponent("rec").path
        let serve = try ServeCommandTests.Serve(config: config, arguments: ["--record", directory], fileSizeLimitKB: 4)
        let said = serve.stderr(waitingFor: "recording stopped", seconds: 60)
        #expect(said.contains("error record: recording stopped: cannot write to the recording \(directory)/"), "\(said)")
        #expect(said.contains(": File too large; thrifttop goes on"), "\(said)")
        #expect(serve.process.isRunning)
        // Still serving its admin API, the event in its log.
        let events = try runToEnd("/usr/bin/curl", ["-s", "-m", "10", "--unix-socket", socket, "http://local/v1/snapshot"]).out
        #expect(events.contains("recording stopped"), "\(events.prefix(500))")
        kill(serve.process.processIdentifier, SIGTERM)
        #expect(serve.waitForExit() == 0)
        let (status, summary, _) = try replay([directory, "--print"])
        #expect(status == 0)
        // Its last minute has no end: said, as open, or as damaged where a frame was cut.
        #expect(summary.contains("open      its last minute has no end yet") || summary.contains("damaged   "), "\(summary)")
        let (atStatus, table, atErrors) = try replay([directory, "--at", "+0.5"])
        #expect(atStatus == 0 && table.contains("steady"), "\(table) \(atErrors)")
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
