import ArgumentParser
import ClusterModel
import Foundation
import Recording

/// `thrifttop replay PATH`: what a recording holds, or the cluster at one moment of it.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Read a recording of `serve --record`: what it holds, or the cluster at one moment (for scripts and postmortems).",
        discussion: """
        PATH is a .ttrec file or the directory serve records into. Without --at: the cluster, who recorded it, from when to when, and where a damaged file stops. With --at TIME: the cluster as it was then — each node's state, drain and figures — or with --json the snapshot in the admin API's JSON form. TIME is an RFC 3339 time (2026-12-07T14:03:20Z), a UTC clock time HH:MM[:SS] on the recording's days, or +SECONDS from its start. A recording cut by a crash is read up to the cut, which is said.

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

    func run() async throws {
        let replay: Replay
        do {
            replay = try Replay(path: path)
        } catch {
            throw Self.fail("\(error)")
        }
        for line in replay.damage { FileHandleOut.write("warning: \(line)\n", to: 2) }
        guard let start = replay.start, let end = try replay.lastMoment() else {
            throw Self.fail("\(path) holds no recorded moment yet")
        }
        guard let at else {
            print(json ? Self.summaryJSON(replay, start: start, end: end) : Self.summary(replay, start: start, end: end))
            return
        }
        guard let time = Self.time(at, start: start, end: end) else {
            throw Self.fail("--at \(at): not a time (RFC 3339, HH:MM[:SS] UTC or +SECONDS)")
        }
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

    /// `--at`'s forms; a clock time is taken on the day the recording starts, or the next day
    /// when that puts it before the start.
    static func time(_ text: String, start: Double, end: Double) -> Double? {
        if text.hasPrefix("+"), let seconds = Double(text.dropFirst()), seconds.isFinite { return start + seconds }
        if let time = RFC3339.unixSeconds(from: text) { return time }
        let parts = text.split(separator: ":").map { Int($0) }
        guard (2...3).contains(parts.count), parts.allSatisfy({ $0 != nil }) else { return nil }
        let (hours, minutes, seconds) = (parts[0]!, parts[1]!, parts.count == 3 ? parts[2]! : 0)
        guard (0..<24).contains(hours), (0..<60).contains(minutes), (0..<60).contains(seconds) else { return nil }
        let day = (start / 86_400).rounded(.down) * 86_400
        let time = day + Double(hours * 3600 + minutes * 60 + seconds)
        return time < start ? time + 86_400 : time
    }

    static func summary(_ replay: Replay, start: Double, end: Double) -> String {
        let header = replay.header
        var lines = [
            "cluster   \(header.cluster) (\(header.config))",
            "recorded  by \(header.recorder), from \(RFC3339.string(fromUnixSeconds: start)) to \(RFC3339.string(fromUnixSeconds: end)) (\(Int(end - start)) s)",
            "files     \(replay.files.count), \(replay.files.reduce(0) { $0 + $1.chunks.count }) chunks",
        ]
        lines += replay.damage.map { "damaged   \($0)" }
        return lines.joined(separator: "\n")
    }

    static func summaryJSON(_ replay: Replay, start: Double, end: Double) -> String {
        struct Summary: Encodable {
            var cluster: String, config: String, recorder: String, start: String, end: String, files: [String], damage: [String]
        }
        let summary = Summary(cluster: replay.header.cluster, config: replay.header.config, recorder: replay.header.recorder,
                              start: RFC3339.string(fromUnixSeconds: start), end: RFC3339.string(fromUnixSeconds: end),
                              files: replay.files.map(\.path), damage: replay.damage)
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
