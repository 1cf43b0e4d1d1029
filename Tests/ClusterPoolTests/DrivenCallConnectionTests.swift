import ClusterModel
import NIOCore
import Testing
import ThriftWire
@testable import ClusterPool

/// A node's call connections (apart from its heartbeat connection), on the driven clock.
@Suite("Call connections on a driven clock")
struct DrivenCallConnectionTests {
    @Test func callsOpenConnectionsOnDemandUpToTheLimitAndReuseThem() throws {
        let cluster = try DrivenCluster(["a"], settings: { $0.maxConnections = 2 }, before: { $0["a"].latency = .milliseconds(10) })
        cluster.at(ms: 5)
        #expect(cluster["a"].connectTimes.count == 1, "the heartbeat connection")
        let first = (0..<5).map { _ in cluster.call() }
        cluster.at(ms: 100)
        #expect(first.allSatisfy { (try? $0.wait()) != nil })
        #expect(cluster["a"].connectTimes.count == 3, "two call connections, opened as calls came")
        // Five calls on two connections, one at a time each: 10, 20 and 30 ms after the start.
        #expect(cluster["a"].calls.filter { $0.method == "work" }.map(\.atMillis) == [5, 5, 15, 15, 25])
        let second = (0..<5).map { _ in cluster.call() }
        cluster.at(ms: 200)
        #expect(second.allSatisfy { (try? $0.wait()) != nil })
        #expect(cluster["a"].connectTimes.count == 3, "kept alive and reused")
    }

    @Test func whenEveryQueueIsFullTheCallIsOverloadedAtOnce() throws {
        let cluster = try DrivenCluster(["a", "b"], settings: {
            $0.maxConnections = 1
            $0.maxPending = 1
        })
        cluster.at(ms: 5)
        cluster["a"].callBehaviour = .hang
        cluster["b"].callBehaviour = .hang
        let accepted = (0..<4).map { _ in cluster.call(timeout: .seconds(5)) }
        let refused = cluster.call()
        cluster.loop.run()
        #expect(throws: PoolCallError.overloaded) { try refused.wait() }
        #expect(cluster.node("a").state.inFlight == 2 && cluster.node("b").state.inFlight == 2, "a waiting call counts as load")
        #expect(cluster.core.router.unroutableSummary(group: nil) == "2 overloaded")
        _ = accepted
    }

    @Test func aCallWaitingPastItsDeadlineTimesOutAndATimedOutConnectionIsReplaced() throws {
        let cluster = try DrivenCluster(["a"], settings: { $0.maxConnections = 1 })
        cluster.at(ms: 5)
        cluster["a"].callBehaviour = .hang
        let busy = cluster.call(), waiting = cluster.call()
        // The call timeout is 200 ms (deadline 205 ms), enforced at the first 10 ms tick after it.
        cluster.at(ms: 209, ns: 999_999)
        #expect(cluster.node("a").state.inFlight == 2)
        cluster.at(ms: 210)
        #expect(throws: PoolCallError.timeout(node: "a", after: .milliseconds(200))) { try busy.wait() }
        #expect(throws: PoolCallError.timeout(node: "a", after: .milliseconds(200))) { try waiting.wait() }
        #expect(cluster.routed("a").calls.openCount == 0, "its late reply would come before any other: the connection goes")
        cluster["a"].callBehaviour = nil
        let next = cluster.call()
        cluster.at(ms: 300)
        #expect((try? next.wait()) != nil)
        #expect(cluster["a"].connectTimes.count == 3, "heartbeat, the timed-out one, a new one")
    }

    @Test func idleCallConnectionsCloseAfterAMinuteUnused() throws {
        let cluster = try DrivenCluster(["a"])
        cluster.at(ms: 5)
        _ = cluster.call()
        cluster.at(ms: 60_500)
        #expect(cluster.routed("a").calls.openCount == 1)
        // Idle since 6 ms; the check runs with the once-a-second evaluation.
        cluster.at(ms: 61_000)
        #expect(cluster.routed("a").calls.openCount == 0)
        #expect(cluster.node("a").liveConnection != nil, "the heartbeat connection stays")
    }

    @Test func aRoutedCallGoesOnlyToItsGroupAndSaysWhyWhenNoneIsLeft() throws {
        let cluster = try DrivenCluster(["a", "b1", "b2"], configure: { config in
            config.nodes[1].group = "billing"
            config.nodes[2].group = "billing"
            config.minRoutable = 0
        })
        cluster.at(ms: 5)
        for _ in 0..<20 { _ = cluster.call(group: "billing") }
        cluster.at(ms: 50)
        #expect(cluster.node("a").state.calls == 0)
        #expect(cluster.node("b1").state.calls + cluster.node("b2").state.calls == 20)
        #expect(try cluster.execute(.drain(node: "b1")).isDone)
        cluster["b2"].crash()
        let refused = cluster.call(group: "billing")
        cluster.loop.run()
        #expect(throws: PoolCallError.noRoutableNode) { try refused.wait() }
        #expect(cluster.core.router.unroutableSummary(group: "billing") == "1 down, 1 drained")
        #expect(cluster.core.router.unroutableSummary(group: nil) == "1 down, 1 drained, 1 routable")
    }
}
