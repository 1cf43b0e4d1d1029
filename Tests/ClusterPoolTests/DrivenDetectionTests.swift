import ClusterModel
import NIOCore
import NIOEmbedded
import Testing
import ThriftWire
@testable import ClusterPool

/// Every detection rule on a driven clock, at exact instants. Interval 100 ms and tick 10 ms: a
/// node's heartbeat goes out at every multiple of 100 ms (and at once on connecting), times out
/// after 80 ms and is failed at the tick after that, 90 ms after the send; replies take 1 ms.
/// fall 3, rise 2 (the defaults).
@Suite("Detection on a driven clock")
struct DrivenDetectionTests {
    @Test func aNodeIsUpAtItsFirstReplyAndHeartbeatsFollowTheSchedule() throws {
        let cluster = try DrivenCluster(["a"])
        #expect(cluster["a"].connectTimes == [0])
        #expect(cluster.health("a") == .unknown)
        cluster.at(ms: 0, ns: 999_999)
        #expect(cluster.health("a") == .unknown)
        cluster.at(ms: 1)
        #expect(cluster.health("a") == .up)
        cluster.at(ms: 450)
        #expect(cluster["a"].heartbeats == [0, 100, 200, 300, 400])
        #expect(cluster.node("a").state.heartbeatsOK == 5)
    }

    @Test func aCrashIsDownAtTheResetNotAfterTimeouts() throws {
        let cluster = try DrivenCluster(["a", "crashy"])
        cluster.at(ms: 350, ns: 500)
        cluster["crashy"].crash()
        #expect(cluster.health("crashy") == .down)
        #expect(cluster.health("a") == .up)
        let errors = cluster.events("crashy").filter { $0.kind == .connection && $0.severity == .error }.map(\.message)
        #expect(errors == ["connection to 127.0.0.1:9001 closed by the server or reset"])
        #expect(cluster.events("crashy").last?.message == "up → down: connection to 127.0.0.1:9001 closed by the server or reset")
        // Reconnects are refused meanwhile, and that is said once, not every attempt.
        cluster.at(ms: 5000)
        #expect(cluster.health("crashy") == .down)
        let refused = cluster.events("crashy").filter { $0.message.hasPrefix("cannot connect") }
        #expect(refused.map(\.message) == ["cannot connect to 127.0.0.1:9001: connection refused"])
    }

