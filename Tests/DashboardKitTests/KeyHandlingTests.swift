import ClusterModel
import Testing
@testable import DashboardKit

/// `Dashboard.handle`: keys in, state and effects out, no terminal.
@Suite("Keys")
struct KeyHandlingTests {
    let snapshot = Fixture.snapshot

    func press(_ keys: [Key], _ state: inout DashboardState, on snapshot: ClusterSnapshot? = nil) -> [DashboardEffect] {
        keys.flatMap { Dashboard.handle($0, state: &state, snapshot: snapshot ?? self.snapshot) }
    }

    func press(_ text: String, _ state: inout DashboardState) -> [DashboardEffect] {
        press(text.map { .character($0) }, &state)
    }

    func visibleNames(_ state: DashboardState, _ snapshot: ClusterSnapshot? = nil) -> [String] {
        NodeFilter.rows(snapshot ?? self.snapshot, state).map(\.name)
    }

    @Test func selectionStaysOnTheSameNodeWhenTheSortOrderChanges() {
        var state = DashboardState.byName(width: 100, height: 30)
        _ = press("jj", &state)  // alpha-1, beta-2, delta-4
        #expect(state.selectedNode == "delta-4")
        _ = press("N", &state)  // by name again: reversed, delta-4 moves to another row
        let rows = visibleNames(state)
        #expect(state.selectedNode == "delta-4")
        #expect(rows[state.selectedIndex] == "delta-4")
        #expect(state.selectedIndex != 2)
    }

    @Test func selectionFollowsItsNodeWhenANewSnapshotReordersRows() {
        var state = DashboardState.byName(width: 100, height: 30)
        state.sort = NodeSort(column: .p99, descending: true)
        _ = press("j", &state)
        let chosen = state.selectedNode
        var next = snapshot
        // The chosen node becomes the slowest: it moves to the top row.
        next.nodes = next.nodes.map { node in
            var n = node
            if n.name == chosen { n.latencyP99 = 9_999 }
            return n
        }
        Dashboard.update(state: &state, snapshot: next)
        #expect(state.selectedNode == chosen)
        #expect(state.selectedIndex == 0)
    }

    @Test func aVanishedNodeLeavesTheSelectionOnTheSameRow() {
        var state = DashboardState.byName(width: 100, height: 30)
        _ = press("jj", &state)  // delta-4, row 2
        var next = snapshot
        next.nodes.removeAll { $0.name == "delta-4" }
        Dashboard.update(state: &state, snapshot: next)
        #expect(state.selectedIndex == 2)
        #expect(state.selectedNode == "epsilon-5")
    }

    @Test func filterNarrowsRowsWhileTypingAndEscapeClearsIt() {
        var state = DashboardState.byName(width: 100, height: 30)
        _ = press("/et", &state)
        #expect(visibleNames(state) == ["beta-2", "eta-7", "theta-8", "zeta-6"])
        #expect(state.selectedNode == "beta-2")
        _ = press([.enter], &state)
        #expect(state.overlay == nil)
        #expect(state.filter == "et")
        _ = press([.escape], &state)
        #expect(state.filter == "")
        #expect(visibleNames(state).count == 9)
    }

    @Test func filterMatchesStateWordsAndAddresses() {
        var state = DashboardState.byName(width: 100, height: 30)
        state.filter = "DOWN"
        #expect(visibleNames(state) == ["zeta-6"])
        state.filter = "10.0.0.3"
        #expect(visibleNames(state) == ["gamma-3"])
    }

    @Test func dialogTargetCannotChangeWhileItIsOpen() {
        var state = DashboardState.byName(width: 100, height: 30)
        _ = press("d", &state)
        #expect(state.overlay == .confirm(ConfirmRequest(.drain(node: "alpha-1"))))
        // Navigation, sorting and a click on another row are all swallowed by the dialog.
        _ = press([.down, .down, .character("s"), .click(x: 3, y: 8), .character("j")], &state)
        #expect(state.overlay == .confirm(ConfirmRequest(.drain(node: "alpha-1"))))
        #expect(state.selectedNode == "alpha-1")
        #expect(press("y", &state) == [.execute(OperatorRequest(.drain(node: "alpha-1")))])
        #expect(state.overlay == nil)
    }

