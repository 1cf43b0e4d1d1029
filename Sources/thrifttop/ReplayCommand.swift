import ArgumentParser
import ClusterModel
import CursesTerminal
import DashboardKit
import Foundation
import Recording

/// `thrifttop replay PATH`: what a recording holds, or the cluster at one moment of it.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a recording (serve --record, record, the dashboard's --record): the same screens at any moment of it, or what it holds for scripts.",
        discussion: """
        PATH is a .ttrec file or the directory serve records into. On a terminal it opens the dashboard over the recording, read-only, with the recorded time in the header and a timeline above it (┃ a state change, ◆ an operator action): space plays and pauses, , and . step a second, ( ) ten seconds, { } a minute, x plays ×1/×4/×16, ' and " jump to the next or previous change, :goto 14:03:20 goes there, :export FILE.csv writes the table as shown; ? lists every key. --at starts it there, paused.

        Piped, or with --print: what the recording holds (the cluster, who recorded it, from when to when, where a damaged file stops), or with --at the cluster at that moment, a line a node; --json prints the snapshot in the admin API's JSON form. TIME is an RFC 3339 time (2026-12-07T14:03:20Z), a UTC clock time HH:MM[:SS] on the recording's days, or +SECONDS from its start. A recording cut by a crash is read up to the cut, which is said.

        Examples:
          thrifttop replay /var/lib/thrifttop/rec
          thrifttop replay /var/lib/thrifttop/rec --at 14:03:20
          thrifttop replay shop-20261207T140000Z.ttrec --at +90 --json | jq '.nodes[] | {name, health}'
        """,
        version: ThrifttopVersion.text
    )

    @Argument(help: "A recording file (.ttrec) or a directory of them.")
    var path: String

    @Option(help: ArgumentHelp("The moment: RFC 3339, HH:MM[:SS] UTC, or +SECONDS from the start.", valueName: "TIME"))
    var at: String?

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(name: .customLong("print"), help: "Print instead of opening the replay screen (what a pipe gets).")
    var printOnly = false

    @OptionGroup var screen: ScreenOptions

    func run() async throws {
        let replay: Replay
        do {
            replay = try Replay(path: path)
        } catch {
            throw Self.fail("\(error)")
        }
        guard let start = replay.start, let (end, openEnd) = try replay.lastMoment() else {
            for line in replay.damage { FileHandleOut.write("warning: \(line)\n", to: 2) }
            throw Self.fail("\(path) holds no recorded moment yet")
        }
        let time = try at.map { text in
            guard let time = ReplayPlayback.time(text, start: start) else {
                throw Self.fail("--at \(text): not a time (RFC 3339, HH:MM[:SS] UTC or +SECONDS)")
            }
            return time
        }
        if !json, !printOnly, isatty(STDOUT_FILENO) == 1, isatty(STDIN_FILENO) == 1 {
            try await screen(replay, start: start, end: end, at: time)
            return
        }
        guard let time else {
            // The summary says where the recording is damaged.
            let damage = replay.damage + [openEnd].compactMap { $0 }
            print(json ? Self.summaryJSON(replay, start: start, end: end, damage: damage) : Self.summary(replay, start: start, end: end, damage: damage))
            return
        }
        for line in replay.damage { FileHandleOut.write("warning: \(line)\n", to: 2) }
        guard let found = try replay.snapshot(at: time) else {
            throw Self.fail("\(RFC3339.string(fromUnixSeconds: time)) is before the recording starts (\(RFC3339.string(fromUnixSeconds: start)))")
        }
        if let damage = found.damage { FileHandleOut.write("warning: \(damage)\n", to: 2) }
        if time > end + 60 {
            FileHandleOut.write("warning: the recording ends at \(RFC3339.string(fromUnixSeconds: end)); this is its last moment\n", to: 2)
        }
        if json {
            var writer = SnapshotJSONWriter()
            writer.write(found.snapshot)
            print(String(decoding: writer.bytes, as: UTF8.self))
        } else {
            print(Self.table(found.snapshot, at: found.time))
        }
    }

    /// The dashboard over the recording, from `at` (paused there) or its start (playing).
    private func screen(_ replay: Replay, start: Double, end: Double, at: Double?) async throws {
        let dashboardOptions: DashboardOptions
        do {
            dashboardOptions = try screen.dashboard(readOnly: true)
        } catch let error as TerminalError {
            throw Self.fail(error.description)
        }
        // The timeline's marks: the events the last moment holds (the pool keeps its newest
        // 10,000), within the recording.
        let events = try replay.snapshot(at: end)?.snapshot.events ?? []
        var playback = ReplayPlayback(start: start, end: end, at: at, marks: ReplayMark.from(events).filter { $0.time >= start - 1 })
        playback.paused = at != nil
        let source = ReplayScreenSource(ReplayCursor(replay), fileDamage: replay.damage.first)
        do {
            try await DashboardLoop.run(replay: source, playback: playback, name: (path as NSString).lastPathComponent,
                                        options: dashboardOptions)
        } catch let DashboardExit.signal(number) {
            throw ExitCode(128 + number)
        } catch let error as TerminalError {
            throw Self.fail(error.description)
        }
    }

    static func summary(_ replay: Replay, start: Double, end: Double, damage: [String]) -> String {
        let header = replay.header
        var lines = [
            "cluster   \(header.cluster) (\(header.config))",
            "recorded  by \(header.recorder), from \(RFC3339.string(fromUnixSeconds: start)) to \(RFC3339.string(fromUnixSeconds: end)) (\(Int(end - start)) s)",
            "files     \(replay.files.count), \(replay.files.reduce(0) { $0 + $1.chunks.count }) chunks",
        ]
        if replay.isOpen {
            lines.append("open      its last minute has no end yet: still being written, or stopped by a crash or a full disk (read to its last whole second)")
        }
        lines += damage.map { "damaged   \($0)" }
        return lines.joined(separator: "\n")
    }

    static func summaryJSON(_ replay: Replay, start: Double, end: Double, damage: [String]) -> String {
        struct Summary: Encodable {
            var cluster: String, config: String, recorder: String, start: String, end: String, files: [String], damage: [String]
        }
        let summary = Summary(cluster: replay.header.cluster, config: replay.header.config, recorder: replay.header.recorder,
                              start: RFC3339.string(fromUnixSeconds: start), end: RFC3339.string(fromUnixSeconds: end),
                              files: replay.files.map(\.path), damage: damage)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(summary)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// The cluster at a moment, a line a node: what an operator reads in a postmortem.
    static func table(_ snapshot: ClusterSnapshot, at time: Double) -> String {
        let routable = snapshot.routableCount
        var lines = ["\(snapshot.clusterName) at \(RFC3339.string(fromUnixSeconds: time)): routable \(routable.routable)/\(routable.all)"]
        let width = max(4, snapshot.nodes.map(\.name.count).max() ?? 0)
        lines.append("NODE".padding(toLength: width, withPad: " ", startingAt: 0) + "  STATE      P50       LAST ERROR")
        for node in snapshot.nodes {
            let state = node.health.word(drained: node.operatorDrained)
            let p50 = node.latencyP50.map { String(format: "%.2fms", $0) } ?? "-"
            lines.append(node.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                         + state.padding(toLength: 10, withPad: " ", startingAt: 0) + " " + p50.padding(toLength: 9, withPad: " ", startingAt: 0)
                         + " " + (node.lastError ?? ""))
        }
        return lines.joined(separator: "\n")
    }
}

/// The recording as the replay screen reads it: the cluster at a moment, its clock at that
/// moment (ages on screen count from it), and where the recording is damaged.
final class ReplayScreenSource: ReplaySource {
    private let cursor: ReplayCursor
    private let fileDamage: String?

    init(_ cursor: ReplayCursor, fileDamage: String?) {
        self.cursor = cursor
        self.fileDamage = fileDamage
    }

    func snapshot(at time: Double) -> (snapshot: ClusterSnapshot, frameTime: Double)? {
        guard var snapshot = (try? cursor.snapshot(at: time)) ?? nil, let frameTime = cursor.frameTime else { return nil }
        snapshot.wallTime = time
        return (snapshot, frameTime)
    }

    func frameTime(atOrAfter time: Double) -> Double? { (try? cursor.frameTime(atOrAfter: time)) ?? nil }

    func frameTime(before time: Double) -> Double? { (try? cursor.frameTime(before: time)) ?? nil }

    var damage: String? { fileDamage ?? cursor.damage }
}