    @Test func aHangIsSuspectAtTheFirstTimeoutAndDownAtTheFallth() throws {
        let cluster = try DrivenCluster(["stuck"])
        cluster.at(ms: 350)
        cluster["stuck"].behaviour = .hang
        // The 400 ms heartbeat fails at 490, 500 at 590, 600 at 690: the third is the fall.
        cluster.at(ms: 489, ns: 999_999)
        #expect(cluster.health("stuck") == .up)
        cluster.at(ms: 490)
        #expect(cluster.health("stuck") == .suspect)
        cluster.at(ms: 689, ns: 999_999)
        #expect(cluster.health("stuck") == .suspect)
        cluster.at(ms: 690)
        #expect(cluster.health("stuck") == .down)
        let messages = cluster.events("stuck").map(\.message)
        #expect(messages.suffix(3) == ["heartbeat timed out after 80 ms", "up → suspect: heartbeat timed out after 80 ms",
                                       "suspect → down: heartbeat timed out after 80 ms"])
        // Still heartbeated, one at a time, on schedule.
        cluster.at(ms: 750)
        #expect(cluster["stuck"].heartbeats.suffix(4) == [400, 500, 600, 700])
    }

    @Test func aServerThatNeverAnswersANewConnectionIsNamedWithBothLikelyCauses() throws {
        let cluster = try DrivenCluster(["mute"], before: { $0["mute"].behaviour = .hang })
        cluster.at(ms: 89, ns: 999_999)
        #expect(cluster.events("mute").allSatisfy { $0.kind != .timeout })
        cluster.at(ms: 90)
        let event = try #require(cluster.events("mute").first { $0.kind == .timeout })
        #expect(event.message == "no reply within 80 ms to the first heartbeat on a new connection: either the server is hung, "
            + "or it speaks another transport or protocol than configured (framed/binary)")
    }

    @Test func aServerClosingOnTheFirstCallIsATransportMismatch() throws {
        let cluster = try DrivenCluster(["other"], before: { $0["other"].behaviour = .closeOnCall })
        cluster.at(ms: 0)
        let event = try #require(cluster.events("other").first { $0.kind == .transportMismatch })
        #expect(event.message.hasPrefix("transport mismatch: 127.0.0.1:9000 closed the connection on the first call without replying"))
        #expect(event.message.contains("configured framed/binary"))
        #expect(cluster.health("other") == .down)
    }

    @Test func aFlappingNodeIsSuspectButNeverDown() throws {
        let cluster = try DrivenCluster(["flappy"])
        // Every other heartbeat is lost: never `fall` (3) failures in a row.
        for k in Int64(3)...30 {
            cluster.at(ms: k * 100 - 50)
            cluster["flappy"].behaviour = k % 2 == 0 ? .hang : .status(.alive)
        }
        cluster.at(ms: 3000)
        let node = cluster.node("flappy").state
        #expect(node.heartbeatsFailed >= 13)
        #expect(!cluster.events("flappy").contains { $0.message.contains("→ down") })
        #expect(cluster.events("flappy").contains { $0.message.hasPrefix("up → suspect") })
    }

    @Test(arguments: [
        (FBStatus.warning, NodeHealth.degraded, true), (.starting, .starting, false), (.stopping, .draining, false),
        (.stopped, .down, false), (.dead, .down, false), (.alive, .up, true), (FBStatus(code: 42), .degraded, true),
    ])
    func fb303StatusesMapToHealthAtTheReplyThatSaysSo(status: FBStatus, health: NodeHealth, routable: Bool) throws {
        let cluster = try DrivenCluster(["n"])
        cluster.at(ms: 150)
        cluster["n"].behaviour = .status(status)
        cluster.at(ms: 200, ns: 999_999)
        #expect(cluster.health("n") == .up)
        cluster.at(ms: 201)
        #expect(cluster.health("n") == health)
        #expect(cluster.node("n").state.isRoutable == routable)
        if status != .alive {
            #expect(cluster.events("n").contains { $0.message == "fb303 status ALIVE → \(status)" })
        }
    }

    @Test func aRestartedNodeIsUpAtTheRisethGoodHeartbeatOnItsNewConnection() throws {
        let cluster = try DrivenCluster(["phoenix"], configure: { $0.health.rise = 3 })
        cluster.at(ms: 250)
        cluster["phoenix"].crash()
        #expect(cluster.health("phoenix") == .down)
        cluster.at(ms: 600)
        cluster["phoenix"].behaviour = .status(.alive)
        let before = cluster.node("phoenix").state.heartbeatsOK
        let reconnected = try #require(cluster.firstTime(after: 601, until: 20_000) { cluster["phoenix"].connectTimes.count == 2 })
        // First heartbeat at the reconnect, the next two on the schedule: up at the third reply, not before.
        let upAt = try #require(cluster.firstTime(after: reconnected, until: 20_000) { cluster.health("phoenix") == .up })
        #expect(cluster.node("phoenix").state.heartbeatsOK - before == 3)
        let beats = cluster["phoenix"].heartbeats.filter { $0 >= cluster["phoenix"].connectTimes[1] }
        #expect(beats.count == 3)
        #expect(beats.first == cluster["phoenix"].connectTimes[1])
        #expect(Double(upAt) == (beats[2] + 1).rounded(.up))
        #expect(cluster.events("phoenix").last?.message.hasPrefix("down → up") == true)
    }

    @Test func aLocalPauseForgivesTheHeartbeatInFlightAndReChecksTheNode() throws {
        let cluster = try DrivenCluster(["a"])
        cluster.at(ms: 350)
        cluster["a"].behaviour = .hang
        // The pool stalled: the 400 ms heartbeat's timeout comes due (490) while the guard already
        // sees the gap, and the 500 ms maintenance pass reports the pause (as LocalPauseGuard does
        // after a stall; it is tested alone in PolicyTests).
        cluster.core.policies.pause = ScriptedPause(pausedFrom: .uptimeNanoseconds(480_000_000), reportAt: .uptimeNanoseconds(500_000_000))
        cluster.at(ms: 495)
        cluster["a"].behaviour = .status(.alive)
        cluster.at(ms: 600)
        #expect(cluster.events().contains { $0.message == "the pool itself was paused for 1500 ms; re-checking nodes instead of convicting them" })
        #expect(cluster.node("a").state.heartbeatsFailed == 0)
        #expect(!cluster.events("a").contains { $0.message.contains("suspect") || $0.message.contains("down") })
        // A fresh heartbeat went out at the pause, in place of the one in flight.
        #expect(cluster["a"].heartbeats.filter { $0 == 500 }.count == 2)
        #expect(cluster.health("a") == .up)
    }

    @Test func aSlowNodeGetsAlmostNoCallsFromP2CAndItsLatencyShows() throws {
        let cluster = try DrivenCluster(["fast1", "fast2", "slow"], before: { $0["slow"].latency = .milliseconds(50) })
        cluster.at(ms: 300)
        // 2,000 calls, one every half millisecond, each waiting for its reply in the balancer's load.
        for k in Int64(0)..<2000 {
            cluster.at(ms: 300 + k / 2, ns: (k % 2) * 500_000)
            _ = cluster.call()
        }
        cluster.at(ms: 1500)
        let calls = ["fast1", "fast2", "slow"].map { cluster.node($0).state.calls }
        #expect(calls.reduce(0, +) == 2000)
        #expect(Double(calls[2]) / 2000 < 0.05, "slow got \(calls[2]) of 2000")
        let slow = cluster.node("slow").state.snapshot(of: cluster.node("slow").config, at: cluster.loop.now)
        #expect(try #require(slow.latencyP50) >= 50)
        let fast = cluster.node("fast1").state.snapshot(of: cluster.node("fast1").config, at: cluster.loop.now)
        #expect(try #require(fast.latencyP50) < 2)
    }

    @Test func fiveConsecutiveCallFailuresEjectTheNodeForExactlyTheBaseTime() throws {
        let cluster = try DrivenCluster(["good", "bad"], configure: { $0.balancer = .smoothWeightedRoundRobin })
        cluster.at(ms: 10)
        cluster["bad"].callBehaviour = .raise(TApplicationException(.internalError, message: "boom"))
        let bad = cluster.node("bad").index
        var ejectedAt: NIODeadline?
        // A call every millisecond; each reply (and so each failure) lands exactly on a millisecond.
        for t in Int64(11)...200 {
            cluster.at(ms: t)
            if ejectedAt == nil, cluster.core.policies.ejection.isEjected(bad, at: cluster.loop.now) { ejectedAt = cluster.loop.now }
            _ = cluster.call()
        }
        let ejected = try #require(ejectedAt)
        #expect(cluster.node("bad").state.callFailures == 5, "no call goes to an ejected node")
        #expect(cluster.core.policies.ejection.ejectedUntil(bad) == ejected + .seconds(30))
        let event = try #require(cluster.events("bad").first { $0.kind == .ejection })
        #expect(event.message == "ejected for 30 s after 5 consecutive call failures")
        #expect(cluster.health("bad") == .up, "ejection is passive: heartbeats still say up")
        let endMillis = Int64((ejected + .seconds(30)).uptimeNanoseconds / 1_000_000)
        cluster.at(ms: endMillis - 1, ns: 999_999)
        #expect(cluster.core.policies.ejection.isEjected(bad, at: cluster.loop.now))
        cluster.at(ms: endMillis)
        #expect(!cluster.core.policies.ejection.isEjected(bad, at: cluster.loop.now))
    }

    @Test func theRetryBudgetCapsRetriesDuringAnOutage() throws {
        let cluster = try DrivenCluster(["x", "y"], configure: {
            $0.retry.maxAttempts = 3
            $0.retry.budgetMinPerSecond = 1
            $0.retry.budgetPercent = 20
            $0.outlier.consecutiveFailures = 1000
        }, settings: { $0.callTimeout = .milliseconds(50) })
        cluster.at(ms: 10)
        cluster["x"].callBehaviour = .hang
        cluster["y"].callBehaviour = .hang
        var futures: [EventLoopFuture<PoolReply>] = []
        for k in Int64(0)..<200 {
            cluster.at(ms: 10 + k * 5)
            futures.append(cluster.call(idempotent: true, timeout: .milliseconds(400)))
        }
        cluster.at(ms: 3000)
        // Unbudgeted: 2 retries for each of 200 calls = 400. Budgeted: 10 s × 1/s + 20 % of 200 = 50.
        #expect(cluster.core.rates.retries <= 50)
        #expect(cluster.core.rates.retries >= 40)
        #expect(cluster.events().contains { $0.message.contains("retry budget exhausted") })
        #expect(futures.allSatisfy { (try? $0.wait()) == nil })
    }
}