    @Test func dialogCancelsWithNOrEscapeAndSendsNothing() {
        for cancel: Key in [.character("n"), .escape] {
            var state = DashboardState.byName(width: 100, height: 30)
            _ = press("d", &state)
            #expect(press([cancel], &state).isEmpty)
            #expect(state.overlay == nil)
            #expect(state.status?.text == "cancelled: drain alpha-1")
        }
    }

    @Test func enterConfirmsAWeightChange() {
        var state = DashboardState.byName(width: 100, height: 30)
        _ = press("jjjj", &state)  // eta-7, weight 50
        _ = press(">", &state)
        #expect(press([.enter], &state) == [.execute(OperatorRequest(.setWeight(node: "eta-7", weight: 51)))])
    }

    @Test func weightKeysStepByTenAndOneWithinZeroToThousand() {
        var state = DashboardState.byName(width: 100, height: 30)
        var low = snapshot
        low.nodes[0].weight = 5
        let cases: [(Character, Int)] = [("+", 15), ("-", 0), (">", 6), ("<", 4)]
        for (key, expected) in cases {
            _ = press([.character(key)], &state, on: low)
            #expect(state.overlay == .confirm(ConfirmRequest(.setWeight(node: "alpha-1", weight: expected))))
            _ = press([.escape], &state, on: low)
        }
    }

    @Test func setWeightPromptValidatesItsNumber() {
        var state = DashboardState.byName(width: 100, height: 30)
        _ = press("w", &state)
        _ = press("1500", &state)
        _ = press([.enter], &state)
        guard case let .prompt(prompt) = state.overlay else {
            Issue.record("the prompt closed on a bad weight")
            return
        }
        #expect(prompt.error == "a whole number from 0 to 1000, please")
        _ = press([.backspace, .backspace, .backspace, .backspace], &state)
        _ = press("250", &state)
        _ = press([.enter], &state)
        #expect(state.overlay == .confirm(ConfirmRequest(.setWeight(node: "alpha-1", weight: 250))))
    }

    @Test func resetAndUndoOpenDialogsToo() {
        var state = DashboardState.byName(width: 100, height: 30)
        _ = press("jjjj=", &state)  // eta-7: 50, configured 100
        #expect(state.overlay == .confirm(ConfirmRequest(.resetWeight(node: "eta-7"))))
        _ = press([.escape], &state)
        _ = press("z", &state)
        #expect(state.overlay == .confirm(ConfirmRequest(.undo)))
        #expect(press("y", &state) == [.execute(OperatorRequest(.undo))])
    }

    @Test func undoWithNothingToUndoSaysSoWithoutADialog() {
        var state = DashboardState.byName(width: 100, height: 30)
        state.operatorName = "alice (uid 1000) on ops-1"
        #expect(press([.character("z")], &state, on: snapshot).isEmpty)
        #expect(state.overlay == nil)
        #expect(state.status?.text == "nothing of yours to undo (alice (uid 1000) on ops-1)")
        // The one who drained gamma-3 is asked, with what it reverts.
        state.operatorName = "tester"
        _ = press([.character("z")], &state, on: snapshot)
        #expect(state.overlay == .confirm(ConfirmRequest(.undo)))
    }

    @Test func actionsThatChangeNothingExplainInsteadOfAsking() {
        var state = DashboardState.byName(width: 100, height: 30)
        _ = press("u", &state)  // alpha-1 is not drained
        #expect(state.overlay == nil)
        #expect(state.status?.text == "alpha-1 is not drained")
        _ = press("jjjjjd", &state)  // gamma-3 is drained
        #expect(state.overlay == nil)
        #expect(state.status?.text == "gamma-3 is already drained")
    }

    @Test func readOnlyModeTurnsEveryActionKeyIntoANote() {
        var state = DashboardState.byName(width: 100, height: 30, readOnly: true)
        for key in "duw=z+-<>" {
            #expect(press([.character(key)], &state).isEmpty)
            #expect(state.overlay == nil, "\(key) opened something in read-only mode")
            #expect(state.status == Dashboard.readOnlyNote(state))
        }
        // The command line still opens: it sorts, helps and quits; an action on it is refused there.
        _ = press(":", &state)
        #expect(state.overlay == .prompt(Prompt(.command)))
        _ = press([.escape], &state)
        // Viewing still works.
        _ = press("j", &state)
        #expect(state.selectedNode == "beta-2")
    }

