import ClusterModel
import ClusterPool
import DemoCluster
import Foundation
import NIOCore
import Testing
import ThriftWire

/// Failure detection against real demo servers.
@Suite("Pool health against demo servers", .serialized)
struct PoolHealthTests {
    @Test func aCrashedNodeIsDownWithin100MillisecondsOfTheReset() async throws {
        // Heartbeats only every second: detection must come from the reset, not from timeouts.
        let crash = FaultStep(at: 0.8, duration: 3, change: change { $0.crashed = true })
        let cluster = try await LiveCluster([DemoNodeSpec(name: "a"), DemoNodeSpec(name: "crashy", script: faults([crash]))], settings: {
            $0.heartbeatInterval = .seconds(1)
        })
        try await cluster.allUp()
        let snapshot = try await cluster.waitFor("crashy down", seconds: 3, pollMillis: 2) { $0.node(named: "crashy")?.health == .down }
        let crashedAt = try #require(cluster.servers[1].lastCrashAt)
        let detectedAfter = NIODeadline.now() - crashedAt
        #expect(detectedAfter < .milliseconds(100), "down \(detectedAfter.nanoseconds / 1_000_000) ms after the crash")
        #expect(snapshot.node(named: "crashy")?.routable == false)
        #expect(snapshot.node(named: "a")?.health == .up)
        let connectionErrors = snapshot.events.filter { (event: PoolEvent) -> Bool in
            event.node == "crashy" && event.kind == .connection && event.severity == .error
        }
        #expect(!connectionErrors.isEmpty)
        await cluster.stop()
    }

    @Test func aRestartedNodeComesBackUpAfterRiseGoodHeartbeats() async throws {
        let crash = FaultStep(at: 0.5, duration: 0.6, change: change { $0.crashed = true })
        let cluster = try await LiveCluster([DemoNodeSpec(name: "phoenix", script: faults([crash]))], configure: { $0.health.rise = 3 })
        try await cluster.allUp()
        try await cluster.waitFor("down") { $0.node(named: "phoenix")?.health == .down }
        let snapshot = try await cluster.waitFor("up again", seconds: 5) { $0.node(named: "phoenix")?.health == .up }
        let events = snapshot.events.filter { $0.node == "phoenix" && $0.kind == .stateChange }.map(\.message)
        #expect(events.contains { $0.hasPrefix("up → down") })
        #expect(events.last?.hasPrefix("down → up") == true)
        // Up only after `rise` (3) good heartbeats on the new connection: the first comes at
        // once, the next two on the 100 ms schedule, so at least one interval later.
        let reconnected = try #require(snapshot.events.lastIndex { $0.node == "phoenix" && $0.message.hasPrefix("connected") })
        let upEvent = try #require(snapshot.events.lastIndex { $0.node == "phoenix" && $0.message.hasPrefix("down → up") })
        #expect(upEvent > reconnected)
        #expect(snapshot.events[upEvent].time - snapshot.events[reconnected].time >= 0.09)
        await cluster.stop()
    }

    @Test func aHangingNodeIsSuspectThenDownWithinFallIntervals() async throws {
        let hang = FaultStep(at: 0.6, change: change { $0.hang = true })
        let cluster = try await LiveCluster([DemoNodeSpec(name: "ok"), DemoNodeSpec(name: "stuck", script: faults([hang]))])
        try await cluster.allUp()
        let hangStarted = NIODeadline.now() + .nanoseconds(Int64((0.6 - cluster.servers[1].elapsedSeconds) * 1e9))
        try await cluster.waitFor("stuck down", seconds: 3) { $0.node(named: "stuck")?.health == .down }
        // fall (3) × interval (100 ms) + timeout (80 ms) after the hang, with 100 ms of slack.
        let downAfter = NIODeadline.now() - hangStarted
        #expect(downAfter < .milliseconds(3 * 100 + 80 + 100), "down \(downAfter.nanoseconds / 1_000_000) ms after the hang")
        let messages = try await cluster.pool.currentSnapshot().events.filter { $0.node == "stuck" }.map(\.message)
        let suspect = try #require(messages.firstIndex { $0.hasPrefix("up → suspect") })
        let down = try #require(messages.firstIndex { $0.hasPrefix("suspect → down") })
        #expect(suspect < down)
        #expect(messages.contains { $0.contains("heartbeat timed out after 80 ms") })
        await cluster.stop()
    }

    @Test func aFlappingNodeDoesNotChatterThanksToHysteresis() async throws {
        // Heartbeats every 50 ms; failures on and off every 60 ms: never 3 in a row.
        let flap = FaultStep(at: 0.5, duration: 0.06, every: 0.12, change: change { $0.errorRate = 1 })
        let cluster = try await LiveCluster([DemoNodeSpec(name: "flappy", script: faults([flap]))], settings: {
            $0.heartbeatInterval = .milliseconds(50)
        })
        try await cluster.allUp()
        try await Task.sleep(for: .seconds(2))
        let node = try await cluster.node("flappy")
        #expect(node.heartbeatsFailed >= 8)
        let downs = try await cluster.pool.currentSnapshot().events.filter { $0.node == "flappy" && $0.message.contains("→ down") }
        #expect(downs.isEmpty, "went down \(downs.count) times")
        await cluster.stop()
    }

