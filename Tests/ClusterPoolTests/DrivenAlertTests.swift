import ClusterModel
import NIOConcurrencyHelpers
import NIOCore
import Testing
import ThriftWire
@testable import ClusterPool

/// Records the alert runs the pool asks for, and finishes them when the test says: the pool's
/// side of `[alerts]` on the driven clock. (Real processes: `LiveAlertTests`.)
final class RecordingAlertLauncher: AlertLauncher, @unchecked Sendable {
    struct Launched {
        var run: AlertRun
        var atMillis: Double
        var finish: @Sendable (AlertOutcome) -> Void
    }

    private let loop: any EventLoop
    private(set) var launched: [Launched] = []

    init(loop: any EventLoop) { self.loop = loop }

    func launch(_ run: AlertRun, completion: @escaping @Sendable (AlertOutcome) -> Void) {
        launched.append(Launched(run: run, atMillis: Double(loop.now.uptimeNanoseconds) / 1e6, finish: completion))
    }

    var environments: [[String: String]] { launched.map(\.run.environment) }
}

@Suite("Alerts on a driven clock")
struct DrivenAlertTests {
    /// A cluster with `[alerts]` set and the recorder in place of processes.
    func cluster(_ names: [String], spare: [String] = [], minInterval: TimeAmount = .seconds(1), minRoutable: Int = 1) throws -> (DrivenCluster, RecordingAlertLauncher) {
        var recorder: RecordingAlertLauncher?
        let cluster = try DrivenCluster(names, spare: spare, configure: { config in
            config.alerts.command = ["/usr/local/bin/page", "--team", "db"]
            config.alerts.minInterval = minInterval
            config.alerts.timeout = .seconds(10)
            config.minRoutable = minRoutable
        }, before: { cluster in
            let launcher = RecordingAlertLauncher(loop: cluster.loop)
            cluster.core.alerts.launcher = launcher
            recorder = launcher
        })
        return (cluster, recorder!)
    }

    @Test func aMethodOverItsErrorRateIsAlertedOnceAndAgainWhenItIsBack() throws {
        var recorder: RecordingAlertLauncher?
        let cluster = try DrivenCluster(["a"], configure: { config in
            config.alerts.command = ["/usr/local/bin/page"]
            config.alerts.minInterval = .seconds(1)
            config.alerts.methodErrorRate = 0.2
            config.alerts.minCalls = 10
        }, before: { cluster in
            let launcher = RecordingAlertLauncher(loop: cluster.loop)
            cluster.core.alerts.launcher = launcher
            recorder = launcher
        })
        let alerts = try #require(recorder)
        cluster.at(ms: 10)
        var t: Int64 = 10
        func calls(_ n: Int) {
            for _ in 0 ..< n {
                _ = cluster.call("Shop:buy")
                t += 20
                cluster.at(ms: t)
            }
        }
        // Five calls failing are under min_calls: nothing yet.
        cluster["a"].callBehaviour = .raise(TApplicationException(.internalError, message: "down"))
        calls(5)
        t += 1000
        cluster.at(ms: t)
        #expect(alerts.launched.isEmpty)
        // Ten more, all failing: over 20 %, alerted with the method named, once.
        calls(10)
        t += 2000
        cluster.at(ms: t)
        let failing = alerts.environments.filter { $0["THRIFTTOP_METHOD"] == "Shop:buy" }
        #expect(failing.count == 1)
        #expect(failing.first?["THRIFTTOP_FROM"] == "ok" && failing.first?["THRIFTTOP_TO"] == "failing")
        #expect(failing.first?["THRIFTTOP_REASON"]?.hasPrefix("method Shop:buy failing: 100% of 15 calls failed") == true)
        #expect(cluster.events().contains { $0.kind == .alert && $0.message.hasPrefix("method Shop:buy failing") })
        // It answers again; once the failures have left the window, it is back.
        cluster["a"].callBehaviour = nil
        t += 61_000
        cluster.at(ms: t)
        calls(10)
        t += 2000
        cluster.at(ms: t)
        let back = alerts.environments.filter { $0["THRIFTTOP_METHOD"] == "Shop:buy" }
        #expect(back.count == 2)
        #expect(back.last?["THRIFTTOP_TO"] == "ok")
    }

