import ClusterModel
import NIOCore
import Testing
@testable import ClusterPool

/// Live reload on a driven clock: nodes added, removed and changed, while the connections of
/// unchanged nodes and the operator's drains and weights stay as they were.
@Suite("Reload on a driven clock")
struct DrivenReloadTests {
    /// Applies `change` to the config in force, as `ClusterPool.reload` does on the loop.
    private func reload(_ cluster: DrivenCluster, _ change: (inout ClusterConfig) -> Void) throws -> ReloadOutcome {
        var config = cluster.core.config
        change(&config)
        let outcome = cluster.core.reload(config, policies: try PoolPolicies.make(config, maintenanceInterval: PoolCore.maintenanceInterval))
        _ = cluster.core.recordReload(outcome, user: "tester")
        cluster.loop.run()
        return outcome
    }

    private func node(_ name: String, port: Int, like template: NodeConfig) -> NodeConfig {
        NodeConfig(name: name, address: NodeAddress(host: "127.0.0.1", port: port), settings: template.settings)
    }

    @Test func anAddedNodeIsHeartbeatedAndTakesCalls() throws {
        let cluster = try DrivenCluster(["a", "b"], spare: ["c"])
        cluster.at(ms: 250)
        let outcome = try reload(cluster) { $0.nodes.append(node("c", port: 9100, like: $0.nodes[0])) }
        #expect(outcome.isDone && outcome.added == ["c"] && outcome.removed.isEmpty && outcome.changed.isEmpty)
        #expect(outcome.message == "reloaded: added c")
        cluster.at(ms: 600)
        #expect(cluster.health("c") == .up)
        #expect(cluster["c"].heartbeats.count >= 3)
        for _ in 0..<30 { _ = cluster.call() }
        cluster.at(ms: 700)
        #expect(cluster["c"].calls.contains { $0.method == "work" }, "the new node takes calls")
        #expect(cluster.core.buildSnapshot().nodes.map(\.name) == ["a", "b", "c"])
    }

    @Test func aRemovedNodeFinishesItsCallThenClosesAndGetsNothingMore() throws {
        let cluster = try DrivenCluster(["a", "b"])
        cluster.at(ms: 250)
        cluster["a"].latency = .milliseconds(150)
        #expect(try cluster.execute(.drain(node: "b", force: true)).isDone)
        let reply = cluster.call()
        cluster.at(ms: 260)
        #expect(cluster.node("a").state.inFlight == 1)
        let versionBefore = cluster.core.buildSnapshot().version
        let outcome = try reload(cluster) { $0.nodes.removeFirst() }
        #expect(outcome.removed == ["a"])
        let snapshot = cluster.core.buildSnapshot()
        #expect(snapshot.nodes.map(\.name) == ["b"] && snapshot.version > versionBefore)
        let heartbeatsAtReload = cluster["a"].heartbeats.count
        cluster.at(ms: 500)
        #expect(try reply.wait().node == "a", "the call in flight on the removed node is answered")
        #expect(cluster["a"].heartbeats.count == heartbeatsAtReload, "no heartbeat after the reload")
        #expect(cluster["a"].calls.filter { $0.method == "work" }.count == 1)
        #expect(cluster.core.ids.retiring.isEmpty, "its connections are closed once the call is done")
        // b moved from place 1 to 0: its heartbeats keep their 100 ms cadence.
        let beats = cluster["b"].heartbeats.filter { $0 > 260 }
        #expect(beats.count >= 2 && zip(beats, beats.dropFirst()).allSatisfy { abs($1 - $0 - 100) < 15 })
        #expect(cluster.node("b").state.drained, "b's drain stays")
        #expect(cluster.events().contains { $0.message == "tester on \(cluster.core.instanceName): reloaded: removed a" })
    }

    @Test func anUnchangedNodeKeepsItsHeartbeatConnection() throws {
        let cluster = try DrivenCluster(["a", "b", "c"], spare: ["d"])
        cluster.at(ms: 250)
        let connection = try #require(cluster.node("b").liveConnection)
        let outcome = try reload(cluster) { config in
            config.nodes.remove(at: 0)
            config.nodes.append(node("d", port: 9200, like: config.nodes[0]))
            config.nodes[1].settings.callTimeout = .milliseconds(300)
            config.balancer = .leastOutstanding
        }
        #expect(outcome.added == ["d"] && outcome.removed == ["a"] && outcome.changed == ["c"])
        cluster.at(ms: 600)
        #expect(cluster.node("b").liveConnection === connection)
        #expect(cluster["b"].connectTimes.count == 1, "b was not reconnected")
        #expect(cluster["c"].connectTimes.count == 2, "c got a new connection for its new settings")
        #expect(cluster.core.policies.balancer.name == BalancerKind.leastOutstanding.rawValue)
        #expect(cluster.health("b") == .up && cluster.health("c") == .up && cluster.health("d") == .up)
    }

