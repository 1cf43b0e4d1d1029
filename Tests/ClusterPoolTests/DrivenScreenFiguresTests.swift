import ClusterModel
import NIOCore
import NIOEmbedded
import Testing
import ThriftWire
@testable import ClusterPool

/// The figures the screen shows, as the pool works them out, on a driven clock: the first
/// verdict, heartbeat failure counts, the traffic share's window, the calls' success share and
/// p99, and the times of the status and the last error.
@Suite("Screen figures on a driven clock")
struct DrivenScreenFiguresTests {
    @Test func aFirstFailedHeartbeatIsSuspectLikeEveryLaterOne() throws {
        // Connected at 0, its heartbeats (0, 100, 200) time out 90 ms after each: suspect at the
        // first, down at the third (fall 3), never down at the first.
        let cluster = try DrivenCluster(["mute"], before: { $0["mute"].behaviour = .hang })
        cluster.at(ms: 90)
        #expect(cluster.health("mute") == .suspect)
        cluster.at(ms: 289, ns: 999_999)
        #expect(cluster.health("mute") == .suspect)
        cluster.at(ms: 290)
        #expect(cluster.health("mute") == .down)
        #expect(cluster.events("mute").contains { $0.message.hasPrefix("unknown → suspect: no reply within 80 ms") })
    }

    @Test func aRefusedConnectionIsDownAtOnceAndEveryMissedHeartbeatCountsAsFailed() throws {
        let cluster = try DrivenCluster(["a", "gone"], before: { $0["gone"].behaviour = .refuse })
        cluster.at(ms: 0)
        #expect(cluster.health("gone") == .down)
        cluster.at(ms: 1_005)
        let gone = cluster.node("gone").state
        // Every heartbeat due without a connection (150, 250 … 950 ms: its slot is half an
        // interval in) failed, as the availability says.
        #expect(gone.heartbeatsFailed == 9)
        #expect(gone.availability.count == 9)
        #expect(gone.heartbeatsOK == 0)
        #expect(gone.availability.availability == 0)
        #expect(cluster.node("a").state.heartbeatsFailed == 0)
    }

    @Test func aDrainedNodesShareIsZeroWithinTheWindowAfterTheDrain() throws {
        let cluster = try DrivenCluster(["a", "b"])
        var t: Int64 = 0
        func traffic(until end: Int64) {
            while t < end {
                t += 10
                _ = cluster.call()
                cluster.at(ms: t)
            }
        }
        traffic(until: 3_000)
        let before = cluster.core.buildSnapshot()
        #expect(before.node(named: "b")!.trafficShare > 0.3)
        _ = try cluster.execute(.drain(node: "b"))
        // The window is the last 5 whole seconds: at most 6 s after the drain, b's share is 0.
        traffic(until: 3_000 + Int64(NodeSnapshot.trafficShareSeconds + 1) * 1000)
        let after = cluster.core.buildSnapshot()
        #expect(after.node(named: "b")!.trafficShare == 0)
        #expect(after.node(named: "a")!.trafficShare == 1)
    }

    @Test func theCallsSuccessShareAndP99CoverTheLastMinute() throws {
        let cluster = try DrivenCluster(["a"])
        cluster.at(ms: 10)
        #expect(cluster.core.buildSnapshot().callSuccessRatio == nil)
        var t: Int64 = 10
        for _ in 0 ..< 30 {
            _ = cluster.call()
            t += 10
            cluster.at(ms: t)
        }
        cluster["a"].callBehaviour = .raise(TApplicationException(.internalError, message: "boom"))
        for _ in 0 ..< 10 {
            _ = cluster.call()
            t += 10
            cluster.at(ms: t)
        }
        let snapshot = cluster.core.buildSnapshot()
        // 30 answered, 10 answered with an exception: 75 %; replies take 1 ms.
        #expect(snapshot.callSuccessRatio == 0.75)
        let p99 = try #require(snapshot.callLatencyP99)
        #expect(p99 >= 0.9 && p99 <= 1.1)
        // A quiet minute later: no calls ended in it.
        cluster.at(ms: t + 61_000)
        #expect(cluster.core.buildSnapshot().callSuccessRatio == nil)
    }

    @Test func theStatusAndTheLastErrorCarryTheirWallClockTimes() throws {
        // The driven pool's wall clock stands at 1_800_000_000 s.
        let cluster = try DrivenCluster(["a"])
        cluster.at(ms: 450)
        cluster["a"].behaviour = .raise(TApplicationException(.internalError, message: "boom"))
        cluster.at(ms: 550)
        let node = try #require(cluster.core.buildSnapshot().node(named: "a"))
        // Last answered status at 401 ms (the 400 ms heartbeat); the failure at 501 ms.
        #expect(node.fbStatusAt.map { (1_800_000_000 - $0) * 1000 } .map { abs($0 - 149) < 1 } == true)
        #expect(node.lastErrorAt.map { (1_800_000_000 - $0) * 1000 } .map { abs($0 - 49) < 1 } == true)
        #expect(node.heartbeatTimeoutMillis == 80)
    }
}
