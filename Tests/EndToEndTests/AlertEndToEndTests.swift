import DemoCluster
import Foundation
import NIOPosix
import Testing

/// `[alerts]` and `--bell` in the dashboard, in a real terminal (tmux): a node dies, the command
/// runs with its environment, what the command prints never reaches the screen, and the
/// terminal's bell rings.
@Suite("Alerts end to end (tmux)", .serialized)
struct AlertEndToEndTests {
    @Test func aDyingNodeRunsTheCommandOffScreenAndRingsTheBell() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let servers = [DemoServer(spec: DemoNodeSpec(name: "one"), group: group), DemoServer(spec: DemoNodeSpec(name: "two"), group: group)]
        for server in servers { try await server.start() }
        do {
            try await run(servers)
        } catch {
            for server in servers { await server.stop() }
            throw error
        }
        for server in servers { await server.stop() }
    }

    private func run(_ servers: [DemoServer]) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-alert-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let envFile = directory.appendingPathComponent("alert.env").path
        let script = directory.appendingPathComponent("alert.sh").path
        try """
            #!/bin/sh
            echo ALERT-NOISE on stdout
            echo ALERT-NOISE on stderr >&2
            env | grep '^THRIFTTOP_' | sort > "\(envFile).tmp" && mv "\(envFile).tmp" "\(envFile)"
            """.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let config = directory.appendingPathComponent("cluster.toml")
        try """
            name = "bells"
            [admin]
            socket = ""
            [alerts]
            command = ["\(script)"]
            [[node]]
            name = "one"
            address = "127.0.0.1:\(servers[0].port)"
            [[node]]
            name = "two"
            address = "127.0.0.1:\(servers[1].port)"
            """.write(to: config, atomically: true, encoding: .utf8)
        let t = try TmuxSession(command: "\(TmuxSession.thrifttop) \(config.path) --bell --exit-after 60")
        try await t.waitFor("both up") { TmuxSession.row($0, "one")?.contains("up") == true && TmuxSession.row($0, "two")?.contains("up") == true }
        #expect(try bellFlag(t) == "0", "a pool starting rings nothing")
        await servers[1].stop()
        try await t.waitFor("two down") { TmuxSession.row($0, "two")?.contains("down") == true }
        let env = try await waitForFile(envFile)
        #expect(env?.contains("THRIFTTOP_CLUSTER=bells\n") == true, "\(env ?? "no run")")
        #expect(env?.contains("THRIFTTOP_NODE=two\n") == true)
        #expect(env?.contains("THRIFTTOP_FROM=up\nTHRIFTTOP_NODE=two\n") == true)
        #expect(env?.contains("THRIFTTOP_TO=down\n") == true)
        let deadline = Date().addingTimeInterval(5)
        while try bellFlag(t) != "1" && Date() < deadline { try await Task.sleep(for: .milliseconds(100)) }
        #expect(try bellFlag(t) == "1", "the bell rang in the dashboard's window")
        let screen = try t.screen()
        #expect(!screen.contains("ALERT-NOISE"), "the command's output stays off the screen:\n\(screen)")
        try t.keys("q")
        #expect(try await t.waitForFile("exit")?.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }

    /// tmux flags a bell in a window of a detached session until someone looks at it.
    private func bellFlag(_ t: TmuxSession) throws -> String {
        try t.tmux(["display-message", "-p", "-t", "e2e", "#{window_bell_flag}"], output: true).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func waitForFile(_ path: String, seconds: Double = 10) async throws -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty { return text }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }
}