    @Test func resultsLandInTheStatusLine() {
        var state = DashboardState.byName(width: 100, height: 30)
        Dashboard.record(.done("drained"), of: OperatorRequest(.drain(node: "alpha-1")), state: &state)
        #expect(state.status == StatusMessage("drain alpha-1: drained", .success))
        Dashboard.record(.refused("capacity floor: 2 routable nodes needed"), of: OperatorRequest(.drain(node: "beta-2")), state: &state)
        #expect(state.status == StatusMessage("drain beta-2 refused: capacity floor: 2 routable nodes needed", .failure))
        #expect(state.overlay == nil)
        // The next key clears it.
        _ = press("j", &state)
        #expect(state.status == nil)
    }

    @Test func aRefusalBecauseTheStoreIsUnreachableOffersToActHereOnly() throws {
        var unreachable = snapshot
        unreachable.stateStore = StateStoreStatus(kind: "etcd", location: "http://127.0.0.1:2379 /thrifttop/demo/",
                                                  unreachableSince: Fixture.wallTime - 30, reason: "connection refused")
        var state = DashboardState.byName(width: 100, height: 30)
        let reason = "the state store is unreachable (etcd) since 12:00:00 UTC: connection refused; nothing was changed"
        Dashboard.record(.refused(reason), of: OperatorRequest(.drain(node: "beta-2")), state: &state)
        #expect(state.overlay == .refusal(Refusal(.drain(node: "beta-2"), reason: reason)))
        let screen = Dashboard.render(unreachable, state, width: 100, height: 30).rows.joined(separator: "\n")
        #expect(screen.contains("Refused: the state store is unreachable"))
        #expect(screen.contains("[h] drain here anyway"))
        #expect(screen.contains("state store unreachable since"))
        // Navigation does not act; h sends it here only.
        #expect(press([.character("j")], &state, on: unreachable).isEmpty)
        #expect(press([.character("h")], &state, on: unreachable) == [.execute(OperatorRequest(.drain(node: "beta-2"), forceLocal: true))])
        #expect(state.overlay == nil)
        // Its own refusal does not open the dialog again; Esc leaves the refusal in the status row.
        Dashboard.record(.refused("beta-2 is already drained"), of: OperatorRequest(.drain(node: "beta-2"), forceLocal: true), state: &state)
        #expect(state.overlay == nil)
        Dashboard.record(.refused(reason), of: OperatorRequest(.setWeight(node: "beta-2", weight: 5)), state: &state)
        #expect(state.overlay == .refusal(Refusal(.setWeight(node: "beta-2", weight: 5), reason: reason)))
        _ = press([.escape], &state, on: unreachable)
        #expect(state.overlay == nil)
        #expect(state.status?.kind == .failure)
        // Another cluster's refusal (attached to several) is only told, not offered.
        Dashboard.record(.refused(reason), of: OperatorRequest(.drain(node: "beta-2")), state: &state, offeringHereAnyway: false)
        #expect(state.overlay == nil)
    }

    @Test func commandLineSubmitsThroughTheSameConfirmation() {
        var state = DashboardState.byName(width: 100, height: 30)
        _ = press(":weight beta-2 300", &state)
        _ = press([.enter], &state)
        #expect(state.overlay == .confirm(ConfirmRequest(.setWeight(node: "beta-2", weight: 300))))
    }

    @Test func commandLineParseErrorKeepsTheLineOpenWithItsText() {
        var state = DashboardState.byName(width: 100, height: 30)
        _ = press(":drain nope", &state)
        _ = press([.enter], &state)
        guard case let .prompt(prompt) = state.overlay else {
            Issue.record("the command line closed on a parse error")
            return
        }
        #expect(prompt.text == "drain nope")
        #expect(prompt.error == "no node named \"nope\"")
    }

    @Test func pauseFreezesTheDisplayedSnapshot() {
        var state = DashboardState.byName(width: 100, height: 30)
        _ = press("p", &state)
        var later = snapshot
        later.wallTime += 60
        later.nodes.removeAll()
        let screen = Dashboard.render(later, state, width: 100, height: 30)
        #expect(screen.rows[0].contains("12:34:56 UTC"))
        #expect(screen.rows[0].contains("PAUSED"))
        #expect(screen.rows.contains { $0.hasPrefix("● up       alpha-1") })
        _ = press([.character("p")], &state, on: later)
        #expect(!state.isPaused)
    }