    @Test func aReloadMovesTheFloorsCountWithItsNodesAndNewNodesAlertToo() throws {
        let (cluster, alerts) = try cluster(["a", "b", "c"], spare: ["d"], minRoutable: 2)
        cluster.at(ms: 250)
        func reload(_ change: (inout ClusterConfig) -> Void) throws {
            var config = cluster.core.config
            change(&config)
            _ = cluster.core.reload(config, policies: try PoolPolicies.make(config, maintenanceInterval: PoolCore.maintenanceInterval))
            cluster.loop.run()
        }
        // Two of three routable nodes removed: below the floor, said and alerted at once.
        try reload { $0.nodes.removeFirst(2) }
        #expect(cluster.events().contains { $0.kind == .capacity && $0.message == "cluster driven: 1 routable node, fewer than min_routable 2" })
        #expect(alerts.environments.last?["THRIFTTOP_FROM"] == "3" && alerts.environments.last?["THRIFTTOP_TO"] == "1")
        // A node added comes up: back above; its own crash alerts under its name.
        let template = cluster.core.config.nodes[0]
        try reload { $0.nodes.append(NodeConfig(name: "d", address: NodeAddress(host: "127.0.0.1", port: 9003), settings: template.settings)) }
        cluster.at(ms: 700)
        #expect(cluster.health("d") == .up)
        #expect(cluster.events().contains { $0.kind == .capacity && $0.message == "cluster driven: 2 routable nodes again, min_routable 2" })
        cluster["d"].crash()
        #expect(alerts.environments.contains { $0["THRIFTTOP_NODE"] == "d" && $0["THRIFTTOP_TO"] == "down" })
    }

    @Test func aPoolStartingRunsNoAlert() throws {
        let (cluster, alerts) = try cluster(["a", "b", "c"])
        cluster.at(ms: 2000)
        #expect(["a", "b", "c"].allSatisfy { cluster.health($0) == .up })
        #expect(alerts.launched.isEmpty)
    }

