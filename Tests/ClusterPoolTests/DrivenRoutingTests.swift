import ClusterModel
import NIOCore
import Testing
import ThriftWire
@testable import ClusterPool

/// The balancer under partial failure, on the driven clock: it never makes an outage worse.
/// Calls are counted where they land, at the scripted servers.
@Suite("Routing under partial failure on a driven clock")
struct DrivenRoutingTests {
    /// a, b, c up (c 5 ms slower), d answering calls but raising on getStatus (so down).
    func fourNodes(balancer: BalancerKind = .p2cPeakEWMA, panicThreshold: Double = 0.5) throws -> DrivenCluster {
        let cluster = try DrivenCluster(["a", "b", "c", "d"], configure: {
            $0.minRoutable = 1
            $0.balancer = balancer
            $0.panicThreshold = panicThreshold
        }, before: { cluster in
            cluster["c"].latency = .milliseconds(6)
            cluster["d"].behaviour = .raise(TApplicationException(.internalError, message: "getStatus is broken"))
            cluster["d"].callBehaviour = .status(.alive)
        })
        cluster.at(ms: 1000)
        #expect(cluster.health("d") == .down)
        #expect(cluster.node("d").liveConnection != nil, "d's connection is up: it answers, only getStatus raises")
        return cluster
    }

    /// Sends a call every `every` ms from `from` for `count` calls, then lets them finish.
    @discardableResult
    func flow(_ cluster: DrivenCluster, from: Int64, count: Int, every: Int64 = 2, timeout: TimeAmount = .seconds(1)) -> [EventLoopFuture<PoolReply>] {
        var calls: [EventLoopFuture<PoolReply>] = []
        for i in 0..<count {
            cluster.at(ms: from + Int64(i) * every)
            calls.append(cluster.call(timeout: timeout))
        }
        cluster.at(ms: from + Int64(count) * every + 1500)
        return calls
    }

