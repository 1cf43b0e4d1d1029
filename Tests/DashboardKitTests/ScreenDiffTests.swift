import ClusterPool
import Testing
@testable import DashboardKit

@Suite("Screen diff")
struct ScreenDiffTests {
    /// What a backend does with the runs: write each at its place in its style.
    func apply(_ runs: [ScreenDiff.Run], to screen: Screen) -> Screen {
        var result = screen
        for run in runs { result.put(run.text, x: run.x, y: run.y, maxWidth: run.width, style: run.style) }
        return result
    }

    @Test func identicalScreensProduceNoRuns() {
        let screen = Dashboard.render(Fixture.snapshot, DashboardState.byName(), width: 80, height: 24)
        #expect(ScreenDiff.runs(from: screen, to: screen).isEmpty)
    }

    @Test func onlyChangedCellsComeOutAsRunsCutAtStyleChanges() {
        var old = Screen(width: 10, height: 2)
        old.put("abcdefghij", x: 0, y: 0)
        var new = old
        new.put("XY", x: 3, y: 0)
        new.put("Z", x: 5, y: 0, style: CellStyle(.error))
        new.put("W", x: 9, y: 1)
        let runs = ScreenDiff.runs(from: old, to: new)
        #expect(runs == [
            ScreenDiff.Run(x: 3, y: 0, text: "XY", style: .plain, width: 2),
            ScreenDiff.Run(x: 5, y: 0, text: "Z", style: CellStyle(.error), width: 1),
            ScreenDiff.Run(x: 9, y: 1, text: "W", style: .plain, width: 1),
        ])
    }

    @Test func aChangedWideCharacterIsWrittenWhole() {
        var old = Screen(width: 4, height: 1)
        old.put("宽b", x: 0, y: 0)
        var new = old
        new.put("字", x: 0, y: 0)
        #expect(ScreenDiff.runs(from: old, to: new) == [ScreenDiff.Run(x: 0, y: 0, text: "字", style: .plain, width: 2)])
        #expect(apply(ScreenDiff.runs(from: old, to: new), to: old) == new)
    }

    @Test func aNewSizeRepaintsEverything() {
        let new = Screen(width: 3, height: 2)
        let runs = ScreenDiff.runs(from: Screen(width: 4, height: 2), to: new)
        #expect(runs.reduce(0) { $0 + $1.width } == 6)
        #expect(ScreenDiff.runs(from: nil, to: new).reduce(0) { $0 + $1.width } == 6)
    }

    /// The two rows, and the line under the table that shows the selected node's last error.
    @Test func movingTheSelectionChangesOnlyTheTwoRowsInvolved() {
        var state = DashboardState.byName(width: 80, height: 24)
        let before = Dashboard.render(Fixture.snapshot, state, width: 80, height: 24)
        _ = Dashboard.handle(.down, state: &state, snapshot: Fixture.snapshot)
        let after = Dashboard.render(Fixture.snapshot, state, width: 80, height: 24)
        let runs = ScreenDiff.runs(from: before, to: after)
        #expect(Set(runs.map(\.y)) == [4, 5, 13])
        #expect(apply(runs, to: before) == after)
    }

    @Test func applyingTheRunsAlwaysReproducesTheNewScreen() {
        var random = SeededGenerator(seed: 12345)
        let alphabet = Array("ab宽●▁ ")
        let styles = [CellStyle.plain, CellStyle(.error), CellStyle(.up, bold: true)]
        for _ in 0..<200 {
            var old = Screen(width: 12, height: 3)
            var new = old
            for _ in 0..<8 {
                let text = String((0..<Int(random.next() % 4 + 1)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
                let x = Int(random.next() % 12), y = Int(random.next() % 3)
                let style = styles[Int(random.next() % 3)]
                if random.next() % 2 == 0 { old.put(text, x: x, y: y, style: style) } else { new.put(text, x: x, y: y, style: style) }
            }
            let runs = ScreenDiff.runs(from: old, to: new)
            let applied = apply(runs, to: old)
            #expect(applied == new, "\n\(old.debugText)\n→\n\(new.debugText)\ngot\n\(applied.debugText)")
        }
    }
}
