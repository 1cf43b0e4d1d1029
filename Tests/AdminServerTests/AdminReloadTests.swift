import AdminServer
import ClusterModel
import ClusterPool
import Dispatch
import Foundation
import Testing

/// `POST /v1/reload` and what a reload does to `/v1/stream`.
extension AdminServerTests {
    /// Drops node "b" from the config in force.
    static let dropB: @Sendable (ClusterPool, String) async -> ReloadOutcome = { pool, user in
        var config = pool.config
        config.nodes.removeAll { $0.name == "b" }
        return await pool.reload(config, user: user)
    }

    @Test func aReloadAnswersWhatChangedAndTheStreamSaysWhichNodesWent() async throws {
        try await Self.run({ _, _ in }, reload: Self.dropB) { admin, directory in
            let socket = try #require(admin.socketPath)
            // The stream runs for 4 s in its own curl while the reload happens.
            let stream = Task { try await Self.curl(["-N", "-m", "4", "--unix-socket", socket, "http://local/v1/stream"]) }
            try await Task.sleep(for: .milliseconds(800))
            let answer = try await Self.curl(["-X", "POST", "--unix-socket", socket, "http://local/v1/reload"])
            #expect(answer.status == 200, "\(answer)")
            let object = try Self.json(answer.body)
            #expect(object["outcome"] as? String == "done" && object["removed"] as? [String] == ["b"], "\(answer.body)")
            #expect(object["message"] as? String == "reloaded: removed b")
            let text = try await stream.value.body
            let deltas = text.components(separatedBy: "\n\n").filter { $0.hasPrefix("event: delta") }
            let removal = try #require(deltas.first { $0.contains(#""removed_nodes":["b"]"#) }, "a delta says b is gone: \(text.suffix(2000))")
            #expect(!removal.contains(#""name":"b""#))
            #expect(deltas.filter { $0.contains("removed_nodes") }.count == 1, "only the delta right after the reload")
            let audit = try String(contentsOf: directory.appendingPathComponent("audit.jsonl"), encoding: .utf8)
            #expect(audit.contains(#""action":"reload""#) && audit.contains("(uid \(getuid()))"), "audited with the operator: \(audit)")
            let snapshot = try Self.json(try await Self.curl(["--unix-socket", socket, "http://local/v1/snapshot"]).body)
            #expect((snapshot["nodes"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["a"])
        }
    }

    @Test func aReadOnlyTokenMayNotReloadAndWithoutAFileThereIsNothingToReload() async throws {
        try await Self.run({ settings, directory in
            let tokens = directory.appendingPathComponent("tokens"), readOnly = directory.appendingPathComponent("ro-tokens")
            try "alice:alice-0123456789abcdef\n".write(to: tokens, atomically: true, encoding: .utf8)
            try "viewer:viewer-0123456789abcdef\n".write(to: readOnly, atomically: true, encoding: .utf8)
            for file in [tokens, readOnly] { chmod(file.path, 0o600) }
            settings.address = NodeAddress(host: "127.0.0.1", port: 0)
            settings.tokenFile = tokens.path
            settings.readOnlyTokenFile = readOnly.path
        }, reload: Self.dropB) { admin, _ in
            let base = "http://\(try #require(admin.tcpAddress))"
            let refused = try await Self.curl(["-X", "POST", "-H", "Authorization: Bearer viewer-0123456789abcdef", "\(base)/v1/reload"])
            #expect(refused.status == 403, "\(refused)")
            #expect(try await Self.curl(["-H", "Authorization: Bearer alice-0123456789abcdef", "\(base)/v1/reload"]).status == 405)
            let done = try await Self.curl(["-X", "POST", "-H", "Authorization: Bearer alice-0123456789abcdef", "\(base)/v1/reload"])
            #expect(done.status == 200 && done.body.contains(#""removed":["b"]"#), "\(done)")
        }
        try await Self.run({ _, _ in }) { admin, _ in
            let answer = try await Self.curl(["-X", "POST", "--unix-socket", try #require(admin.socketPath), "http://local/v1/reload"])
            #expect(answer.status == 409 && answer.body.contains("without a cluster file"), "\(answer)")
        }
    }
}
