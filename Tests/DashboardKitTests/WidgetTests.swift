import ClusterModel
import Testing
@testable import DashboardKit

/// Facts about single widgets, checked on lines rather than whole screens.
@Suite("Widgets")
struct WidgetTests {
    func detailLines(_ name: String) -> [String] {
        let snapshot = Fixture.snapshot
        return NodeDetailWidget(node: snapshot.node(named: name)!, snapshot: snapshot, scroll: 0).lines(width: 100).map(\.text)
    }

    @Test func detailShowsDrainProgressUntilNothingIsInFlight() {
        #expect(detailLines("gamma-3").contains("Drain        drained: 3 calls still in flight"))
        #expect(detailLines("delta-4").contains("Drain        drained: no calls in flight, safe to stop"))
        #expect(detailLines("alpha-1").contains("Drain        not drained"))
    }

    @Test func detailListsOnlyTheNodesOwnWarningsAndErrors() {
        let lines = detailLines("epsilon-5")
        #expect(lines.contains("Recent warnings and errors (1)"))
        #expect(lines.contains("12:34:46 WARN timeout after 500ms"))
        #expect(!lines.contains { $0.contains("INTERNAL_ERROR") })
    }

    @Test func panicModeIsMarkedInTheHeader() {
        var snapshot = Fixture.snapshot
        snapshot.panicMode = true
        let screen = Dashboard.render(snapshot, DashboardState(width: 120, height: 30), width: 120, height: 30)
        #expect(screen.rows[0].contains(" PANIC 3/7 routable: overflow to not-up nodes "))
        #expect(screen.rows[0].hasSuffix("12:34:56 UTC "))
    }

    @Test func theHeaderShowsWhereClientsConnect() {
        var snapshot = Fixture.snapshot
        snapshot.listeners = ["127.0.0.1:43123"]
        let screen = Dashboard.render(snapshot, DashboardState(width: 160, height: 30), width: 160, height: 30)
        #expect(screen.rows[1].contains("│ clients → 127.0.0.1:43123"))
        let plain = Dashboard.render(Fixture.snapshot, DashboardState(width: 160, height: 30), width: 160, height: 30)
        #expect(!plain.rows[1].contains("clients"), "no listener, nothing said")
    }

    @Test func theDrainDialogWarnsWhenNoNodeWouldBeRoutableAndWhenPanicStarts() {
        var snapshot = Fixture.snapshot
        snapshot.rules = OperatorRuleSettings(minRoutable: 0, panicThreshold: 0.5)
        snapshot.nodes = snapshot.nodes.map { node in
            var n = node
            n.serving = n.name == "alpha-1" || n.name == "beta-2"
            return n
        }
        // alpha-1 and beta-2 routable of 7 in rotation: panic already; drain alpha-1 leaves one.
        let drainAlpha = ConfirmDialog(request: ConfirmRequest(.drain(node: "alpha-1")), snapshot: snapshot).lines.map(\.text)
        #expect(drainAlpha.contains("Routable nodes        2 → 1"))
        #expect(!drainAlpha.contains { $0.hasPrefix("⚠ starts panic mode") })
        snapshot.nodes = snapshot.nodes.map { node in
            var n = node
            n.serving = n.name == "alpha-1"
            return n
        }
        let text = ConfirmDialog(request: ConfirmRequest(.drain(node: "alpha-1")), snapshot: snapshot).lines.map(\.text)
        #expect(text.contains("⚠ no node would be routable: calls overflow to nodes that are not up, or fail"))
        // Six nodes, three serving: draining one leaves 2 of 5 in rotation, below 50 %.
        var six = ClusterSnapshot(clusterName: "c", wallTime: 0, nodes: ["a", "b", "c", "d", "e", "f"].map { name in
            var n = NodeSnapshot(name: name, address: "h:1", health: "abc".contains(name) ? .up : .down)
            n.serving = "abc".contains(name)
            n.connected = true
            return n
        }, events: [])
        six.rules = OperatorRuleSettings(minRoutable: 1, panicThreshold: 0.5)
        let drainA = ConfirmDialog(request: ConfirmRequest(.drain(node: "a")), snapshot: six).lines.map(\.text)
        #expect(drainA.contains("⚠ starts panic mode: 2 of 5 in rotation routable (< 50.0%);"))
        // A drained node is outside the computation: with a drained, draining d (not up) starts nothing.
        six.nodes[0].operatorDrained = true
        let drainD = ConfirmDialog(request: ConfirmRequest(.drain(node: "d")), snapshot: six).lines.map(\.text)
        #expect(!drainD.contains { $0.hasPrefix("⚠ starts panic mode") })
    }

    @Test func theDialogSaysSoWhenItsNodeLeavesTheCluster() {
        var snapshot = Fixture.snapshot
        snapshot.nodes.removeAll { $0.name == "beta-2" }
        let text = ConfirmDialog(request: ConfirmRequest(.undrain(node: "beta-2")), snapshot: snapshot).lines.map(\.text)
        #expect(text == ["beta-2 is no longer in the cluster; the pool will refuse."])
    }
}
