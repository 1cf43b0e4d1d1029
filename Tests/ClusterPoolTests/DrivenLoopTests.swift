import ClusterModel
import NIOCore
import NIOEmbedded
import Testing
import ThriftWire
@testable import ClusterPool

/// Routers on other loops (a proxy's `[proxy] threads`), each on an embedded loop of its own,
/// driven by hand: when they learn what the pool decided, and what the operator is told.
@Suite("Routers on other loops on a driven clock")
struct DrivenLoopTests {
    /// A router on `other`, adopted by the pool as a proxy's loop would be.
    func remoteRouter(_ cluster: DrivenCluster, on other: EmbeddedEventLoop) throws -> CallRouter {
        let core = cluster.core
        let router = try CallRouter(loop: other, view: .empty(core.config), seed: 7, tick: .milliseconds(10), connector: core.connector) {
            core.record($0)
        }
        core.published.remote.append(RemoteRouter(loop: other, router: NIOLoopBound(router, eventLoop: other)))
        core.publishRouting()
        other.run()
        return router
    }

    @Test func aDrainIsAnsweredOnlyOnceEveryLoopRoutesByIt() throws {
        let cluster = try DrivenCluster(["a", "b"])
        let other = EmbeddedEventLoop()
        let router = try remoteRouter(cluster, on: other)
        cluster.at(ms: 1000)
        other.run()
        #expect(router.view.nodes.map(\.serving) == [true, true], "the other loop knows both are up")

        let answer = Answer()
        cluster.core.executeEverywhere(OperatorRequest(.drain(node: "a")), user: "tester").whenSuccess { answer.result = $0 }
        cluster.loop.run()
        #expect(answer.result == nil, "not answered while a loop still routes by the old view")
        #expect(router.view.nodes[0].inRotation)
        other.run()
        cluster.loop.run()
        #expect(answer.result?.isDone == true)
        #expect(!router.view.nodes[0].inRotation && router.view.nodes[0].drained)
        #expect(router.unroutableSummary(group: nil) == "1 drained, 1 routable")

        // A weight likewise: the other loop has it before the operator is told.
        let weighed = Answer()
        cluster.core.executeEverywhere(OperatorRequest(.setWeight(node: "b", weight: 40)), user: "tester").whenSuccess { weighed.result = $0 }
        cluster.loop.run()
        #expect(weighed.result == nil && router.view.nodes[1].weight == 100)
        other.run()
        cluster.loop.run()
        #expect(weighed.result?.isDone == true && router.view.nodes[1].weight == 40)
    }

    @Test func aNodeGoingDownReachesTheOtherLoopsAtTheEndOfThePoolsTurnNotATickLater() throws {
        let cluster = try DrivenCluster(["a", "b"])
        let other = EmbeddedEventLoop()
        let router = try remoteRouter(cluster, on: other)
        cluster.at(ms: 1000)
        other.run()
        cluster["a"].crash()
        cluster.loop.run()
        other.run()
        #expect(cluster.health("a") == .down)
        #expect(router.view.nodes[0].serving == false && router.view.nodes[0].health == .down)
        #expect(router.unroutableSummary(group: nil) == "1 down, 1 routable")
    }

    @Test func aReloadGivesEveryLoopTheNewNodesAndRetiresTheOldOnesByIdNotPlace() throws {
        let cluster = try DrivenCluster(["a", "b", "c"], spare: ["d"])
        let other = EmbeddedEventLoop()
        let router = try remoteRouter(cluster, on: other)
        cluster.at(ms: 1000)
        other.run()
        _ = try cluster.execute(.drain(node: "c"))
        _ = try cluster.execute(.setWeight(node: "b", weight: 30))
        other.run()
        let b = router.nodes[1]
        var config = cluster.core.config
        config.nodes = [config.nodes[2], config.nodes[1],
                        NodeConfig(name: "d", address: NodeAddress(host: "127.0.0.1", port: 9100), settings: config.nodes[0].settings)]
        _ = cluster.core.reload(config, policies: try PoolPolicies.make(config, maintenanceInterval: PoolCore.maintenanceInterval))
        cluster.loop.run()
        other.run()
        #expect(router.view.nodes.map(\.config.name) == ["c", "b", "d"])
        #expect(router.nodes[1] === b, "b keeps its place's state on the other loop: its connections and cost")
        #expect(router.nodes.map(\.id) == router.view.nodes.map(\.id))
        #expect(Set(router.nodes.map(\.id)).count == 3)
        // The operator's say stays with the node, not with its old place.
        #expect(router.view.nodes.map(\.drained) == [true, false, false], "c, now first, is still drained")
        #expect(router.view.nodes.map(\.weight) == [100, 30, 100], "b keeps its weight")
    }
}

/// What the operator was told, once told. (Unchecked Sendable: the test's embedded loops run on its one thread.)
private final class Answer: @unchecked Sendable {
    var result: OperatorResult?
}
