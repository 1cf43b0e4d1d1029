import ClusterModel
import Testing
@testable import DashboardKit

/// `:reload`: the one command line that is not an operator command, but the loop's effect.
@Suite("The :reload command")
struct ReloadCommandTests {
    func type(_ text: String, _ state: inout DashboardState) -> [DashboardEffect] {
        let keys: [Key] = [.character(":")] + text.map { Key.character($0) } + [.enter]
        return keys.flatMap { Dashboard.handle($0, state: &state, snapshot: Fixture.snapshot) }
    }

    @Test func reloadAsksTheLoopToReloadAndSaysSo() {
        var state = DashboardState(width: 100, height: 30)
        #expect(type("reload", &state) == [.reload])
        #expect(state.status?.text == "reloading the cluster file…" && state.overlay == nil)
        Dashboard.recordReload(.done("reloaded: added c"), state: &state)
        #expect(state.status == StatusMessage("reloaded: added c", .success))
        Dashboard.recordReload(.refused("reload refused: c.toml:3: node[0].colour: unknown key; the old config stays in force"), state: &state)
        #expect(state.status?.kind == .failure)
    }

    @Test func aReadOnlyDashboardDoesNotReload() {
        var state = DashboardState(width: 100, height: 30, readOnly: true)
        #expect(type("reload", &state).isEmpty)
    }

    @Test func reloadTakesNoNameAndCompletes() {
        #expect(OperatorCommandLine.complete("rel", nodes: ["alpha"]) == ("reload ", []))
        #expect(OperatorCommandLine.complete("reload ", nodes: ["alpha"]) == ("reload ", []))
        #expect(OperatorCommandLine.isReload(" RELOAD ") && !OperatorCommandLine.isReload("reload now"))
        var state = DashboardState(width: 100, height: 30)
        #expect(type("reload now", &state).isEmpty)
        guard case let .prompt(prompt) = state.overlay else { Issue.record("the line stays open"); return }
        #expect(prompt.error == "reload takes no arguments")
    }
}