/// Sees a stall from `pausedFrom` and reports it at the first maintenance pass at `reportAt`, as
/// `LocalPauseGuard` would after one (tested alone in `PolicyTests`).
struct ScriptedPause: PauseRule {
    let pausedFrom: NIODeadline
    let reportAt: NIODeadline
    private var reported = false

    init(pausedFrom: NIODeadline, reportAt: NIODeadline) {
        self.pausedFrom = pausedFrom
        self.reportAt = reportAt
    }

    mutating func tick(at now: NIODeadline) -> TimeAmount? {
        guard !reported, now >= reportAt else { return nil }
        reported = true
        return .milliseconds(1500)
    }

    func isPaused(at now: NIODeadline) -> Bool { !reported && now >= pausedFrom }
}

/// Operator actions and snapshot publishing on the driven clock.
@Suite("Operator actions and snapshots on a driven clock")
struct DrivenOperatorTests {
    @Test func aDrainStopsNewCallsAtOnceAndIsReportedDoneOnceCommittedInOrder() throws {
        let store = MemoryOperatorStore()
        let cluster = try DrivenCluster(["a", "b"], store: store)
        cluster.at(ms: 10)
        #expect(try cluster.execute(.drain(node: "b")) == .done("drained b; 0 calls in flight will finish"))
        #expect(cluster.health("b") == .draining)
        for t in Int64(11)...60 {
            cluster.at(ms: t)
            _ = cluster.call()
        }
        cluster.at(ms: 100)
        #expect(cluster.node("b").state.calls == 0, "no call goes to a drained node")
        #expect(try cluster.execute(.setWeight(node: "a", weight: 7)).isDone)
        #expect(store.state == OperatorState(drained: ["b"], weights: ["a": 7]))
        #expect(store.audits.map(\.action) == ["drain b", "weight a 7"])
        #expect(store.audits.first?.time == "2027-01-15T08:00:00.000Z")
    }

