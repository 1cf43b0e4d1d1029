import ClusterModel
import Testing
@testable import DashboardKit

/// Every figure on the screen true now and explained: the header counts what the operator rules
/// count, old facts show their age and fade, a slow node is marked, and `?` explains it all.
@Suite("Screen truth")
struct ScreenTruthTests {
    static let now = Fixture.wallTime

    /// Four nodes: two up, two down (one refused since a minute, one recovered from a timeout).
    static var outage: ClusterSnapshot {
        var a = Fixture.node("a-1", .up, p50: 2, p99: 5, share: 0.5)
        a.lastError = "getStatus: timeout after 480 ms"
        a.lastErrorAt = now - 120  // recovered since: history
        let b = Fixture.node("b-2", .up, p50: 2.2, p99: 6, share: 0.5)
        var c = Fixture.node("c-3", .down, p50: nil, p99: nil, availability: 0.4, error: "cannot connect to 10.0.0.3:9090: connection refused", fb: "ALIVE")
        c.lastErrorAt = now - 12
        var d = Fixture.node("d-4", .down, p50: nil, p99: nil, availability: 0.1, error: "connection to 10.0.0.4:9090 closed by the server or reset", fb: "WARNING")
        d.lastErrorAt = now - 3
        var snapshot = ClusterSnapshot(clusterName: "shop", wallTime: now, nodes: [a, b, c, d], events: [],
                                       callsPerSecond: 150, retriesPerSecond: 1.5, availability: 0.999_999)
        snapshot.callSuccessRatio = 0.962
        snapshot.callLatencyP99 = 12.5
        return snapshot
    }

    func render(_ snapshot: ClusterSnapshot, _ width: Int = 160, _ height: Int = 24, keys: [Key] = []) -> Screen {
        var state = DashboardState(width: width, height: height)
        for key in keys { _ = Dashboard.handle(key, state: &state, snapshot: snapshot) }
        return Dashboard.render(snapshot, state, width: width, height: height)
    }

    /// The cell where `text` starts on row `y`.
    func cell(_ screen: Screen, row y: Int, at text: String) -> Cell? {
        guard let range = screen.rows[y].range(of: text) else { return nil }
        return screen[screen.rows[y].distance(from: screen.rows[y].startIndex, to: range.lowerBound), y]
    }

    @Test func twoDownOfFourIsRoutableTwoOfFourAndNeverAHundredPercent() {
        let screen = render(Self.outage)
        #expect(screen.rows[0].hasPrefix(" thrifttop │ shop │ routable 2/4 │ 150 calls/s │ ok 96.2% 1m │ p99 12.5ms │ retries 1.5/s"))
        #expect(!screen.rows[0].contains("100"))
        #expect(!screen.rows[0].contains("avail"))
        // Worst first: the down nodes on top, the one that failed last first? No: by p99, then name.
        #expect(screen.rows[4].hasPrefix("✖ down     c-3"))
        #expect(screen.rows[5].hasPrefix("✖ down     d-4"))
    }

    @Test func fb303AndLastErrorCarryTheirAgeAndFadeWhenTheyAreHistory() {
        let screen = render(Self.outage)
        let aRow = screen.rows.firstIndex { $0.contains(" a-1 ") }!
        let c = screen.rows[4], a = screen.rows[aRow]
        // A down node's status is its last answer, a minute old, dimmed.
        #expect(c.contains("ALIVE 1m"))
        #expect(cell(screen, row: 4, at: "ALIVE 1m")?.style.role == .dim)
        // An up node's status is fresh and not dimmed.
        #expect(a.contains("ALIVE 1s"))
        #expect(cell(screen, row: aRow, at: "ALIVE 1s")?.style.role == .text)
        // The error of a node still down is red with its age; a recovered node's is dimmed.
        #expect(c.contains("12s ago cannot connect to 10.0.0.3:9090"))
        #expect(cell(screen, row: 4, at: "12s ago")?.style.role == .error)
        #expect(a.contains("2m ago getStatus: timeout after 480 ms"))
        #expect(cell(screen, row: aRow, at: "2m ago")?.style.role == .dim)
    }

    @Test func theSelectedNodesWholeErrorIsUnderTheTableAtAnyWidth() {
        // At 60 columns the LAST ERROR column is narrow; the line under the table is whole as far
        // as the screen goes, and the detail wraps it all.
        let narrow = render(Self.outage, 80, 24)
        let under = narrow.rows[8]
        #expect(under.hasPrefix(" c-3 last error 12s ago cannot connect to 10.0.0.3:9090: connection refused"))
        let long = String(repeating: "#", count: 150)
        var snapshot = Self.outage
        snapshot.nodes[2].lastError = "getStatus raised TApplicationException INTERNAL_ERROR: " + long
        let detail = render(snapshot, 80, 30, keys: [.enter])
        let text = detail.rows.joined(separator: "\n")
        #expect(text.contains("Last error   12s ago getStatus raised TApplicationException INTERNAL_ERROR:"))
        #expect(text.filter { $0 == "#" }.count == 150)
    }