    @Test func pagingHomeAndEndMoveTheSelectionAndTheTableScrolls() {
        var state = DashboardState.byName(width: 60, height: 15)  // six table rows
        _ = press([.end], &state)
        #expect(state.selectedNode == "zeta-6")
        #expect(state.tableOffset == 3)
        _ = press([.home], &state)
        #expect(state.selectedNode == "alpha-1")
        #expect(state.tableOffset == 0)
        _ = press([.pageDown], &state)
        #expect(state.selectedIndex == 5)
    }

    @Test func tabMovesFocusToTheLogWhereArrowsScrollIt() {
        var state = DashboardState.byName(width: 60, height: 15)  // three log rows, seven events
        _ = press([.tab], &state)
        #expect(state.focus == .events)
        _ = press([.down, .down], &state)
        #expect(state.log.offset == 2)
        #expect(state.selectedNode == "alpha-1")
        // A new event arrives while scrolled back: the view stays on the same event.
        var next = snapshot
        next.events.append(PoolEvent(id: 99, time: Fixture.wallTime, node: nil, severity: .info, kind: .config, message: "new"))
        Dashboard.update(state: &state, snapshot: next)
        #expect(state.log.offset == 3)
    }

    @Test func errorsOnlyAndSelectedNodeOnlyFilterTheLog() {
        var state = DashboardState.byName(width: 100, height: 30)
        _ = press("e", &state)
        let errors = EventLogWidget.entries(snapshot, state, selectedNode: state.selectedNode)
        #expect(errors.map(\.id) == [7, 6, 4, 3])
        _ = press("ef", &state)  // errors off, selected node (alpha-1) only
        let mine = EventLogWidget.entries(snapshot, state, selectedNode: state.selectedNode)
        #expect(mine.map(\.id) == [7])
    }

    @Test func clickSelectsARowAndAHeadingSortsByItsColumn() {
        var state = DashboardState.byName(width: 80, height: 24)
        _ = press([.click(x: 3, y: 7)], &state)  // table body starts at row 4
        #expect(state.selectedNode == "epsilon-5")
        _ = press([.click(x: 12, y: 3)], &state)  // NAME heading: already sorted by it, so reversed
        #expect(state.sort == NodeSort(column: .name, descending: true))
        #expect(state.selectedNode == "epsilon-5")
        _ = press([.wheelDown(x: 3, y: 6)], &state)
        #expect(state.selectedIndex == 8)
    }

    @Test func enterOpensTheDetailViewAndEscapeReturns() {
        var state = DashboardState.byName(width: 100, height: 30)
        _ = press("jj", &state)
        _ = press([.enter], &state)
        #expect(state.view == .detail(node: "delta-4"))
        // Actions in the detail view act on its node.
        _ = press("u", &state)
        #expect(state.overlay == .confirm(ConfirmRequest(.undrain(node: "delta-4"))))
        _ = press([.escape, .escape], &state)
        #expect(state.view == .main)
    }

    @Test func quitComesFromQOrF10ButNotFromInsideAPrompt() {
        var state = DashboardState.byName(width: 100, height: 30)
        #expect(press("q", &state) == [.quit])
        #expect(press([.function(10)], &state) == [.quit])
        _ = press("/", &state)
        #expect(press("q", &state).isEmpty)
        #expect(state.filter == "q")
    }

    @Test func tooSmallTerminalStillQuitsOnQ() {
        var state = DashboardState.byName(width: 30, height: 8)
        #expect(press("d", &state).isEmpty)
        #expect(state.overlay == nil)
        #expect(press("q", &state) == [.quit])
    }

    @Test func resizeUpdatesTheStateAndKeepsTheSelectionVisible() {
        var state = DashboardState.byName(width: 100, height: 30)
        _ = press([.end], &state)
        _ = press([.resize(width: 60, height: 15)], &state)
        #expect(state.width == 60 && state.height == 15)
        #expect(state.tableOffset == 3)
        #expect(state.selectedNode == "zeta-6")
    }
}
