import ClusterModel
import Foundation
import Testing
@testable import DashboardKit

/// The replay screen's keys, timeline and export, with no terminal and no clock: the playback
/// is a value the keys move and the loop advances by the wall seconds it is given.
@Suite("Replay screen")
struct ReplayScreenTests {
    static let start = Fixture.wallTime - 600
    static let end = Fixture.wallTime + 600

    /// A 20-minute recording with four marks: zeta-6 down at -300 s, an operator drain at -60 s,
    /// epsilon-5 suspect at +120 s, zeta-6 up at +300 s.
    static var playback: ReplayPlayback {
        ReplayPlayback(start: start, end: end, at: Fixture.wallTime, marks: [
            ReplayMark(time: Fixture.wallTime - 300, node: "zeta-6", kind: .stateChange, message: "up → down: connection refused"),
            ReplayMark(time: Fixture.wallTime - 60, node: "gamma-3", kind: .operatorAction, message: "drained by alice"),
            ReplayMark(time: Fixture.wallTime + 120, node: "epsilon-5", kind: .stateChange, message: "up → suspect: timeout"),
            ReplayMark(time: Fixture.wallTime + 300, node: "zeta-6", kind: .stateChange, message: "down → up"),
        ])
    }

    func replayState(width: Int = 140, height: Int = 30) -> DashboardState {
        var state = DashboardState.byName(width: width, height: height, readOnly: true)
        state.replay = Self.playback
        return state
    }

    func press(_ keys: [Key], _ state: inout DashboardState) -> [DashboardEffect] {
        keys.flatMap { Dashboard.handle($0, state: &state, snapshot: Fixture.snapshot) }
    }

    func press(_ text: String, _ state: inout DashboardState) -> [DashboardEffect] { press(text.map(Key.character), &state) }

    func command(_ line: String, _ state: inout DashboardState) -> [DashboardEffect] {
        press([.character(":")] + line.map(Key.character) + [.enter], &state)
    }

    /// A recording's frame times for `settle`: every 1.25 s from the start (frames a little
    /// more than a second apart, as a recorder's are).
    final class Frames: ReplaySource {
        let times = stride(from: ReplayScreenTests.start, through: ReplayScreenTests.end, by: 1.25).map { $0 }
        func snapshot(at time: Double) -> (snapshot: ClusterSnapshot, frameTime: Double)? {
            times.last { $0 <= time }.map { (Fixture.snapshot, $0) }
        }
        func frameTime(atOrAfter time: Double) -> Double? { times.first { $0 >= time } }
        func frameTime(before time: Double) -> Double? { times.last { $0 < time } }
        var damage: String? { nil }
    }

    @Test func keysPauseStepAndMoveWithinTheRecording() {
        var state = replayState()
        let t = Fixture.wallTime
        _ = press(" ", &state)
        #expect(state.replay?.paused == true && state.status?.text == "paused at 12:34:56 (space plays)")
        _ = press("p", &state)
        #expect(state.replay?.paused == false, "p plays and pauses a replay; it does not freeze it")
        #expect(state.frozen == nil)
        // A step goes to the next or previous recorded frame (1.25 s apart here), paused.
        let frames = Frames()
        _ = press(".", &state)
        #expect(state.replay?.pending == .step(forward: true) && state.replay?.paused == true, "a step pauses")
        state.replay?.settle(with: frames)
        #expect(state.replay?.at == t + 1.25 && state.replay?.pending == nil)
        _ = press(".", &state)
        state.replay?.settle(with: frames)
        #expect(state.replay?.at == t + 2.5, "the next frame, never the same one again")
        for _ in 0..<3 {
            _ = press(",", &state)
            state.replay?.settle(with: frames)
        }
        #expect(state.replay?.at == t - 1.25)
        _ = press(")", &state)
        #expect(state.replay?.at == t + 8.75)
        _ = press("((", &state)
        #expect(state.replay?.at == t - 11.25)
        _ = press("}", &state)
        #expect(state.replay?.at == t + 48.75)
        _ = press("{{", &state)
        #expect(state.replay?.at == t - 71.25)
        // Never outside the recording.
        _ = press(String(repeating: "{", count: 20), &state)
        #expect(state.replay?.at == Self.start)
        _ = press(String(repeating: "}", count: 30), &state)
        #expect(state.replay?.at == Self.end)
        _ = press("x", &state)
        #expect(state.replay?.speed == 4 && state.status?.text == "speed ×4")
        _ = press("xx", &state)
        #expect(state.replay?.speed == 1)
        // A replay takes no action, and says so.
        _ = press("d", &state)
        #expect(state.status?.text == "a replay shows what was recorded: it takes no operator action")
        #expect(state.overlay == nil)
    }

