import ClusterModel
import Testing
@testable import DashboardKit

/// The table's rows and columns are worked out once per snapshot, sort and filter
/// (`NodeArrayMemo`) and reused by later frames. These tests render the same snapshot again,
/// then change one input at a time, and check the table on screen follows each change.
@Suite("Row order memo")
struct RowOrderMemoTests {
    static let width = 80, height = 24

    // The fixture's rows at 80 columns, as the main screen test shows them.
    static let alpha = "● up       alpha-1   4.20ms     2    100  25.0% 100.00%"
    static let beta = "◐ degraded beta-2    31.4ms     0    100  25.0%  97.31%"
    static let delta = "◌ drained  delta-4   4.80ms     0    100   0.0% 100.00%"
    static let epsilon = "◍ suspect  epsilon-5  250ms     0    100  25.0%  95.00% 30s ago timeout after 5…"
    static let eta = "● up       eta-7     4.80ms     0    50*  25.0% 100.00%"
    static let gamma = "◌ drained  gamma-3   4.80ms     3    100   0.0% 100.00%"
    static let iota = "? unknown  iota-9         -     0    100   0.0%   0.00%"
    static let theta = "◔ starting theta-8   4.80ms     0    100   0.0% 100.00%"
    static let zeta = "✖ down     zeta-6         -     0    100   0.0%  50.00% 30s ago connection refu…"
    /// alpha-1 once its P99 went up to 900 ms.
    static let slowAlpha = "● up       alpha-1    900ms     2    100  25.0% 100.00%"

    static let byName = "STATE      NAME▲        P99  INFL WEIGHT  SHARE   AVAIL LAST ERROR"
    static let byP99 = "STATE      NAME        P99▼  INFL WEIGHT  SHARE   AVAIL LAST ERROR"

    /// A title rule, filled out with ─ to the screen's width.
    static func rule(_ text: String) -> String {
        text + String(repeating: "─", count: width - text.count)
    }

    /// The table as the loop draws it: fold the snapshot into the state, then render.
    func frame(_ snapshot: ClusterSnapshot, _ state: inout DashboardState) -> Screen {
        Dashboard.update(state: &state, snapshot: snapshot)
        return Dashboard.render(snapshot, state, width: Self.width, height: Self.height)
    }

    /// Compares the table (title rule, headings, `rows`) and checks the events rule comes next,
    /// so a row too many or too few shows.
    func expectTable(_ screen: Screen, title: String, headings: String, _ rows: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let actual = screen.rows.map(trimRight)
        let wanted = [Self.rule(title), headings] + rows
        let shown = Array(actual[2..<min(actual.count, 2 + wanted.count)])
        // After the rows: the selected node's error line, then the events rule.
        let next = actual.count > 3 + wanted.count ? actual[3 + wanted.count] : ""
        guard shown != wanted || !next.hasPrefix("─ Events") else { return }
        Issue.record(
            "table differs\n--- actual ---\n\(screen.debugText)\n--- expected from row 2 ---\n\(wanted.map { "│\($0)" }.joined(separator: "\n"))\n│─ Events …",
            sourceLocation: sourceLocation)
    }

    @Test func aChangedSnapshotReordersTheTableThoughTheLastOneWasShownTwice() {
        var snapshot = Fixture.snapshot
        var state = DashboardState.byName(width: Self.width, height: Self.height)
        state.sort = NodeSort(column: .p99, descending: true)
        let first = frame(snapshot, &state)
        #expect(frame(snapshot, &state) == first)
        expectTable(first, title: "─ Nodes 9/9 ─ sort P99 ▼ ", headings: Self.byP99,
                    [Self.epsilon, Self.beta, Self.delta, Self.eta, Self.gamma, Self.theta, Self.alpha, Self.iota, Self.zeta])

        // Changed in place, as a caller holding one `var` would: alpha-1 becomes the slowest.
        snapshot.nodes[0].latencyP99 = 900
        expectTable(frame(snapshot, &state), title: "─ Nodes 9/9 ─ sort P99 ▼ ", headings: Self.byP99,
                    [Self.slowAlpha, Self.epsilon, Self.beta, Self.delta, Self.eta, Self.gamma, Self.theta, Self.iota, Self.zeta])
    }

