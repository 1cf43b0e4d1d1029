import ClusterModel
import ClusterPool
import DemoCluster
import Foundation
import NIOCore
import Testing

/// `[alerts]` with real processes: a shell script as the command (run by the pool directly, not
/// through a shell) writing its environment to a file per run, over demo servers. Timing is
/// exact in DrivenAlertTests; these have generous bounds.
@Suite("Alerts with real commands", .serialized)
struct LiveAlertTests {
    /// A scratch directory with an executable alert script; removed at the end.
    final class Scratch {
        let directory: URL
        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-alerts-\(getpid())-\(UInt64.random(in: 0 ... .max))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }

        deinit { try? FileManager.default.removeItem(at: directory) }

        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

        func script(_ name: String, _ body: String) throws -> String {
            let path = path(name)
            try ("#!/bin/sh\n" + body).write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, 0o755)
            return path
        }

        /// Writes each run's THRIFTTOP_* variables to runs/NANOS-PID, whole (renamed into place).
        func recordingScript() throws -> String {
            try FileManager.default.createDirectory(atPath: path("runs"), withIntermediateDirectories: true)
            return try script("record.sh", """
                tmp="\(path("runs"))/.$$"
                env | grep '^THRIFTTOP_' | sort > "$tmp"
                echo "on stdout, which must not reach a terminal"
                echo "on stderr, kept only for the event" >&2
                mv "$tmp" "\(path("runs"))/$(date +%s%N)-$$"
                """)
        }

        /// Every recorded run, oldest first: its variables, and when it ran (ns since 1970).
        func runs() -> [(nanos: UInt64, env: [String: String])] {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: path("runs"))) ?? []).filter { !$0.hasPrefix(".") }
            return names.sorted().compactMap { name in
                guard let text = try? String(contentsOfFile: path("runs/\(name)"), encoding: .utf8),
                      let nanos = UInt64(name.split(separator: "-")[0]) else { return nil }
                var env: [String: String] = [:]
                for line in text.split(separator: "\n") {
                    let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    env[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
                }
                return (nanos, env)
            }
        }
    }

    /// Runs `body` over a live cluster with `[alerts]` set, stopping it also when `body` throws.
    func withCluster(_ specs: [DemoNodeSpec], command: [String], minInterval: TimeAmount = .seconds(30), timeout: TimeAmount = .seconds(10),
                     snapshotDirectory: String? = nil, snapshotKeep: Int = 100, _ body: (LiveCluster) async throws -> Void) async throws {
        let cluster = try await LiveCluster(specs, configure: { config in
            config.alerts.command = command
            config.alerts.minInterval = minInterval
            config.alerts.timeout = timeout
            config.alerts.snapshotDirectory = snapshotDirectory
            config.alerts.snapshotKeep = snapshotKeep
        })
        do {
            try await body(cluster)
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    func waitForRuns(_ scratch: Scratch, count: Int, seconds: Double = 10) async throws -> [(nanos: UInt64, env: [String: String])] {
        let deadline = Date().addingTimeInterval(seconds)
        while scratch.runs().count < count && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        return scratch.runs()
    }

    @Test func anAlertWritesTheClusterAsItWasThenWhereSnapshotDirSays() async throws {
        let scratch = try Scratch()
        let command = [try scratch.recordingScript()]
        let directory = scratch.path("snapshots")
        try await withCluster([DemoNodeSpec(name: "alpha"), DemoNodeSpec(name: "bravo")], command: command, snapshotDirectory: directory) { cluster in
            try await cluster.allUp()
            await cluster.servers[1].stop()
            let runs = try await waitForRuns(scratch, count: 1)
            let path = try #require(runs.first?.env["THRIFTTOP_SNAPSHOT"], "the command is told where the snapshot is")
            #expect(path.hasPrefix(directory + "/alert-") && path.hasSuffix("Z.json"), "\(path)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
            let nodes = try #require(json["nodes"] as? [[String: Any]])
            #expect(nodes.first { $0["name"] as? String == "bravo" }?["health"] as? String == "down", "the moment of the alert")
            #expect(nodes.first { $0["name"] as? String == "alpha" }?["health"] as? String == "up")
            let ran = try await cluster.waitFor("the run's event") { $0.events.contains { $0.kind == .alert } }
            #expect(ran.events.last { $0.kind == .alert }?.message == "alert command \(command[0]) ran (up → down; snapshot \(path))")
        }
    }

    /// Alerts a second or more apart write a snapshot each; only the newest `snapshot_keep`
    /// stay, so a long storm cannot fill the disk.
    @Test func onlyTheNewestSnapshotKeepAlertSnapshotsStay() async throws {
        let scratch = try Scratch()
        let command = [try scratch.recordingScript()]
        let directory = scratch.path("snapshots")
        let specs = ["alpha", "bravo", "charlie", "delta"].map { DemoNodeSpec(name: $0) }
        try await withCluster(specs, command: command, snapshotDirectory: directory, snapshotKeep: 2) { cluster in
            try await cluster.allUp()
            for (i, server) in cluster.servers.dropFirst().enumerated() {
                await server.stop()
                _ = try await waitForRuns(scratch, count: i + 1)
                try await Task.sleep(for: .milliseconds(1100))
            }
            let paths = scratch.runs().compactMap { $0.env["THRIFTTOP_SNAPSHOT"] }
            #expect(Set(paths).count == 3, "\(paths)")
            let kept = try FileManager.default.contentsOfDirectory(atPath: directory).sorted().map { directory + "/" + $0 }
            #expect(kept == Array(paths.sorted().suffix(2)), "the two newest: \(kept)")
        }
    }

    @Test func aKilledNodeRunsTheCommandOnceWithTheChangeInItsEnvironment() async throws {
        let scratch = try Scratch()
        let command = [try scratch.recordingScript()]
        try await withCluster([DemoNodeSpec(name: "alpha"), DemoNodeSpec(name: "bravo")], command: command) { cluster in
            try await cluster.allUp()
            #expect(scratch.runs().isEmpty, "a pool starting is no alert")
            await cluster.servers[1].stop()
            let runs = try await waitForRuns(scratch, count: 1)
            try #require(runs.count == 1)
            let env = runs[0].env
            #expect(env["THRIFTTOP_CLUSTER"] == "test")
            #expect(env["THRIFTTOP_NODE"] == "bravo")
            #expect(env["THRIFTTOP_FROM"] == "up")
            #expect(env["THRIFTTOP_TO"] == "down")
            #expect(env["THRIFTTOP_REASON"]?.contains(cluster.servers[1].address) == true)
            #expect(env["THRIFTTOP_COALESCED"] == nil)
            let ran = try await cluster.waitFor("the run's event") { $0.events.contains { $0.kind == .alert } }
            #expect(ran.events.last { $0.kind == .alert }?.message == "alert command \(command[0]) ran (up → down)")
            // Refused reconnects change nothing: still the one run a second later.
            try await Task.sleep(for: .seconds(1))
            #expect(scratch.runs().count == 1)
        }
    }

    @Test func aFlappingNodeGetsACoalescedRunAfterMinInterval() async throws {
        let scratch = try Scratch()
        // WARNING for 0.2 s of every 0.4 s from 1 s on: degraded and up again, over and over.
        let flap = FaultStep(at: 1, duration: 0.2, every: 0.4, change: change { $0.status = .warning })
        try await withCluster([DemoNodeSpec(name: "steady"), DemoNodeSpec(name: "flappy", script: faults([flap]))],
                              command: [try scratch.recordingScript()], minInterval: .seconds(2)) { cluster in
            let runs = try await waitForRuns(scratch, count: 2, seconds: 15)
            try #require(runs.count >= 2)
            #expect(runs[0].env["THRIFTTOP_NODE"] == "flappy")
            #expect(runs[0].env["THRIFTTOP_FROM"] == "up" && runs[0].env["THRIFTTOP_TO"] == "degraded")
            #expect(runs[0].env["THRIFTTOP_COALESCED"] == nil)
            let coalesced = runs[1].env
            #expect(coalesced["THRIFTTOP_NODE"] == "flappy")
            #expect(coalesced["THRIFTTOP_FROM"] == "degraded", "the state before the first held change")
            #expect(Int(coalesced["THRIFTTOP_COALESCED"] ?? "") ?? 0 >= 2)
            let gap = Double(runs[1].nanos - runs[0].nanos) / 1e9
            #expect(gap >= 1.5, "at most one run per min_interval_s (2 s), not one per flap (0.2 s); the runs were \(gap) s apart")
        }
    }

    @Test func aHangingCommandIsKilledAfterTimeoutWhileThePoolKeepsHeartbeating() async throws {
        let scratch = try Scratch()
        let pidFile = scratch.path("sleep.pid")
        let hang = try scratch.script("hang.sh", "sleep 600 &\necho $! > \(pidFile)\nwait\n")
        try await withCluster([DemoNodeSpec(name: "alpha"), DemoNodeSpec(name: "bravo")], command: [hang], timeout: .seconds(1)) { cluster in
            try await cluster.allUp()
            await cluster.servers[1].stop()
            let started = try await cluster.waitFor("the command started") { _ in FileManager.default.fileExists(atPath: pidFile) }
            let heartbeatsBefore = try #require(started.node(named: "alpha")).heartbeatsOK
            let snapshot = try await cluster.waitFor("the timeout event", seconds: 10) { $0.events.contains { $0.kind == .alert } }
            let event = try #require(snapshot.events.last { $0.kind == .alert })
            #expect(event.severity == .warning)
            #expect(event.node == "bravo")
            #expect(event.message == "alert command \(hang) (up → down) timed out after 1 s and was killed")
            // Heartbeats every 100 ms went on meanwhile (about ten in that second).
            let heartbeatsAfter = try #require(snapshot.node(named: "alpha")).heartbeatsOK
            #expect(heartbeatsAfter - heartbeatsBefore >= 5)
            #expect(snapshot.node(named: "alpha")?.health == .up)
            // What the command started was killed with it (its whole process group).
            let sleepPID = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(Self.isGoneOrZombie(sleepPID))
        }
    }

    @Test func aMissingProgramIsANamedWarning() async throws {
        try await withCluster([DemoNodeSpec(name: "alpha"), DemoNodeSpec(name: "bravo")], command: ["/nonexistent/thrifttop-page", "--now"]) { cluster in
            try await cluster.allUp()
            await cluster.servers[0].stop()
            let snapshot = try await cluster.waitFor("the warning") { $0.events.contains { $0.kind == .alert } }
            let event = try #require(snapshot.events.last { $0.kind == .alert })
            #expect(event.severity == .warning)
            #expect(event.message == "alert command (up → down) did not run: cannot start /nonexistent/thrifttop-page: no such file or directory")
        }
    }

    @Test func aFailingCommandIsAWarningWithTheEndOfItsStderrSanitized() async throws {
        let scratch = try Scratch()
        let failing = try scratch.script("fail.sh", "printf 'lots of output\\n%.0s' $(seq 1 500)\nprintf 'pager: \\033[31mno route\\033[0m to host\\n' >&2\nexit 3\n")
        try await withCluster([DemoNodeSpec(name: "alpha"), DemoNodeSpec(name: "bravo")], command: [failing]) { cluster in
            try await cluster.allUp()
            await cluster.servers[0].stop()
            let snapshot = try await cluster.waitFor("the warning") { $0.events.contains { $0.kind == .alert } }
            let event = try #require(snapshot.events.last { $0.kind == .alert })
            #expect(event.severity == .warning)
            #expect(event.message == "alert command \(failing) (up → down) exited with status 3: pager: no route to host")
        }
    }

    static func isGoneOrZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        // The state follows the parenthesised command name.
        guard let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }
}