    @Test func playingMovesWithTheWallClockAtItsSpeedAndStopsAtTheEnd() {
        var playback = Self.playback
        playback.advance(wallSeconds: 2.5)
        #expect(playback.at == Fixture.wallTime + 2.5)
        playback.nextSpeed()
        playback.advance(wallSeconds: 2.5)
        #expect(playback.at == Fixture.wallTime + 12.5)
        playback.nextSpeed()
        playback.advance(wallSeconds: 10)
        #expect(playback.at == Fixture.wallTime + 172.5)
        playback.paused = true
        playback.advance(wallSeconds: 10)
        #expect(playback.at == Fixture.wallTime + 172.5, "paused: the moment stays")
        playback.paused = false
        playback.advance(wallSeconds: 3600)
        #expect(playback.at == Self.end && playback.paused, "at the end it stops, paused on the last moment")
    }

    @Test func quoteKeysJumpToTheNextAndPreviousChangeOfAnyNodeOrTheOneInView() {
        var state = replayState()
        _ = press("'", &state)
        #expect(state.replay?.at == Fixture.wallTime + 120)
        #expect(state.replay?.pending == .reveal(Fixture.wallTime + 120), "the loop then shows the first frame that holds it")
        var settled = state
        settled.replay?.settle(with: Frames())
        #expect(settled.replay?.at == Fixture.wallTime + 120)
        #expect(state.status?.text == "12:36:56 epsilon-5: up → suspect: timeout")
        // The loop shows the first frame after the mark; the next jump goes on from the mark,
        // even to one in that same second.
        state.replay?.reveal(frame: Fixture.wallTime + 120.9)
        state.replay?.marks.insert(ReplayMark(time: Fixture.wallTime + 120.5, node: "beta-2", kind: .stateChange, message: "up → degraded"), at: 3)
        _ = press("'", &state)
        #expect(state.replay?.at == Fixture.wallTime + 120.5, "the mark within the frame's second")
        _ = press("'", &state)
        #expect(state.replay?.at == Fixture.wallTime + 300)
        _ = press("'", &state)
        #expect(state.status?.text == "no later state change or operator action in the recording")
        #expect(state.replay?.at == Fixture.wallTime + 300)
        _ = press("\"\"\"", &state)
        #expect(state.replay?.at == Fixture.wallTime - 60 && state.status?.text == "12:33:56 gamma-3: drained by alice")
        // In a node's details: that node's changes only.
        var detail = replayState()
        detail.view = .detail(node: "zeta-6")
        _ = press("'", &detail)
        #expect(detail.replay?.at == Fixture.wallTime + 300)
        _ = press("\"", &detail)
        #expect(detail.replay?.at == Fixture.wallTime - 300)
        _ = press("\"", &detail)
        #expect(detail.status?.text == "no earlier state change or operator action of zeta-6 in the recording")
    }

    @Test func gotoTakesAClockTimeAnRFC3339TimeOrSecondsFromTheStart() {
        var state = replayState()
        _ = command("goto 12:30:00", &state)
        #expect(state.replay?.at == Fixture.wallTime - 296 && state.replay?.paused == true)
        #expect(state.status?.text == "at 12:30:00 UTC (space plays)")
        _ = command("goto 2026-11-21T12:40:01Z", &state)
        #expect(state.replay?.at == Fixture.wallTime + 305)
        _ = command("goto +30", &state)
        #expect(state.replay?.at == Self.start + 30)
        _ = command("goto 13:30", &state)
        guard case let .prompt(prompt) = state.overlay else {
            Issue.record("a time outside the recording closed the line")
            return
        }
        #expect(prompt.error == "13:30 is outside the recording (12:24:56–12:44:56 UTC)")
        state.overlay = nil
        _ = command("goto soon", &state)
        guard case let .prompt(bad) = state.overlay else {
            Issue.record("a bad time closed the line")
            return
        }
        #expect(bad.error == "goto TIME: HH:MM[:SS] UTC, an RFC 3339 time or +SECONDS from the start")
        // Live, there is nothing to go to.
        var live = DashboardState.byName(width: 140, height: 30)
        _ = command("goto 12:30", &live)
        guard case let .prompt(liveLine) = live.overlay else {
            Issue.record("goto, live, closed the line")
            return
        }
        #expect(liveLine.error == "goto works in a replay (thrifttop replay FILE)")
    }

    @Test func theTimelineMarksChangesActionsAndThePlaceAboveTheHeader() {
        let state = replayState()
        let screen = Dashboard.render(Fixture.snapshot, state, width: 140, height: 30)
        let timeline = screen.rows[0]
        #expect(timeline.hasPrefix(" ▶ ×1      12:24:56 "), "\(timeline)")
        #expect(timeline.hasSuffix(" 12:44:56  ' \" jump "), "\(timeline)")
        let track = Array(timeline.dropFirst(20).prefix(100))
        #expect(track.count == 100)
        // 20 minutes over 100 cells: 12 s a cell.
        #expect(track[25] == "┃" && track[45] == "◆" && track[50] == "●" && track[60] == "┃" && track[75] == "┃", "\(String(track))")
        #expect(track.filter { $0 == "─" }.count == 95)
        #expect(screen.rows[1].contains(" REPLAY ▶ ×1  12:34:56 UTC "), "the moment and the speed in the header")
        #expect(!screen.rows[1].contains("read-only"), "a replay is said once, as REPLAY")
        #expect(screen.rows[29].hasPrefix(" ? help  q quit  ⏎ details  m methods  / filter  s sort  space pause  , . step  ( ) ±10s  { } ±1m  x speed"))
        // Paused, the track stays where it was.
        var paused = state
        paused.replay?.paused = true
        let pausedRow = Dashboard.render(Fixture.snapshot, paused, width: 140, height: 30).rows[0]
        #expect(pausedRow.hasPrefix(" ⏸ paused  12:24:56 ") && Array(pausedRow)[20 + 50] == "●")
        #expect(Dashboard.render(Fixture.snapshot, paused, width: 140, height: 30).rows[1].contains(" REPLAY ⏸  12:34:56 UTC "))
    }