    @Test func drainsAndOperatorWeightsStayAcrossAReconnectingChange() throws {
        let cluster = try DrivenCluster(["a", "b", "c"])
        cluster.at(ms: 250)
        #expect(try cluster.execute(.drain(node: "a")).isDone)
        #expect(try cluster.execute(.setWeight(node: "b", weight: 50)).isDone)
        let outcome = try reload(cluster) { config in
            config.nodes[0].settings.connectTimeout = .milliseconds(500)
            config.nodes[1].address = NodeAddress(host: "127.0.0.1", port: 9301)
        }
        #expect(outcome.changed == ["a", "b"])
        cluster.at(ms: 600)
        #expect(cluster["a"].connectTimes.count == 2 && cluster["b"].connectTimes.count == 2)
        #expect(cluster.node("a").state.drained)
        #expect(cluster.node("b").state.weight == 50)
        #expect(cluster.core.operatorState() == OperatorState(drained: ["a"], weights: ["b": 50]))
    }

    @Test func aConfigWeightIsTheDefaultWhileNoOperatorSetOne() throws {
        let cluster = try DrivenCluster(["a", "b"])
        cluster.at(ms: 250)
        #expect(try cluster.execute(.setWeight(node: "b", weight: 50)).isDone)
        let outcome = try reload(cluster) { config in
            config.nodes[0].weight = 200
            config.nodes[1].weight = 300
        }
        #expect(outcome.changed == ["a", "b"])
        #expect(cluster.node("a").state.weight == 200, "nobody set a's weight: the new default")
        #expect(cluster.node("b").state.weight == 50, "the operator's weight stays")
        #expect(cluster["a"].connectTimes.count == 1, "a weight is not a reason to reconnect")
        #expect(try cluster.execute(.resetWeight(node: "b")) == .done("weight of b 50 → 300 (configured)"))
    }

    @Test func anAdminChangeIsReportedAsNeedingARestartAndTheOutcomeIsAudited() throws {
        let store = MemoryOperatorStore()
        let cluster = try DrivenCluster(["a", "b"], store: store)
        cluster.at(ms: 250)
        let outcome = try reload(cluster) { $0.admin.socket = "/tmp/elsewhere.sock" }
        #expect(outcome.isDone && outcome.notApplied == ["[admin] changed: needs a restart"])
        #expect(outcome.message == "reloaded: no node or listener changed; not applied: [admin] changed: needs a restart")
        #expect(cluster.core.config.admin.socket == nil, "the config in force keeps the admin endpoint it runs")
        let audit = try #require(store.audits.last)
        #expect(audit.action == "reload" && audit.user == "tester" && audit.result == outcome.message)
        // So does [metrics]: the method table and the series were made at start.
        let metrics = try reload(cluster) { $0.metrics.maxMethods = 5 }
        #expect(metrics.notApplied == ["[metrics] changed: needs a restart (its series and the method table are made at start)"])
        #expect(cluster.core.config.metrics.maxMethods == 200)
    }

    @Test func aRenumberedNodesCallStillTimesOutOnTime() throws {
        let cluster = try DrivenCluster(["a", "b", "c"])
        cluster.at(ms: 250)
        cluster["c"].callBehaviour = .hang
        #expect(try cluster.execute(.drain(node: "a", force: true)).isDone)
        #expect(try cluster.execute(.drain(node: "b", force: true)).isDone)
        let call = cluster.call(timeout: .seconds(5))
        cluster.at(ms: 251)
        #expect(cluster.node("c").state.inFlight == 1)
        // c moves from place 2 to 0; its call's deadline (200 ms, enforced by the tick after it at the
        // latest) moves with it.
        let outcome = try reload(cluster) { $0.nodes = [$0.nodes[2], $0.nodes[1]] }
        #expect(outcome.removed == ["a"])
        cluster.at(ms: 250 + 199)
        #expect(cluster.node("c").state.inFlight == 1, "not before its deadline")
        cluster.at(ms: 250 + 200 + 10)
        #expect(throws: PoolCallError.timeout(node: "c", after: .milliseconds(200))) { try call.wait() }
        #expect(cluster.node("c").state.inFlight == 0)
    }

    @Test func snapshotsMoveWithTheirNodesAndChangesNotYetShownAreNotLost() throws {
        let cluster = try DrivenCluster(["a", "b", "c"])
        cluster.at(ms: 250)
        let before = cluster.core.buildSnapshot()
        #expect(try cluster.execute(.drain(node: "b")).isDone)
        let outcome = try reload(cluster) { config in
            config.nodes.removeFirst()
            config.nodes[1].group = "east"
        }
        #expect(outcome.removed == ["a"] && outcome.changed == ["c"])
        let after = cluster.core.buildSnapshot()
        #expect(after.nodes.map(\.name) == ["b", "c"])
        #expect(after.node(named: "b")?.operatorDrained == true && after.node(named: "b")?.routable == false,
                "b's drain came after the last build: its snapshot is rebuilt at its new place")
        #expect(after.node(named: "c")?.group == "east")
        #expect(after.node(named: "c")?.heartbeatsOK == before.node(named: "c")?.heartbeatsOK)
        #expect(after.version > before.version)
    }
}

