import ClusterModel
import Testing
@testable import DashboardKit

/// The methods view: which method fails, where and how.
@Suite("Methods view")
struct MethodsViewTests {
    static var snapshot: ClusterSnapshot {
        var snapshot = Fixture.snapshot
        var ok = MethodOutcomes()
        ok.success = 900
        var flaky = MethodOutcomes()
        flaky.success = 80
        flaky.declaredException = 10
        flaky.applicationException = ["INTERNAL_ERROR": 6]
        flaky.timeout = 4
        var flakyOnBeta = MethodOutcomes()
        flakyOnBeta.success = 30
        flakyOnBeta.applicationException = ["INTERNAL_ERROR": 6]
        flakyOnBeta.timeout = 4
        var flakyOnAlpha = MethodOutcomes()
        flakyOnAlpha.success = 50
        flakyOnAlpha.declaredException = 10
        snapshot.methods = [
            MethodSnapshot(name: "Shop:list", outcomes: ok, callsPerSecond: 90, latencyP50: 1.2, latencyP99: 4.5, recentRates: [80, 90, 100],
                           nodes: [MethodNodeFigures(node: "alpha-1", outcomes: ok, latencyP50: 1.2, latencyP99: 4.5)]),
            MethodSnapshot(name: "Shop:buy", outcomes: flaky, callsPerSecond: 10, latencyP50: 3, latencyP99: 40, recentRates: [10, 10, 10],
                           nodes: [MethodNodeFigures(node: "alpha-1", outcomes: flakyOnAlpha, latencyP50: 2, latencyP99: 9),
                                   MethodNodeFigures(node: "beta-2", outcomes: flakyOnBeta, latencyP50: 5, latencyP99: 80)]),
        ]
        return snapshot
    }

    func render(_ keys: [Key]) -> [String] {
        var state = DashboardState.byName(width: 140, height: 30)
        for key in keys { _ = Dashboard.handle(key, state: &state, snapshot: Self.snapshot) }
        return Dashboard.render(Self.snapshot, state, width: 140, height: 30).rows.map(trimRight)
    }

    @Test func mListsMethodsWorstFirstWithEveryOutcomesShare() {
        let rows = render([.character("m")])
        #expect(rows[2].hasPrefix("─ Methods 2/2 ─ worst first ─ shares and latency of the last 30–60 s · Enter per node · m or Esc back"))
        #expect(rows[3].hasPrefix("METHOD "))
        // Shop:buy fails 10 of 100 (6 INTERNAL_ERROR, 4 timeouts; its 10 declared exceptions are answers).
        #expect(rows[4].hasPrefix("Shop:buy                            10.0  10.0%  80.0%  10.0%   6.0%   4.0%   0.0%   0.0% 3.00ms 40.0ms"))
        #expect(rows[5].hasPrefix("Shop:list                           90.0   0.0% 100.0%   0.0%   0.0%   0.0%   0.0%   0.0% 1.20ms 4.50ms"))
    }

    @Test func enterShowsWhichNodesFailTheMethodAndHow() {
        let rows = render([.character("m"), .enter])
        let text = rows.joined(separator: "\n")
        #expect(rows[2].hasPrefix("─ Method Shop:buy ─ per node, worst first · Esc back"))
        #expect(text.contains("TApplicationException: INTERNAL_ERROR 6"))
        let beta = rows.firstIndex { $0.hasPrefix("beta-2") }!, alpha = rows.firstIndex { $0.hasPrefix("alpha-1") }!
        #expect(beta < alpha, "the node failing it first")
        #expect(rows[beta].contains("25.0%"), "6 + 4 of 40 on beta-2")
        // Esc goes back to the list with the method selected, m to the nodes.
        #expect(render([.character("m"), .enter, .escape])[2].hasPrefix("─ Methods 2/2"))
        #expect(render([.character("m"), .enter, .character("m")])[2].hasPrefix("─ Nodes 9/9"))
    }

    @Test func theSelectionStaysOnItsMethodWhenTheRowsReSort() {
        var state = DashboardState.byName(width: 140, height: 30)
        for key in [Key.character("m"), .down] { _ = Dashboard.handle(key, state: &state, snapshot: Self.snapshot) }
        #expect(state.view == .methods(selected: "Shop:list"))
        // Shop:list starts failing worse than Shop:buy: it moves to the top, still selected.
        var worse = Self.snapshot
        worse.methods[0].outcomes.timeout = 900
        _ = Dashboard.handle(.enter, state: &state, snapshot: worse)
        #expect(state.view == .method(name: "Shop:list"))
    }

    @Test func theNodeDetailListsTheMethodsItTook() {
        // Enter on alpha-1 (the first row by name).
        let text = render([.enter]).joined(separator: "\n")
        #expect(text.contains("Methods on this node (2)"))
        #expect(text.contains("Shop:buy"))
    }
}
