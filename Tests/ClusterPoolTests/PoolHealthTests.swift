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
    // Timing (crash at the reset, hang within fall intervals, flapping, restart after rise,
    // pauses) is checked exactly on a driven clock in DrivenDetectionTests; these are smoke tests
    // against real servers over loopback, with generous bounds.

    @Test func aCrashedServerIsSeenDownAndComesBackUpWhenItRestarts() async throws {
        // Down long enough (2 s) that a poll on a busy machine cannot miss it.
        let crash = FaultStep(at: 0.5, duration: 2, change: change { $0.crashed = true })
        let cluster = try await LiveCluster([DemoNodeSpec(name: "a"), DemoNodeSpec(name: "phoenix", script: faults([crash]))])
        try await cluster.allUp()
        let down = try await cluster.waitFor("phoenix down", seconds: 10) { $0.node(named: "phoenix")?.health == .down }
        #expect(down.node(named: "phoenix")?.routable == false)
        #expect(down.node(named: "a")?.health == .up)
        #expect(down.events.contains { $0.node == "phoenix" && $0.kind == .connection && $0.severity == .error })
        let up = try await cluster.waitFor("phoenix up again", seconds: 10) { $0.node(named: "phoenix")?.health == .up }
        #expect(up.events.last { $0.node == "phoenix" && $0.kind == .stateChange }?.message.hasPrefix("down → up") == true)
        await cluster.stop()
    }

    @Test func aHangingServerIsSuspectThenDown() async throws {
        let hang = FaultStep(at: 0.6, change: change { $0.hang = true })
        let cluster = try await LiveCluster([DemoNodeSpec(name: "ok"), DemoNodeSpec(name: "stuck", script: faults([hang]))])
        try await cluster.allUp()
        let snapshot = try await cluster.waitFor("stuck down", seconds: 10) { $0.node(named: "stuck")?.health == .down }
        let messages = snapshot.events.filter { $0.node == "stuck" }.map(\.message)
        let suspect = try #require(messages.firstIndex { $0.hasPrefix("up → suspect") })
        let down = try #require(messages.firstIndex { $0.hasPrefix("suspect → down") })
        #expect(suspect < down)
        #expect(messages.contains { $0.contains("heartbeat timed out after 80 ms") })
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
