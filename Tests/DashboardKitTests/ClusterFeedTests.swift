import ClusterModel
import Foundation
import Testing
@testable import DashboardKit

/// Several clusters on one screen (`thrifttop attach` to several daemons) and figures that are
/// no longer live.
@Suite("Cluster bar and stale figures")
struct ClusterFeedTests {
    static var staging: ClusterSnapshot {
        var snapshot = ClusterSnapshot(clusterName: "staging", wallTime: Fixture.wallTime, nodes: [
            Fixture.node("s-1", .up), Fixture.node("s-2", .down, error: "connection refused"),
        ], events: [], callsPerSecond: 12, availability: 0.5)
        snapshot.version = 3
        return snapshot
    }

    static let outage = Date(timeIntervalSince1970: Fixture.wallTime - 65)

    static var feeds: [ClusterFeed] {
        [
            ClusterFeed(source: "unix:/run/user/1000/thrifttop/demo.sock", snapshot: Fixture.snapshot),
            ClusterFeed(source: "unix:/run/user/1000/thrifttop/staging.sock", snapshot: staging,
                        link: .unreachable(since: outage, reason: "connection refused", retryAt: outage.addingTimeInterval(70))),
            ClusterFeed(source: "http://127.0.0.1:9901", snapshot: ClusterSnapshot(clusterName: "", wallTime: 0, nodes: [], events: []), link: .connecting),
        ]
    }

    func state(_ keys: [Key], width: Int = 100, height: Int = 30, readOnly: Bool = false) -> DashboardState {
        var state = DashboardState.byName(width: width, height: height, readOnly: readOnly)
        Dashboard.update(state: &state, feeds: Self.feeds)
        for key in keys {
            _ = Dashboard.handle(key, state: &state, snapshot: Dashboard.selected(Self.feeds, state).snapshot)
            Dashboard.update(state: &state, feeds: Self.feeds)
        }
        return state
    }

    @Test func aLinePerClusterAboveTheSelectedClustersScreen() {
        let screen = Dashboard.render(feeds: Self.feeds, state([]), width: 100, height: 30)
        let rows = screen.rows.map(trimRight)
        #expect(rows[0] == "▶1 demo              routable 3/9  ok -  1235 calls/s  2 alerts  unix:/run/user/1000/thrifttop/demo.")
        #expect(rows[1] == " 2 staging           routable 1/2  ok -  12.0 calls/s  1 alert  unreachable since 12:33:51 UTC  unix")
        #expect(rows[2] == " 3 http://127.0.0.…  connecting…")
        // The header names the daemon the figures come from.
        #expect(rows[3].hasPrefix(" thrifttop │ demo @ unix:/run/user/1000/thrifttop/demo.sock │ routable 3/9"))
        #expect(screen[0, 0].style.role == .selected)
        #expect(screen[3, 1].style.role == .header)
        #expect(screen[1, 1].style.role == .key)
    }

    @Test func numberKeysBracketsAndTheCommandLineSwitchClusters() {
        #expect(state(["2"].map(Key.character)).clusters.selected == 1)
        #expect(state(["]", "]", "]"].map(Key.character)).clusters.selected == 0)
        #expect(state(["["].map(Key.character)).clusters.selected == 2)
        var typed = state([.character(":")] + "cluster stag".map(Key.character) + [.enter])
        #expect(typed.clusters.selected == 1)
        #expect(typed.status == StatusMessage("cluster staging"))
        typed = state([.character(":")] + "cluster prod".map(Key.character) + [.enter])
        guard case let .prompt(prompt) = typed.overlay else { Issue.record("the line closed on an unknown cluster"); return }
        #expect(prompt.error == "no cluster named \"prod\"")
        // 9 clusters at most by number; a number past the last says how many there are.
        let past = state(["7"].map(Key.character))
        #expect(past.clusters.selected == 0)
        #expect(past.status?.text == "there are 3 clusters: 1–3, or [ and ]")
        // Read-only still switches, but acts on nothing.
        let readOnly = state([.character(":")] + "cluster staging".map(Key.character) + [.enter], readOnly: true)
        #expect(readOnly.clusters.selected == 1)
        let refused = state([.character(":")] + "drain alpha-1".map(Key.character) + [.enter], readOnly: true)
        guard case let .prompt(line) = refused.overlay else { Issue.record("read-only drain line closed"); return }
        #expect(line.error == Dashboard.readOnlyNote(refused).text)
    }

    @Test func switchingStartsTheOtherClustersTableFromTheTop() {
        let s = state("jjj".map(Key.character) + [.enter, .character("2")])
        #expect(s.view == .main)
        #expect(s.selectedNode == "s-1")
        let screen = Dashboard.render(feeds: Self.feeds, s, width: 100, height: 30)
        #expect(screen.rows[0].hasPrefix(" 1 demo"))
        #expect(screen.rows[1].hasPrefix("▶2 staging"))
    }

    @Test func anUnreachableDaemonsFiguresAreGreyedUnderSinceWhen() {
        let s = state(["2"].map(Key.character))
        let screen = Dashboard.render(feeds: Self.feeds, s, width: 120, height: 30)
        let rows = screen.rows.map(trimRight)
        #expect(rows[3].hasPrefix(" thrifttop │ staging @ unix:/run/user/1000/thrifttop/staging.sock │ routable 1/2"))
        #expect(rows[4] == " daemon unreachable since 12:33:51 UTC: connection refused; next try 12:35:01 UTC — figures below are from then")
        // Every cell from the header to the status row is grey, the notice aside.
        for y in [3] + Array(5 ..< 29) {
            for x in 0 ..< 120 where !screen[x, y].text.trimmingCharacters(in: .whitespaces).isEmpty {
                #expect(screen[x, y].style.role == .dim, "cell \(x),\(y) \(screen[x, y].text) is \(screen[x, y].style.role)")
            }
        }
        #expect(screen[1, 4].style.role == .panic)
        // A live cluster is drawn in colour.
        let live = Dashboard.render(feeds: Self.feeds, state([]), width: 120, height: 30)
        #expect((0 ..< 120).contains { live[$0, 7].style.role != .dim })
    }

    @Test func aConnectingClusterSaysSoAndASingleFeedHasNoBar() {
        // Never answered: where and why, never an empty cluster named "".
        let connecting = Dashboard.render(feeds: Self.feeds, state(["3"].map(Key.character)), width: 100, height: 30)
        #expect(connecting.rows[3].hasPrefix(" thrifttop │ connecting to http://127.0.0.1:9901"))
        #expect(connecting.rows[5].hasPrefix(" connecting to http://127.0.0.1:9901…"))
        #expect(!connecting.rows.joined().contains("routable 0/0"))
        let single = Dashboard.render(feeds: [ClusterFeed(snapshot: Fixture.snapshot)], DashboardState.byName(width: 80, height: 24), width: 80, height: 24)
        #expect(single == Dashboard.render(Fixture.snapshot, DashboardState.byName(width: 80, height: 24), width: 80, height: 24))
    }
}