    @Test func anActionThatCannotBeSavedSaysSoAndStillTakesEffect() throws {
        let store = MemoryOperatorStore()
        store.failure = "disk full"
        let cluster = try DrivenCluster(["a", "b"], store: store)
        cluster.at(ms: 10)
        let result = try cluster.execute(.drain(node: "b"))
        #expect(result == .done("drained b; 0 calls in flight will finish — but NOT saved (disk full); it will not survive a restart"))
        #expect(cluster.health("b") == .draining)
        #expect(cluster.events().contains { $0.severity == .error && $0.message == "disk full" })
    }

    @Test func aRefusalIsAuditedButNothingIsSaved() throws {
        let store = MemoryOperatorStore()
        let cluster = try DrivenCluster(["a"], store: store)
        cluster.at(ms: 10)
        #expect(try cluster.execute(.drain(node: "zz")) == .refused("no node named \"zz\""))
        #expect(store.state == nil)
        #expect(store.audits.map(\.result) == ["refused: no node named \"zz\""])
    }

    @Test func theFirstSnapshotShowsEveryNodesConfigBeforeAnythingIsHeard() throws {
        // A pool not started yet: no node has had any input.
        var config = ClusterConfig(name: "c", nodes: ["a", "b"].map { NodeConfig(name: $0, address: NodeAddress(host: "127.0.0.1", port: 1)) })
        config.nodes[1].weight = 7
        config.nodes[1].group = "blue"
        let loop = EmbeddedEventLoop()
        let core = try PoolCore(config: config, loop: loop, options: PoolOptions(seed: 1), operatorStore: MemoryOperatorStore())
        let b = try #require(core.buildSnapshot().node(named: "b"))
        #expect(b.weight == 7 && b.configuredWeight == 7 && b.group == "blue")
        try loop.syncShutdownGracefully()
    }

    @Test func snapshotsArePublishedTenTimesASecondWhileSomeoneReads() throws {
        let cluster = try DrivenCluster(["a", "b", "c"])
        var published: [Double] = []
        cluster.core.snapshots.wanted = { true }
        cluster.core.snapshots.publish = { [cluster] _ in published.append(cluster.nowMillis) }
        cluster.at(ms: 2050)
        #expect(published.filter { $0 > 1000 && $0 <= 2000 }.count == 10)
        #expect(published.suffix(3) == [1800, 1900, 2000])
        // Nobody reading: nothing is built.
        cluster.core.snapshots.wanted = { false }
        let before = published.count
        cluster.at(ms: 3000)
        #expect(published.count == before)
    }
}
