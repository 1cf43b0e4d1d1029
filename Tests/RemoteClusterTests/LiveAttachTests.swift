import AdminServer
import AsyncHTTPClient
import ClusterModel
import ClusterPool
import DemoCluster
import Foundation
import NIOCore
import NIOPosix
import Testing
@testable import RemoteCluster

/// `RemoteCluster` against a real admin endpoint over a live pool of demo servers: it follows
/// the stream, acts over the wire, shows the daemon gone, and comes back by itself.
@Suite("Attach to a live endpoint", .serialized)
struct LiveAttachTests {
    final class Daemon {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let directory: URL
        var servers: [DemoServer] = []
        var pool: ClusterPool!
        var admin: AdminServer?
        var config: ClusterConfig!

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-attach-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }

        var socket: String { directory.appendingPathComponent("run/att.sock").path }

        func start() async throws {
            servers = ["a", "b", "c"].map { DemoServer(spec: DemoNodeSpec(name: $0), group: group) }
            for server in servers { try await server.start() }
            config = ClusterConfig(name: "att", nodes: servers.map {
                var settings = NodeSettings()
                settings.heartbeatInterval = .milliseconds(100)
                return NodeConfig(name: $0.spec.name, address: NodeAddress(host: "127.0.0.1", port: $0.port), settings: settings)
            })
            config.auditLog = directory.appendingPathComponent("audit.jsonl").path
            config.admin.socket = socket
            pool = try ClusterPool(config: config, eventLoop: group.next())
            try await pool.start()
            try await startAdmin()
        }

        func startAdmin() async throws {
            admin = try await AdminServer.start(pool: pool, settings: config.admin, group: group)
        }

        func stopAdmin() async {
            await admin?.stop()
            admin = nil
        }

        func stop() async {
            await stopAdmin()
            await pool?.stop()
            for server in servers { await server.stop() }
            try? await group.shutdownGracefully()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    static func withAttached(_ body: (Daemon, RemoteCluster) async throws -> Void) async throws {
        let daemon = try Daemon()
        let http = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: RemoteCluster.httpConfiguration)
        var remote: RemoteCluster?
        do {
            try await daemon.start()
            let attached = RemoteCluster(endpoint: .unix(path: daemon.socket), http: http)
            remote = attached
            attached.start()
            try await body(daemon, attached)
        } catch {
            await remote?.stop()
            try? await http.shutdown()
            await daemon.stop()
            throw error
        }
        await remote?.stop()
        try? await http.shutdown()
        await daemon.stop()
    }

    /// Polls `condition` every 20 ms for up to `seconds` (generous: a busy 2-core machine).
    static func eventually(within seconds: Double = 10, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    @Test func theFeedFollowsTheDaemonAndActionsComeBackWithItsAnswer() async throws {
        try await Self.withAttached { daemon, remote in
            #expect(await Self.eventually { remote.feed.isLive && remote.feed.snapshot.nodes.allSatisfy { $0.health == .up } && remote.feed.snapshot.nodes.count == 3 })
            #expect(remote.feed.name == "att")

            // A drain sent over the wire: done, and the stream brings it back (within 1 s).
            let sent = Date()
            #expect(await remote.execute(.drain(node: "b")).isDone)
            #expect(await Self.eventually(within: 1) { remote.feed.snapshot.node(named: "b")?.operatorDrained == true })
            #expect(Date().timeIntervalSince(sent) < 1)
            #expect(daemon.pool.snapshot.node(named: "b")?.operatorDrained == true)

            // Refusals come back with the daemon's reason; undo is this caller's own.
            guard case let .refused(reason) = await remote.execute(.drain(node: "bb")) else { Issue.record("drain of an unknown node was done"); return }
            #expect(reason == "no node named \"bb\" (did you mean b?)")
            guard case .refused = await remote.execute(.setWeight(node: "a", weight: 5000)) else { Issue.record("weight 5000 was done"); return }
            #expect(await remote.execute(.undo).isDone)
            #expect(await Self.eventually { remote.feed.snapshot.node(named: "b")?.operatorDrained == false })

            // A node going down on the daemon shows on the attached feed.
            await daemon.servers[2].stop()
            #expect(await Self.eventually { remote.feed.snapshot.node(named: "c")?.health == .down })
            #expect(remote.feed.snapshot.events.contains { $0.node == "c" })
        }
    }

    @Test func aDaemonThatGoesAwayIsShownUnreachableThenResumesByItself() async throws {
        try await Self.withAttached { daemon, remote in
            #expect(await Self.eventually { remote.feed.isLive && remote.feed.snapshot.nodes.count == 3 })
            let before = Date()
            await daemon.stopAdmin()
            #expect(await Self.eventually {
                if case .unreachable = remote.feed.link { return true }
                return false
            })
            guard case let .unreachable(since, reason, retryAt) = remote.feed.link else { return }
            #expect(since >= before.addingTimeInterval(-0.01))
            #expect(!reason.isEmpty)
            #expect(retryAt.map { $0 > since } == true)
            // The last figures stay, marked stale; commands say why they cannot be sent.
            #expect(remote.feed.snapshot.nodes.count == 3)
            guard case let .refused(why) = await remote.execute(.drain(node: "a")) else { Issue.record("a drain was done with no daemon"); return }
            #expect(why.contains("did not answer"))

            // A second failed attempt keeps the outage's first time.
            try await Task.sleep(for: .milliseconds(900))
            guard case let .unreachable(stillSince, _, _) = remote.feed.link else { Issue.record("live with no daemon"); return }
            #expect(stillSince == since)

            // The daemon's endpoint comes back: the feed is live again without being asked.
            let nodeStateChange = daemon.pool.snapshot.version
            try await daemon.startAdmin()
            #expect(await Self.eventually { remote.feed.isLive })
            #expect(await Self.eventually { remote.feed.snapshot.version >= nodeStateChange })
            #expect(await remote.execute(.drain(node: "a")).isDone)
            #expect(await Self.eventually { remote.feed.snapshot.node(named: "a")?.operatorDrained == true })
        }
    }

    @Test func aSocketWithNothingBehindItIsUnreachableFromTheStart() async throws {
        let http = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: RemoteCluster.httpConfiguration)
        let started = Date()
        let remote = RemoteCluster(endpoint: .unix(path: "/tmp/thrifttop-no-such-\(UUID().uuidString).sock"), http: http)
        remote.start()
        let seen = await Self.eventually {
            if case .unreachable = remote.feed.link { return true }
            return false
        }
        let link = remote.feed.link
        let shownAfter = Date().timeIntervalSince(started)
        await remote.stop()
        try? await http.shutdown()
        #expect(seen)
        #expect(shownAfter < 5, "a missing socket is shown unreachable after the 2 s connect limit at most")
        guard case let .unreachable(_, reason, _) = link else { return }
        #expect(reason == "no socket there (the daemon is not running)")
    }
}