    @Test func aClickOnTheTimelineGoesToThatMoment() {
        var state = replayState()
        // 140 columns: the track is columns 20..<120, 12 s a column; the middle of column 45 is
        // 5 min 6 s after the start.
        _ = press([.click(x: 45, y: 0)], &state)
        #expect(state.replay?.at == Self.start + 306 && state.replay?.paused == true)
        #expect(state.status?.text == "at 12:30:02 UTC (space plays)")
        // Outside the track, nothing.
        _ = press([.click(x: 5, y: 0)], &state)
        #expect(state.replay?.at == Self.start + 306)
    }

    @Test func helpListsTheReplayKeysAndNoAction() {
        var state = replayState(height: 80)
        _ = press("?", &state)
        let text = Dashboard.render(Fixture.snapshot, state, width: 140, height: 80).rows.joined(separator: "\n")
        #expect(text.contains("A replay: the cluster as recorded"))
        for key in ["space  p", ",  .", "(  )", "{  }", "speed ×1, ×4, ×16", ":goto TIME", ":export FILE.csv", "on the timeline: go to that moment"] {
            #expect(text.contains(key), "\(key)")
        }
        #expect(!text.contains("drain / undrain"))
        #expect(!text.contains("pause the display (the frozen snapshot stays)"), "in a replay p plays and pauses")
    }

    @Test func exportWritesTheTableAsShownFilterSortAndColumns() throws {
        var state = replayState()
        _ = press("/", &state)
        _ = press("a", &state)
        _ = press([.enter], &state)
        _ = press("P", &state)  // by p99
        let effects = command("export /tmp/nodes.csv", &state)
        guard case let .write(path, contents, what)? = effects.first else {
            Issue.record("no write: \(effects)")
            return
        }
        #expect(path == "/tmp/nodes.csv")
        let lines = contents.split(separator: "\r\n").map(String.init)
        let shown = NodeFilter.rows(Fixture.snapshot, state)
        #expect(what == "\(shown.count) rows")
        #expect(lines.count == shown.count + 1)
        let screen = Dashboard.render(Fixture.snapshot, state, width: 140, height: 30)
        let headings = screen.rows.first { $0.hasPrefix("STATE") }!
        // The columns on screen, less the sparkline, in their order.
        let expectedTitles = NodeColumn.allCases.filter { $0 != .sparkline && headings.contains($0.title) }
            .sorted { headings.range(of: $0.title)!.lowerBound < headings.range(of: $1.title)!.lowerBound }.map(\.title)
        #expect(lines[0] == expectedTitles.joined(separator: ","))
        // The rows in the screen's order, each name where the screen has it.
        let names = lines.dropFirst().map { $0.split(separator: ",").dropFirst().first.map(String.init) }
        #expect(names == shown.map(\.name))
        let headingRow = screen.rows.firstIndex { $0.hasPrefix("STATE") }!
        let tableRows = screen.rows[(headingRow + 1)...].prefix(shown.count)
        for (row, name) in zip(tableRows, names) {
            #expect(row.contains(" \(name ?? "?") "), "\(row)")
        }
        // JSON: the same rows, by column name.
        guard case let .write(_, json, _)? = command("export nodes.json", &state).first else {
            Issue.record("no JSON write")
            return
        }
        let decoded = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let rows = decoded?["rows"] as? [[String: String]]
        #expect(rows?.map { $0["name"] } == shown.map(\.name))
        #expect(decoded?["filter"] as? String == "a")
        // Anything else is named.
        _ = command("export nodes.txt", &state)
        guard case let .prompt(prompt) = state.overlay else {
            Issue.record("a bad export name closed the line")
            return
        }
        #expect(prompt.error == "export FILE.csv or export FILE.json: the table as shown")
    }

    @Test func csvQuotesWhatWouldBreakAField() {
        #expect(TableExport.csvField("plain") == "plain")
        #expect(TableExport.csvField("a, b") == "\"a, b\"")
        #expect(TableExport.csvField("say \"hi\"") == "\"say \"\"hi\"\"\"")
        // A server's text a spreadsheet would run stays text; numbers and a dash stay as they are.
        #expect(TableExport.csvField("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        #expect(TableExport.csvField("@SUM(A1)") == "'@SUM(A1)")
        #expect(TableExport.csvField("-cmd") == "'-cmd")
        #expect(TableExport.csvField("-1.5") == "-1.5")
        #expect(TableExport.csvField("-") == "-")
    }
}