    @Test func aTApplicationExceptionIsLoggedWithItsTypeName() async throws {
        let cluster = try await LiveCluster([DemoNodeSpec(name: "ok"), DemoNodeSpec(name: "grumpy", script: faults { $0.errorRate = 1 })])
        let snapshot = try await cluster.waitFor("grumpy down") { $0.node(named: "grumpy")?.health == .down }
        let event = try #require(snapshot.events.first { $0.node == "grumpy" && $0.kind == .applicationException })
        #expect(event.message == "getStatus raised TApplicationException INTERNAL_ERROR: injected failure (error_rate) in getStatus")
        #expect(snapshot.node(named: "grumpy")?.lastError?.contains("INTERNAL_ERROR") == true)
        await cluster.stop()
    }

    @Test(arguments: [ThriftTransportKind.framed, .unframed])
    func aTransportMismatchIsReportedAsSuch(_ serverTransport: ThriftTransportKind) async throws {
        let cluster = try await LiveCluster([DemoNodeSpec(name: "m", transport: serverTransport)], configure: { config in
            // The pool speaks the other transport.
            config.nodes[0].settings.transport = serverTransport == .framed ? .unframed : .framed
        })
        let snapshot = try await cluster.waitFor("mismatch event") { $0.events.contains { $0.kind == .transportMismatch } }
        let event = try #require(snapshot.events.first { $0.kind == .transportMismatch })
        #expect(event.message.contains("transport mismatch") || event.message.contains("mismatch"))
        #expect(event.message.contains("configured \(serverTransport == .framed ? "unframed" : "framed")/binary"))
        #expect(snapshot.node(named: "m")?.health == .down)
        await cluster.stop()
    }

    @Test func aNamedMethodHeartbeatCountsAnyWellFormedReplyUnknownMethodIncluded() async throws {
        // getName answers with a string (no fb303 status), noSuchMethod with UNKNOWN_METHOD: both
        // prove the Thrift stack answers. A server whose status is STOPPED stays up this way, as
        // the named method does not ask for it.
        let cluster = try await LiveCluster(
            [DemoNodeSpec(name: "named"), DemoNodeSpec(name: "unknown"), DemoNodeSpec(name: "stopped", script: faults { $0.status = .stopped })],
            configure: { config in
                config.nodes[0].settings.heartbeat = .method("getName")
                config.nodes[1].settings.heartbeat = .method("noSuchMethod")
                config.nodes[2].settings.heartbeat = .method("getName")
            })
        try await cluster.allUp()
        let snapshot = try await cluster.waitFor("five good heartbeats each") { $0.nodes.allSatisfy { $0.heartbeatsOK >= 5 } }
        #expect(snapshot.nodes.allSatisfy { $0.heartbeatsFailed == 0 && $0.fbStatus == nil })
        await cluster.stop()
    }

    @Test func statusAndDetailsMapAndServerTextIsSanitized() async throws {
        let warn = FaultStep(at: 0, change: change { $0.status = .warning; $0.details = "\u{1b}[2J\u{1b}[31mdisk 91% full\u{07}" })
        let cluster = try await LiveCluster([DemoNodeSpec(name: "disk", version: "3.1", script: faults([warn])),
                                             DemoNodeSpec(name: "warm", script: faults { $0.status = .starting })])
        let snapshot = try await cluster.waitFor("degraded + starting") {
            $0.node(named: "disk")?.health == .degraded && $0.node(named: "warm")?.health == .starting && $0.node(named: "disk")?.statusDetails != ""
        }
        let disk = try #require(snapshot.node(named: "disk"))
        #expect(disk.statusDetails == "disk 91% full")
        #expect(disk.fbStatus == "WARNING")
        #expect(disk.routable)
        #expect(snapshot.node(named: "warm")?.routable == false)
        let details = try await cluster.waitFor("details") { $0.node(named: "disk")?.serverVersion != nil && $0.node(named: "disk")?.counters.isEmpty == false }
        #expect(details.node(named: "disk")?.serverVersion == "3.1")
        #expect(details.node(named: "disk")?.serverName == "disk")
        #expect(details.node(named: "disk")?.counters["demo.heartbeat.clients"] == 1)
        await cluster.stop()
    }

    @Test func aPauseOfThePoolItselfConvictsNobody() async throws {
        let cluster = try await LiveCluster([DemoNodeSpec(name: "a"), DemoNodeSpec(name: "b")])
        try await cluster.allUp()
        // Block the pool's event loop for 1.5 s: 15 heartbeat intervals with nothing sent or read.
        _ = try await cluster.pool.eventLoop.submit { usleep(1_500_000) }.get()
        let snapshot = try await cluster.waitFor("pause noticed") { $0.events.contains { $0.message.contains("was paused") } }
        try await Task.sleep(for: .milliseconds(300))
        let after = try await cluster.pool.currentSnapshot()
        #expect(after.nodes.allSatisfy { $0.health == .up })
        #expect(!after.events.contains { $0.message.contains("→ down") || $0.message.contains("→ suspect") })
        _ = snapshot
        await cluster.stop()
    }
}