    @Test func sortKeysReorderTheSameSnapshot() {
        let snapshot = Fixture.snapshot
        var state = DashboardState.byName(width: Self.width, height: Self.height)
        expectTable(frame(snapshot, &state), title: "─ Nodes 9/9 ─ sort NAME ▲ ", headings: Self.byName,
                    [Self.alpha, Self.beta, Self.delta, Self.epsilon, Self.eta, Self.gamma, Self.iota, Self.theta, Self.zeta])

        _ = Dashboard.handle(.character("S"), state: &state, snapshot: snapshot)
        expectTable(Dashboard.render(snapshot, state, width: Self.width, height: Self.height),
                    title: "─ Nodes 9/9 ─ sort NAME ▼ ", headings: "STATE      NAME▼        P99  INFL WEIGHT  SHARE   AVAIL LAST ERROR",
                    [Self.zeta, Self.theta, Self.iota, Self.gamma, Self.eta, Self.epsilon, Self.delta, Self.beta, Self.alpha])

        // s: the next column on screen (ADDRESS is not, at 80 columns: P99), ascending again;
        // nodes without a p99 last.
        _ = Dashboard.handle(.character("s"), state: &state, snapshot: snapshot)
        expectTable(Dashboard.render(snapshot, state, width: Self.width, height: Self.height),
                    title: "─ Nodes 9/9 ─ sort P99 ▲ ", headings: "STATE      NAME        P99▲  INFL WEIGHT  SHARE   AVAIL LAST ERROR",
                    [Self.alpha, Self.delta, Self.eta, Self.gamma, Self.theta, Self.beta, Self.epsilon, Self.iota, Self.zeta])
    }

    @Test func typingAFilterNarrowsAndWidensTheRowsOfTheSameSnapshot() {
        let snapshot = Fixture.snapshot
        var state = DashboardState.byName(width: Self.width, height: Self.height)
        _ = frame(snapshot, &state)
        for key in "/del" { _ = Dashboard.handle(.character(key), state: &state, snapshot: snapshot) }
        expectTable(Dashboard.render(snapshot, state, width: Self.width, height: Self.height),
                    title: "─ Nodes 1/9 ─ sort NAME ▲ ─ filter \"del\" ", headings: Self.byName, [Self.delta])

        // Backspace: "de" also matches beta-2's state word, "degraded".
        _ = Dashboard.handle(.backspace, state: &state, snapshot: snapshot)
        expectTable(Dashboard.render(snapshot, state, width: Self.width, height: Self.height),
                    title: "─ Nodes 2/9 ─ sort NAME ▲ ─ filter \"de\" ", headings: Self.byName, [Self.beta, Self.delta])

        _ = Dashboard.handle(.escape, state: &state, snapshot: snapshot)
        expectTable(Dashboard.render(snapshot, state, width: Self.width, height: Self.height),
                    title: "─ Nodes 9/9 ─ sort NAME ▲ ", headings: Self.byName,
                    [Self.alpha, Self.beta, Self.delta, Self.epsilon, Self.eta, Self.gamma, Self.iota, Self.theta, Self.zeta])
    }

    @Test func aLongerNameInANewSnapshotWidensTheNameColumn() {
        var snapshot = Fixture.snapshot
        var state = DashboardState.byName(width: Self.width, height: Self.height)
        _ = frame(snapshot, &state)
        snapshot.nodes[0].name = "alpha-1-long"
        expectTable(frame(snapshot, &state), title: "─ Nodes 9/9 ─ sort NAME ▲ ",
                    headings: "STATE      NAME▲           P99  INFL WEIGHT  SHARE   AVAIL LAST ERROR", [
                        "● up       alpha-1-long 4.20ms     2    100  25.0% 100.00%",
                        "◐ degraded beta-2       31.4ms     0    100  25.0%  97.31%",
                        "◌ drained  delta-4      4.80ms     0    100   0.0% 100.00%",
                        "◍ suspect  epsilon-5     250ms     0    100  25.0%  95.00% 30s ago timeout afte…",
                        "● up       eta-7        4.80ms     0    50*  25.0% 100.00%",
                        "◌ drained  gamma-3      4.80ms     3    100   0.0% 100.00%",
                        "? unknown  iota-9            -     0    100   0.0%   0.00%",
                        "◔ starting theta-8      4.80ms     0    100   0.0% 100.00%",
                        "✖ down     zeta-6            -     0    100   0.0%  50.00% 30s ago connection r…",
                    ])
    }

    /// Two dashboards (or a pause and a resume) showing different snapshots in turn: each frame
    /// shows its own snapshot's order, never the other's.
    @Test func twoSnapshotsRenderedInTurnEachKeepTheirOwnOrder() {
        let quick = Fixture.snapshot
        var slow = quick
        slow.nodes[0].latencyP99 = 900
        var state = DashboardState.byName(width: Self.width, height: Self.height)
        state.sort = NodeSort(column: .p99, descending: true)
        for _ in 0..<2 {
            let a = Dashboard.render(quick, state, width: Self.width, height: Self.height).rows.map(trimRight)
            let b = Dashboard.render(slow, state, width: Self.width, height: Self.height).rows.map(trimRight)
            #expect(a[4] == Self.epsilon)
            #expect(a[10] == Self.alpha)
            #expect(b[4] == Self.slowAlpha)
            #expect(b[5] == Self.epsilon)
        }
    }
}