    @Test func aCrashRunsTheCommandAtOnceWithTheChangeInItsEnvironment() throws {
        let (cluster, alerts) = try cluster(["a", "b"])
        cluster.at(ms: 350, ns: 500)
        cluster["b"].crash()
        #expect(alerts.launched.count == 1)
        let run = try #require(alerts.launched.first)
        #expect(run.atMillis == 350.0005)
        #expect(run.run.command == ["/usr/local/bin/page", "--team", "db"])
        #expect(run.run.timeout == .seconds(10))
        #expect(run.run.environment == [
            "THRIFTTOP_CLUSTER": "driven", "THRIFTTOP_NODE": "b", "THRIFTTOP_FROM": "up", "THRIFTTOP_TO": "down",
            "THRIFTTOP_REASON": "connection to 127.0.0.1:9001 closed by the server or reset",
        ])
        // Refused reconnects are no change of state: nothing more.
        cluster.at(ms: 5000)
        #expect(alerts.launched.count == 1)
    }

    @Test func aFlappingNodeGetsOneCoalescedRunWhenTheIntervalEnds() throws {
        let (cluster, alerts) = try cluster(["a"])
        // Heartbeats at every 100 ms, replies 1 ms later: each status change shows at x01 ms.
        cluster.at(ms: 350)
        cluster["a"].behaviour = .status(.warning)
        cluster.at(ms: 401)
        #expect(cluster.health("a") == .degraded)
        #expect(alerts.environments.map { $0["THRIFTTOP_TO"] } == ["degraded"])
        #expect(alerts.environments[0]["THRIFTTOP_REASON"] == "fb303 status ALIVE → WARNING")
        #expect(alerts.environments[0]["THRIFTTOP_COALESCED"] == nil)
        for (ms, status) in [(450, FBStatus.alive), (550, .warning), (650, .alive)] {
            cluster.at(ms: Int64(ms))
            cluster["a"].behaviour = .status(status)
        }
        cluster.at(ms: 1400, ns: 999_999)
        #expect(cluster.health("a") == .up)
        #expect(alerts.launched.count == 1)
        cluster.at(ms: 1401)
        #expect(alerts.launched.count == 2)
        #expect(alerts.launched.last?.atMillis == 1401)
        #expect(alerts.environments.last == [
            "THRIFTTOP_CLUSTER": "driven", "THRIFTTOP_NODE": "a", "THRIFTTOP_FROM": "degraded", "THRIFTTOP_TO": "up",
            "THRIFTTOP_REASON": "fb303 status WARNING → ALIVE", "THRIFTTOP_COALESCED": "3",
        ])
        cluster.at(ms: 4000)
        #expect(alerts.launched.count == 2)
    }

    @Test func theClusterAlertFiresBelowMinRoutableAndWhenItIsBack() throws {
        let (cluster, alerts) = try cluster(["a", "b", "c"], minInterval: .zero, minRoutable: 2)
        cluster.at(ms: 350)
        #expect(try cluster.execute(.drain(node: "a")).isDone)
        // Two left: at the floor, not below it. One run, for a's own change.
        #expect(alerts.environments.map { $0["THRIFTTOP_NODE"] } == ["a"])
        cluster["b"].crash()
        let cluster1 = alerts.environments.filter { $0["THRIFTTOP_NODE"] == "" }
        #expect(cluster1 == [[
            "THRIFTTOP_CLUSTER": "driven", "THRIFTTOP_NODE": "", "THRIFTTOP_FROM": "2", "THRIFTTOP_TO": "1",
            "THRIFTTOP_REASON": "1 routable node, fewer than min_routable 2",
        ]])
        let event = try #require(cluster.events().last { $0.kind == .capacity })
        #expect(event.severity == .error && event.node == nil)
        #expect(event.message == "cluster driven: 1 routable node, fewer than min_routable 2")
        #expect(try cluster.execute(.undrain(node: "a")).isDone)
        let back = alerts.environments.filter { $0["THRIFTTOP_NODE"] == "" }.last
        #expect(back?["THRIFTTOP_FROM"] == "1" && back?["THRIFTTOP_TO"] == "2")
        #expect(back?["THRIFTTOP_REASON"] == "2 routable nodes again, min_routable 2")
    }

    @Test func theFloorIsAnEventEvenWithoutAnAlertCommand() throws {
        let cluster = try DrivenCluster(["a", "b"], configure: { $0.minRoutable = 2 })
        cluster.at(ms: 350)
        cluster["a"].crash()
        #expect(cluster.events().filter { $0.kind == .capacity }.map(\.message) == ["cluster driven: 1 routable node, fewer than min_routable 2"])
    }

    @Test func atMostFourRunAtOnceAndTheRestWaitTheirTurn() throws {
        let names = ["a", "b", "c", "d", "e", "f"]
        let (cluster, alerts) = try cluster(names, minRoutable: 0)
        cluster.at(ms: 350)
        for name in names { cluster[name].crash() }
        #expect(alerts.launched.map { $0.run.environment["THRIFTTOP_NODE"] } == ["a", "b", "c", "d"])
        alerts.launched[1].finish(.exited(status: 0, stderr: ""))
        // Outcomes are taken by the next maintenance pass (every 100 ms).
        cluster.at(ms: 399)
        #expect(alerts.launched.count == 4)
        cluster.at(ms: 400)
        #expect(alerts.launched.map { $0.run.environment["THRIFTTOP_NODE"] } == ["a", "b", "c", "d", "e"])
        #expect(cluster.events("b").last?.message == "alert command /usr/local/bin/page ran (up → down)")
    }

    @Test func aFailingSlowOrMissingCommandIsAWarningEventNamingWhatHappened() throws {
        let (cluster, alerts) = try cluster(["a", "b", "c"], minRoutable: 0)
        cluster.at(ms: 350)
        for name in ["a", "b", "c"] { cluster[name].crash() }
        alerts.launched[0].finish(.exited(status: 3, stderr: "pager: no route to host"))
        alerts.launched[1].finish(.timedOut(stderr: ""))
        alerts.launched[2].finish(.failedToStart("cannot start /usr/local/bin/page: no such file or directory"))
        cluster.at(ms: 400)
        let warnings = cluster.events().filter { $0.kind == .alert }
        #expect(warnings.allSatisfy { $0.severity == .warning })
        #expect(warnings.map(\.message) == [
            "alert command /usr/local/bin/page (up → down) exited with status 3: pager: no route to host",
            "alert command /usr/local/bin/page (up → down) timed out after 10 s and was killed",
            "alert command (up → down) did not run: cannot start /usr/local/bin/page: no such file or directory",
        ])
        #expect(warnings.map(\.node) == ["a", "b", "c"])
    }
}
