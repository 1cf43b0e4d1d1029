import ClusterPool
import DemoCluster
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Testing
import ThriftWire

/// Calls, balancing, retries and operator actions against real demo servers.
@Suite("Pool traffic and operator actions", .serialized)
struct PoolTrafficTests {
    /// Runs `count` work calls with `concurrency` workers; returns failures.
    func load(_ pool: ClusterPool, count: Int, concurrency: Int, costMicros: Int32 = 0, idempotent: Bool = false,
              timeout: TimeAmount = .seconds(2)) async -> [any Error] {
        let failures = NIOLockedValueBox<[any Error]>([])
        let next = NIOLockedValueBox(0)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    while next.withLockedValue({ n in n < count ? { n += 1; return true }() : false }) {
                        do {
                            _ = try await pool.call(DemoService.Work.self, .init(costMicros: costMicros, payload: [1]),
                                                    options: CallOptions(timeout: timeout, idempotent: idempotent))
                        } catch {
                            failures.withLockedValue { $0.append(error) }
                        }
                    }
                }
            }
        }
        return failures.withLockedValue { $0 }
    }

    /// P2C is left out on purpose: it sends to the faster of two nodes, and these servers differ
    /// in latency by which thread and vCPU they run on. Its weight shares among equal nodes are
    /// covered by `LoadBalancerTests`.
    @Test(arguments: [BalancerKind.weightedRandom, .smoothWeightedRoundRobin])
    func weights100_200_300GiveTrafficSharesWithinThreePointsOver30000Calls(_ balancer: BalancerKind) async throws {
        let cluster = try await LiveCluster([DemoNodeSpec(name: "w1"), DemoNodeSpec(name: "w2"), DemoNodeSpec(name: "w3")], configure: {
            $0.nodes[0].weight = 100
            $0.nodes[1].weight = 200
            $0.nodes[2].weight = 300
            $0.balancer = balancer
        }, seed: 12345, settings: {
            // A busy CI machine must not turn a slow moment into a failed call here.
            $0.callTimeout = .seconds(2)
            $0.heartbeatInterval = .milliseconds(500)
        })
        try await cluster.allUp()
        let failures = await load(cluster.pool, count: 30_000, concurrency: 8)
        #expect(failures.isEmpty)
        let nodes = try await cluster.pool.currentSnapshot().nodes
        let total = Double(nodes.reduce(0) { $0 + $1.calls })
        #expect(total == 30_000)
        for (node, expected) in zip(nodes, [1.0 / 6, 2.0 / 6, 3.0 / 6]) {
            let share = Double(node.calls) / total
            #expect(abs(share - expected) < 0.03, "\(node.name): \(share) vs \(expected)")
        }
        await cluster.stop()
    }

    @Test func p2cMovesTrafficAwayFromASlowNodeAndItsLatencyShows() async throws {
        let cluster = try await LiveCluster([DemoNodeSpec(name: "fast1"), DemoNodeSpec(name: "fast2"),
                                             DemoNodeSpec(name: "slow", script: faults { $0.latencyMillis = 20 })])
        try await cluster.allUp()
        let failures = await load(cluster.pool, count: 1500, concurrency: 4)
        #expect(failures.isEmpty)
        let snapshot = try await cluster.pool.currentSnapshot()
        let slow = try #require(snapshot.node(named: "slow"))
        let total = Double(snapshot.nodes.reduce(0) { $0 + $1.calls })
        #expect(Double(slow.calls) / total < 0.05, "slow node got \(slow.calls) of \(total)")
        #expect(try #require(slow.latencyP50) >= 19)
        #expect(try #require(snapshot.node(named: "fast1")?.latencyP50) < 10)
        // Every heartbeat and call leaves a sample for the sparkline.
        #expect(slow.recentLatencies.count == min(120, slow.heartbeatsOK + slow.calls))
        await cluster.stop()
    }

    @Test func drainingUnderLoadSendsNoNewCallsFailsNoneAndInFlightReachesZero() async throws {
        let cluster = try await LiveCluster([DemoNodeSpec(name: "a"), DemoNodeSpec(name: "b"), DemoNodeSpec(name: "c")])
        try await cluster.allUp()
        let pool = cluster.pool
        async let failures = load(pool, count: 3000, concurrency: 12, costMicros: 2000)
        try await Task.sleep(for: .milliseconds(300))
        let result = await pool.execute(.drain(node: "b"))
        #expect(result.isDone)
        let atDrain = try await cluster.node("b")
        #expect(atDrain.health == .draining && !atDrain.routable)
        let drained = try await cluster.waitFor("b fully drained") { $0.node(named: "b")?.isFullyDrained == true }
        let callsWhenDrained = try #require(drained.node(named: "b")).calls
        let allFailures = await failures
        #expect(allFailures.isEmpty, "\(allFailures.prefix(3))")
        let end = try await pool.currentSnapshot()
        // Nothing new was sent to b after the drain: every call it got was in flight by then.
        #expect(try #require(end.node(named: "b")).calls == callsWhenDrained)
        #expect(callsWhenDrained <= atDrain.calls)
        #expect(end.node(named: "a")!.calls + end.node(named: "c")!.calls + callsWhenDrained == 3000)
        // Heartbeats go on while drained.
        let beats = try #require(end.node(named: "b")).heartbeatsOK
        try await Task.sleep(for: .milliseconds(250))
        #expect(try await cluster.node("b").heartbeatsOK > beats)
        await cluster.stop()
    }

    @Test func theCapacityFloorRefusesTheLastDrainUnlessForcedAndUndoReverts() async throws {
        let cluster = try await LiveCluster([DemoNodeSpec(name: "a"), DemoNodeSpec(name: "b")], configure: { $0.minRoutable = 1 })
        try await cluster.allUp()
        let pool = cluster.pool
        #expect(await pool.execute(.drain(node: "a")) == .done("drained a; 0 calls in flight will finish"))
        #expect(await pool.execute(.drain(node: "b")) == .refused("draining b would leave 0 routable nodes, fewer than min_routable 1 (:drain b force overrides)"))
        #expect(await pool.execute(.drain(node: "zz")) == .refused("no node named \"zz\""))
        #expect(await pool.execute(.setWeight(node: "a", weight: 1001)) == .refused("weight must be from 0 to 1000 (got 1001)"))
        #expect(await pool.execute(.setWeight(node: "b", weight: 250)).isDone)
        #expect(try await cluster.node("b").weight == 250)
        #expect(try await pool.currentSnapshot().undoable == [pool.defaultUser: "weight b 100 → 250"])
        #expect(await pool.execute(.undo) == .done("undid weight b 100 → 250"))
        #expect(try await cluster.node("b").weight == 100)
        #expect(await pool.execute(.undo) == .done("undid drain a"))
        #expect(try await cluster.node("a").operatorDrained == false)
        #expect(await pool.execute(.undo) == .refused("nothing of yours to undo"))
        #expect(await pool.execute(.drain(node: "b", force: true)).isDone)
        let events = try await pool.currentSnapshot().events.filter { $0.kind == .operatorAction }.map(\.message)
        #expect(events.contains("tester on \(PoolOptions.hostName()): drain b refused: draining b would leave 0 routable nodes, fewer than min_routable 1 (:drain b force overrides)"))
        await cluster.stop()
    }

    @Test func weightZeroStopsNewTrafficWithoutDraining() async throws {
        let cluster = try await LiveCluster([DemoNodeSpec(name: "a"), DemoNodeSpec(name: "b")])
        try await cluster.allUp()
        #expect(await cluster.pool.execute(.setWeight(node: "b", weight: 0)) == .done("weight of b 100 → 0 (no new traffic; not drained)"))
        #expect(await load(cluster.pool, count: 200, concurrency: 2).isEmpty)
        let b = try await cluster.node("b")
        #expect(b.calls == 0 && !b.operatorDrained && b.health == .up)
        await cluster.stop()
    }

    // The retry budget in an outage is checked on a driven clock (DrivenDetectionTests).

    @Test func callsReturnTypedErrorsAndDeclaredExceptions() async throws {
        let cluster = try await LiveCluster([DemoNodeSpec(name: "a")])
        try await cluster.allUp()
        let pool = cluster.pool
        #expect(try await pool.call(DemoService.Work.self, .init(costMicros: 0, payload: [9, 8])) == [9, 8])
        await #expect(throws: DemoService.WorkFailed(reason: "costMicros must not be negative", code: -1)) {
            try await pool.call(DemoService.Work.self, .init(costMicros: -1, payload: []))
        }
        #expect(try await pool.call(FB303.GetName.self) == "a")
        await #expect(throws: PoolCallError.timeout(node: "a", after: .milliseconds(200))) {
            try await pool.call(DemoService.Work.self, .init(costMicros: 400_000, payload: []))
        }
        _ = await pool.execute(.setWeight(node: "a", weight: 0, force: true))
        await #expect(throws: PoolCallError.noRoutableNode) { try await pool.call(FB303.GetName.self) }
        await cluster.stop()
    }

    @Test func anInternalErrorReplyIsATypedApplicationError() async throws {
        let cluster = try await LiveCluster([DemoNodeSpec(name: "bad", script: faults([FaultStep(at: 0.4, change: change { $0.errorRate = 1 })]))],
                                            settings: { $0.heartbeatInterval = .seconds(10) })
        try await cluster.allUp()
        // Wait for the script's time, not a guess at it.
        while cluster.servers[0].elapsedSeconds < 0.41 { try await Task.sleep(for: .milliseconds(10)) }
        await #expect(throws: PoolCallError.application(node: "bad", TApplicationException(.internalError, message: "injected failure (error_rate) in getName"))) {
            try await cluster.pool.call(FB303.GetName.self)
        }
        await cluster.stop()
    }
}