    @Test func aNodeFarSlowerThanTheMedianIsMarked() {
        var snapshot = Self.outage
        snapshot.nodes[2].latencyP50 = 2.1  // c-3's from before it went down: three measured
        snapshot.nodes[1].latencyP50 = 40  // b-2: 19× the median
        let screen = render(snapshot)
        let b = screen.rows.first { $0.contains("b-2") }!
        #expect(b.contains("40.0ms!"))
        let y = screen.rows.firstIndex(of: b)!
        #expect(cell(screen, row: y, at: "40.0ms!")?.style.role == .warning)
        #expect(!screen.rows.first { $0.contains("a-1") }!.contains("ms!"))
        // Two nodes with a p50 are too few to call one slow.
        snapshot.nodes[2].latencyP50 = nil
        #expect(!render(snapshot).rows.joined().contains("ms!"))
    }

    @Test func aDrainedNodeIsDrainedInTheRowsTheHeaderAndTheDetail() {
        var snapshot = Self.outage
        snapshot.nodes[1].health = .draining
        snapshot.nodes[1].operatorDrained = true
        snapshot.nodes[1].inFlight = 2
        snapshot.nodes[1].trafficShare = 0
        let screen = render(snapshot)
        #expect(screen.rows[1].contains("◌ 1 drained"))
        #expect(!screen.rows.joined().contains("draining"))
        // Drained is no trouble: it sorts after the serving nodes.
        #expect(screen.rows[7].hasPrefix("◌ drained  b-2"))
        #expect(screen.rows[7].contains("  0.0%"))
    }

    @Test func narrowPanicHeaderKeepsTheClustersName() {
        var snapshot = Self.outage
        snapshot.panicMode = true
        let screen = render(snapshot, 60, 15)
        #expect(screen.rows[0].hasPrefix(" shop │ routable 2/4"))
        #expect(screen.rows[0].contains("PANIC 2/4"))
    }

    @Test func theLegendExplainsEveryColumnGlyphAndHeaderFigure() {
        let legend = HelpOverlay.legend.flatMap(\.keys).map(\.0)
        for column in NodeColumn.allCases {
            #expect(legend.contains { $0.split(separator: " ").contains(Substring(column.title)) || $0 == column.title },
                    "no legend for \(column.title)")
        }
        for health in NodeHealth.allCases {
            #expect(legend.contains { $0.contains(health.glyph) }, "no legend for \(health.glyph)")
        }
        for figure in ["routable N/M", "calls/s", "ok 99.2% 1m", "p99", "retries/s", "PANIC k/M", "!"] {
            #expect(legend.contains(figure), "no legend for \(figure)")
        }
        // And it is on screen under ?, scrolled to.
        let help = render(Self.outage, 100, 40, keys: [.character("?"), .end])
        #expect(help.rows.joined().contains("LAST ERROR"))
    }

    @Test func shiftLettersSortByColumnsOnScreenAndSCyclesOnlyThose() {
        var state = DashboardState(width: 80, height: 24)
        let snapshot = Self.outage
        _ = Dashboard.handle(.character("P"), state: &state, snapshot: snapshot)
        #expect(state.sort == NodeSort(column: .p99, descending: false))
        _ = Dashboard.handle(.character("P"), state: &state, snapshot: snapshot)
        #expect(state.sort == NodeSort(column: .p99, descending: true))
        // F (FB303) is not on screen at 80 columns: nothing happens.
        _ = Dashboard.handle(.character("F"), state: &state, snapshot: snapshot)
        #expect(state.sort.column == .p99)
        let onScreen = Dashboard.onScreen(state, snapshot)
        var seen: [NodeColumn] = []
        for _ in 0 ..< 20 {
            _ = Dashboard.handle(.character("s"), state: &state, snapshot: snapshot)
            seen.append(state.sort.column)
        }
        #expect(Set(seen).isSubset(of: Set(onScreen)))
        #expect(!seen.contains(.fbStatus))
    }

    @Test func colonCommandsQuitHelpAndSortAndAPromptClearsAfterAnError() {
        let snapshot = Self.outage
        var state = DashboardState(width: 100, height: 30)
        func type(_ text: String) -> [DashboardEffect] {
            var effects: [DashboardEffect] = []
            for key in [Key.character(":")] + text.map(Key.character) + [.enter] {
                effects += Dashboard.handle(key, state: &state, snapshot: snapshot)
            }
            return effects
        }
        #expect(type("q") == [.quit])
        #expect(type("sort p99") == [])
        #expect(state.sort == NodeSort(column: .p99, descending: false))
        #expect(type("sort") == [])
        #expect(state.sort == .worstFirst)
        _ = type("help")
        #expect(state.overlay == .help)
        _ = Dashboard.handle(.escape, state: &state, snapshot: snapshot)
        _ = type("sort bogus")
        guard case let .prompt(prompt) = state.overlay else { Issue.record("the line closed on an error"); return }
        #expect(prompt.error?.hasPrefix("no column \"bogus\"") == true)
        #expect(prompt.text == "sort bogus")
        // Typing after the error starts a new line rather than appending to the old one.
        _ = Dashboard.handle(.character("q"), state: &state, snapshot: snapshot)
        guard case let .prompt(next) = state.overlay else { Issue.record("the line closed"); return }
        #expect(next.text == "q")
        #expect(next.error == nil)
    }
}