    @Test(arguments: [0.5, 0.9])
    func withTwoNodesDrainedTheOneUpNodeTakesEveryCallAndTheDownOneNone(panicThreshold: Double) throws {
        let cluster = try fourNodes(panicThreshold: panicThreshold)
        #expect(try cluster.execute(.drain(node: "a")).isDone)
        #expect(try cluster.execute(.drain(node: "b")).isDone)
        // Drained nodes are outside the computation: 1 routable of 2 in rotation.
        #expect(cluster.core.buildSnapshot().panicMode == (panicThreshold > 0.5))
        let calls = flow(cluster, from: 1000, count: 300)
        #expect(calls.allSatisfy { (try? $0.wait()) != nil })
        #expect(cluster["c"].routedCalls == 300 && cluster["d"].routedCalls == 0,
                "c \(cluster["c"].routedCalls), d \(cluster["d"].routedCalls)")
        #expect(cluster["a"].routedCalls == 0 && cluster["b"].routedCalls == 0)
    }

    @Test func inPanicModeANodeThatIsNotUpTakesOnlyWhatTheUpNodesCannot() throws {
        let cluster = try DrivenCluster(["c", "d", "e"], configure: { $0.panicThreshold = 0.9 }, settings: {
            $0.maxConnections = 1
            $0.maxPending = 1
        }, before: { cluster in
            cluster["c"].latency = .milliseconds(50)
            for name in ["d", "e"] {
                cluster[name].behaviour = .raise(TApplicationException(.internalError, message: "getStatus is broken"))
                cluster[name].callBehaviour = .status(.alive)
            }
        })
        cluster.at(ms: 1000)
        #expect(cluster.core.buildSnapshot().panicMode)
        // c has room for two (one on its connection, one waiting): those go to c, the rest overflow.
        let calls = (0..<4).map { _ in cluster.call() }
        cluster.at(ms: 1300)
        #expect(calls.allSatisfy { (try? $0.wait()) != nil })
        #expect(cluster["c"].routedCalls == 2)
        #expect(cluster["d"].routedCalls + cluster["e"].routedCalls == 2)
        // With room again, c takes the next call.
        _ = cluster.call()
        cluster.at(ms: 1500)
        #expect(cluster["c"].routedCalls == 3)
    }

    /// Panic mode from the start: c up but with one connection and no queue (busy 50 ms a
    /// call), d and e down (getStatus raises) but connected; d answers calls, e as `e` says.
    func panicTrio(e: ScriptedServer.Behaviour) throws -> DrivenCluster {
        try DrivenCluster(["c", "d", "e"], configure: {
            $0.panicThreshold = 0.9
            $0.outlier.consecutiveFailures = 2
            $0.retry.maxAttempts = 1
        }, settings: {
            $0.maxConnections = 1
            $0.maxPending = 0
        }, before: { cluster in
            cluster["c"].latency = .milliseconds(50)
            for name in ["d", "e"] { cluster[name].behaviour = .raise(TApplicationException(.internalError, message: "getStatus is broken")) }
            cluster["d"].callBehaviour = .status(.alive)
            cluster["e"].callBehaviour = e
        })
    }

    @Test func inPanicModeAFailingNodeGetsOneProbeCallAtATime() throws {
        let cluster = try panicTrio(e: .hang)
        cluster.at(ms: 1000)
        // c busy (its one connection, no queue): overflow goes to d and e; e's first call hangs.
        _ = cluster.call()
        _ = (0..<2).map { _ in cluster.call(timeout: TimeAmount.seconds(5)) }
        cluster.at(ms: 1010)
        #expect(cluster["e"].routedCalls == 1)
        // While e's probe is out, no second call goes there, however busy the others are.
        _ = (0..<6).map { _ in cluster.call(timeout: TimeAmount.seconds(5)) }
        cluster.at(ms: 1020)
        #expect(cluster["e"].routedCalls == 1, "one probe at a time")
        #expect(cluster.node("e").state.inFlight == 1)
        // Its call timed out: e is failing, and the overflow gives it one probe again, not more.
        cluster.at(ms: 1300)
        #expect(cluster.routed("e").cost.failing && cluster.node("e").state.inFlight == 0)
        _ = (0..<8).map { _ in cluster.call(timeout: TimeAmount.seconds(5)) }
        cluster.at(ms: 1310)
        #expect(cluster["e"].routedCalls == 2)
    }

    @Test func inPanicModeAnEjectedNodeTakesNoOverflow() throws {
        // e answers every call with an exception: the server's answer, but it ejects e.
        let cluster = try panicTrio(e: .raise(TApplicationException(.internalError, message: "e is broken")))
        cluster.at(ms: 1000)
        var t: Int64 = 1000
        // c busy with one call at a time: the overflow goes to d and e until e is ejected.
        func ejected() -> Bool { cluster.core.policies.ejection.isEjected(cluster.node("e").index, at: cluster.loop.now) }
        while !ejected() && t < 1400 {
            _ = cluster.call()
            _ = cluster.call()
            t += 2
            cluster.at(ms: t)
        }
        #expect(ejected())
        let eBefore = cluster["e"].routedCalls
        for _ in 0..<50 {
            _ = cluster.call()
            _ = cluster.call()
            t += 2
            cluster.at(ms: t)
        }
        cluster.at(ms: t + 500)
        #expect(cluster["e"].routedCalls == eBefore, "an ejected node takes no overflow")
        #expect(cluster["d"].routedCalls > 0)
    }

    @Test(arguments: [BalancerKind.p2cPeakEWMA, .leastOutstanding])
    func aNodeThatFailsEveryCallIn1msNeverLooksFast(balancer: BalancerKind) throws {
        let cluster = try DrivenCluster(["a", "b", "c"], configure: {
            $0.balancer = balancer
            // Ejection aside: the balancer alone must avoid it.
            $0.outlier.consecutiveFailures = 1_000_000
            $0.retry.maxAttempts = 1
        }, before: { cluster in
            for name in ["a", "b"] { cluster[name].latency = .milliseconds(5) }
        })
        cluster.at(ms: 500)
        cluster["c"].callBehaviour = .closeOnCall
        let calls = flow(cluster, from: 500, count: 600, every: 5)
        let failed = calls.filter { (try? $0.wait()) == nil }.count
        // Each failure holds c's cost at the 200 ms timeout, so it sees about one call per timeout.
        #expect(cluster["c"].routedCalls <= 30, "c got \(cluster["c"].routedCalls) of 600")
        #expect(failed == cluster["c"].routedCalls)
    }

    @Test func aHungNodeLosesItsCallsWithinItsTimeoutAndFewCallsFail() throws {
        let cluster = try fourNodes()
        #expect(try cluster.execute(.drain(node: "a")).isDone)
        let before = flow(cluster, from: 1000, count: 500)
        #expect(before.allSatisfy { (try? $0.wait()) != nil })
        // b hangs (SIGSTOP): heartbeats and calls go unanswered.
        cluster["b"].behaviour = .hang
        cluster["b"].callBehaviour = .hang
        let (bBefore, cBefore) = (cluster["b"].routedCalls, cluster["c"].routedCalls)
        let during = flow(cluster, from: 4000, count: 1000)
        let failed = during.filter { (try? $0.wait()) == nil }.count
        #expect(Double(failed) / Double(during.count) <= 0.02, "\(failed) of \(during.count) failed")
        #expect(cluster.health("b") != .up)
        // b takes calls only until the first of them times out, d (down) none: c takes the rest.
        #expect(cluster["b"].routedCalls - bBefore == failed)
        #expect(cluster["d"].routedCalls == 0)
        #expect(cluster["c"].routedCalls - cBefore == 1000 - failed)
    }

    @Test func aWeightOfZeroIsHeldToTheFloorAsADrainIsAndForceOverrides() throws {
        let cluster = try DrivenCluster(["a", "b"], configure: { $0.minRoutable = 2 })
        cluster.at(ms: 500)
        #expect(try cluster.execute(.setWeight(node: "a", weight: 0))
                == .refused("weight 0 on a would leave 1 routable node, fewer than min_routable 2 (:weight a 0 force overrides)"))
        #expect(try cluster.execute(.setWeight(node: "a", weight: 0, force: true)).isDone)
        #expect(cluster.node("a").state.weight == 0)
        #expect(try cluster.execute(.drain(node: "b")) == .refused("draining b would leave 0 routable nodes, fewer than min_routable 2 (:drain b force overrides)"))
        // Undo puts the weight back; undoing again has nothing.
        #expect(try cluster.execute(.undo) == .done("undid weight a 100 → 0"))
        #expect(cluster.node("a").state.weight == 100)
    }

    @Test func aCallWaitingForAConnectionThatFailsToOpenTakesTheOnewaysIdleOne() throws {
        let cluster = try DrivenCluster(["a"], settings: { $0.maxConnections = 2 })
        cluster.at(ms: 5)
        _ = cluster.call("work", oneway: true)
        cluster.at(ms: 10)
        // New connections are refused now; the open ones still answer calls.
        cluster["a"].behaviour = .refuse
        cluster["a"].callBehaviour = .status(.alive)
        let call = cluster.call()
        cluster.at(ms: 20)
        // (Waiting on a future that nothing completes would hang the embedded loop: look first.)
        #expect(cluster.node("a").state.inFlight == 0, "answered on the oneway's connection, not left waiting to time out")
        if cluster.node("a").state.inFlight == 0 { #expect((try? call.wait())?.node == "a") }
    }

    @Test func aCallAfterAOnewayTakesAnotherConnectionAndIsNotQueuedBehindIt() throws {
        let cluster = try DrivenCluster(["a"], settings: { $0.maxConnections = 2 })
        cluster.at(ms: 5)
        let oneway = cluster.call("work", oneway: true)
        cluster.at(ms: 10)
        #expect((try? oneway.wait()) != nil)
        #expect(cluster["a"].connectTimes.count == 2, "heartbeat and the oneway's connection")
        let next = cluster.call()
        cluster.at(ms: 30)
        #expect((try? next.wait()) != nil)
        #expect(cluster["a"].connectTimes.count == 3, "the two-way call opened its own connection")
        // With no room for another, the oneway's connection is used rather than none.
        let third = cluster.call(), fourth = cluster.call()
        cluster.at(ms: 60)
        #expect((try? third.wait()) != nil && (try? fourth.wait()) != nil)
        #expect(cluster["a"].connectTimes.count == 3)
    }

    @Test func aNodeThatOneSlowAnswerPricedOutIsTriedAgainOnceThatAnswerIsOld() throws {
        let cluster = try DrivenCluster(["a", "b"], configure: { $0.balancer = .p2cPeakEWMA })
        cluster.at(ms: 1000)
        cluster["b"].latency = .milliseconds(900)
        // Calls until b has answered one slowly: its cost is 900 ms against a's ~1 ms.
        var at: Int64 = 1000
        while cluster["b"].routedCalls == 0 {
            at += 10
            cluster.at(ms: at)
            _ = cluster.call(timeout: .seconds(5))
        }
        cluster.at(ms: at + 1000)
        cluster["b"].latency = .milliseconds(1)
        let afterSlow = cluster["b"].routedCalls
        // 20 s of calls: b loses every draw against a node 900 times cheaper.
        for i in 1...200 {
            cluster.at(ms: at + 1000 + Int64(i) * 100)
            _ = cluster.call(timeout: .seconds(5))
        }
        #expect(cluster["b"].routedCalls == afterSlow, "priced out while its slow answer is recent")
        // Once the slow answer is old (900 ms decays below a's ~1 ms in ~68 s, τ 10 s), b is drawn
        // again, answers fast, and takes its share of what is left of the minute.
        for i in 1...600 {
            cluster.at(ms: at + 21_000 + Int64(i) * 100)
            _ = cluster.call(timeout: .seconds(5))
        }
        #expect(cluster["b"].routedCalls - afterSlow > 40, "b is measured again and comes back: \(cluster["b"].routedCalls - afterSlow) calls")
    }
}
