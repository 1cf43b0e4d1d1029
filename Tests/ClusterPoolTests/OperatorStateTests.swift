import ClusterPool
import DemoCluster
import Foundation
import Testing

@Suite("Operator state and audit", .serialized)
struct OperatorStateTests {
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func drainsAndWeightsSurviveARestartAndEveryActionIsAudited() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let stateFile = dir.appendingPathComponent("state.json").path
        let auditLog = dir.appendingPathComponent("audit.jsonl").path
        let specs = [DemoNodeSpec(name: "a"), DemoNodeSpec(name: "b"), DemoNodeSpec(name: "c")]
        let configure: (inout ClusterConfig) -> Void = {
            $0.stateFile = stateFile
            $0.auditLog = auditLog
            $0.instance = "east-1"
        }
        let first = try await LiveCluster(specs, configure: configure)
        try await first.allUp()
        #expect(await first.pool.execute(.drain(node: "b")).isDone)
        #expect(await first.pool.execute(.setWeight(node: "c", weight: 300)).isDone)
        #expect(await first.pool.execute(.setWeight(node: "zz", weight: 3)) == .refused("no node named \"zz\""))
        await first.stop()

        let state = try JSONDecoder().decode(OperatorState.self, from: Data(contentsOf: URL(fileURLWithPath: stateFile)))
        #expect(state == OperatorState(drained: ["b"], weights: ["c": 300]))

        let lines = try String(contentsOfFile: auditLog, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        let records = try lines.map { try JSONDecoder().decode(AuditRecord.self, from: Data($0.utf8)) }
        #expect(records.map(\.action) == ["drain b", "weight c 300", "weight zz 3"])
        #expect(records.allSatisfy { $0.user == "tester" && $0.time.hasSuffix("Z") })
        #expect(records.allSatisfy { $0.instance == "east-1" }, "the config's instance names where it was done")
        #expect(records[0].before == "serving, configured weight" && records[0].after == "drained, configured weight")
        #expect(records[1].after == "serving, weight 300")
        #expect(records[2].result == "refused: no node named \"zz\"")

        // A new pool on the same state file starts with the drain and the weight.
        let second = try await LiveCluster(specs.map { DemoNodeSpec(name: $0.name) }, configure: configure)
        let snapshot = try await second.waitFor("restored") { $0.node(named: "c")?.health == .up }
        #expect(snapshot.node(named: "b")?.operatorDrained == true)
        #expect(snapshot.node(named: "c")?.weight == 300)
        #expect(snapshot.events.contains { $0.message == "restored operator state: 1 drained, 1 weight change(s)" })
        await second.stop()
    }

    @Test func aBadStateFileIsReportedAndTheConfigStillStarts() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let stateFile = dir.appendingPathComponent("state.json").path
        try "{not json".write(toFile: stateFile, atomically: true, encoding: .utf8)
        let cluster = try await LiveCluster([DemoNodeSpec(name: "a")], configure: { $0.stateFile = stateFile })
        let snapshot = try await cluster.waitFor("error event") { $0.events.contains { $0.severity == .error } }
        #expect(snapshot.events.contains { $0.message.contains("is not a thrifttop state file") })
        await cluster.stop()
    }

    /// `kill -9` of a process in the middle of rewriting the state file leaves a whole old or
    /// new version, never a torn one.
    @Test func theStateFileSurvivesKill9MidWrite() async throws {
        let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("thrifttop")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build thrifttop first (make test does)")
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let stateFile = dir.appendingPathComponent("state.json").path
        var versions: [Int] = []
        for round in 0..<8 {
            let process = Process()
            process.executableURL = binary
            process.arguments = ["state-stress", "--file", stateFile, "--iterations", "1000000"]
            try process.run()
            // Let it write for a while (different moments each round), then kill it hard.
            try await Task.sleep(for: .milliseconds(Int64(150 + round * 37)))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal)
            let state = try JSONDecoder().decode(OperatorState.self, from: Data(contentsOf: URL(fileURLWithPath: stateFile)))
            let version = try #require(state.weights["version"])
            #expect(state.drained.first == "node-\(version)")
            #expect(state.drained.last?.count == 20_000)
            versions.append(version)
        }
        #expect(versions.allSatisfy { $0 > 0 })
        // Temp files of killed writers are left behind, never the state file itself torn.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0 != "state.json" }
        #expect(leftovers.allSatisfy { $0.hasPrefix("state.json.tmp-") })
    }
}
