import ArgumentParser
import ClusterModel
import ClusterPool
import DashboardKit
import Foundation

/// `thrifttop bench-render`: time to render and diff one dashboard frame of N nodes, for
/// `make bench`, at two cadences, reported side by side:
///
/// - *new snapshot every frame*: each frame folds in a new snapshot (new figures for every
///   node) and renders it — what the loop does while nobody types, at up to 10 frames a second.
/// - *dashboard cadence*: an operator holds ↓, so the loop draws a frame per key at up to
///   `--key-fps` (3× the cluster frame rate in `DashboardLoop`), while new snapshots still
///   arrive at most `--snapshot-hz` times a second; frames in between re-render the same
///   snapshot. Each frame's time includes handling its key.
struct BenchRenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-render",
        abstract: "Time render + diff of a dashboard frame (for make bench).",
        version: ThrifttopVersion.text,
        shouldDisplay: false
    )

    @Option(help: "Nodes in the snapshot.")
    var nodes = 1000

    @Option(help: "Frames to time in each of the two cadences.")
    var frames = 300

    @Option(help: "Terminal width.")
    var width = 200

    @Option(help: "Terminal height.")
    var height = 50

    @Option(help: "Dashboard cadence: frames a second while a key is held.")
    var keyFps = 30

    @Option(help: "Dashboard cadence: new snapshots a second.")
    var snapshotHz = 10

    func validate() throws {
        guard nodes > 0, frames > 1 else { throw ValidationError("--nodes must be at least 1 and --frames at least 2") }
        guard snapshotHz > 0, keyFps >= snapshotHz else { throw ValidationError("--key-fps must be at least --snapshot-hz, which must be at least 1") }
    }

    func run() throws {
        let snapshots = Self.snapshots(nodes: nodes, count: frames)
        let everyFrame = timeEveryFrame(snapshots)
        let framesPerSnapshot = keyFps / snapshotHz
        let cadence = timeCadence(snapshots, framesPerSnapshot: framesPerSnapshot)
        print("""
            {"nodes":\(nodes),"width":\(width),"height":\(height),\
            "every_frame":\(everyFrame.json),\
            "cadence":{"key_fps":\(keyFps),"snapshot_hz":\(snapshotHz),"frames_per_snapshot":\(framesPerSnapshot),"timing":\(cadence.json)}}
            """)
    }

    /// A new snapshot folded in and rendered every frame.
    private func timeEveryFrame(_ snapshots: [ClusterSnapshot]) -> Timing {
        var state = DashboardState(width: width, height: height)
        var previous = Dashboard.render(snapshots[0], state, width: width, height: height)
        var timing = Timing()
        for snapshot in snapshots.dropFirst() {
            let start = DispatchTime.now().uptimeNanoseconds
            Dashboard.update(state: &state, snapshot: snapshot)
            let screen = Dashboard.render(snapshot, state, width: width, height: height)
            let runs = ScreenDiff.runs(from: previous, to: screen)
            timing.add(start: start, runs: runs.count)
            previous = screen
        }
        return timing
    }

    /// A frame per ↓ key, a new snapshot every `framesPerSnapshot` frames (as `DashboardLoop`
    /// does it: `update` only when the snapshot changed, `handle` for the key, then `render`).
    private func timeCadence(_ snapshots: [ClusterSnapshot], framesPerSnapshot: Int) -> Timing {
        var state = DashboardState(width: width, height: height)
        var live = snapshots[0]
        Dashboard.update(state: &state, snapshot: live)
        var previous = Dashboard.render(live, state, width: width, height: height)
        var timing = Timing()
        for frame in 1..<snapshots.count {
            let start = DispatchTime.now().uptimeNanoseconds
            if frame % framesPerSnapshot == 0 {
                live = snapshots[frame / framesPerSnapshot]
                Dashboard.update(state: &state, snapshot: live)
            }
            _ = Dashboard.handle(.down, state: &state, snapshot: live)
            let screen = Dashboard.render(live, state, width: width, height: height)
            let runs = ScreenDiff.runs(from: previous, to: screen)
            timing.add(start: start, runs: runs.count)
            previous = screen
        }
        return timing
    }

    /// Frame times in milliseconds and the diff runs they produced.
    struct Timing {
        var times: [Double] = []
        var runs = 0

        mutating func add(start: UInt64, runs: Int) {
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            self.runs += runs
        }

        var json: String {
            let sorted = times.sorted()
            let p50 = sorted[sorted.count / 2], p99 = sorted[min(sorted.count - 1, sorted.count * 99 / 100)]
            let mean = sorted.reduce(0, +) / Double(sorted.count)
            return "{\"frames\":\(sorted.count),\"p50_ms\":\(p50),\"p99_ms\":\(p99),\"mean_ms\":\(mean),\"runs_per_frame\":\(runs / max(1, sorted.count))}"
        }
    }

    /// `count` snapshots of `nodes` nodes, each with new figures for every node (seeded, so
    /// every run renders the same frames).
    static func snapshots(nodes: Int, count: Int) -> [ClusterSnapshot] {
        var random = SeededGenerator(seed: 42)
        let health: [NodeHealth] = [.up, .up, .up, .degraded, .draining, .suspect, .down, .starting]
        let events = (0..<200).map { PoolEvent(id: UInt64($0), time: 1_800_000_000 + Double($0), node: "node-\($0)", severity: .warning, kind: .timeout, message: "heartbeat timed out after 980 ms") }
        return (0..<count).map { frame in
            let list = (0..<nodes).map { i -> NodeSnapshot in
                var n = NodeSnapshot(name: "node-\(i)", address: "10.0.\(i / 250).\(i % 250):9090", health: health[i % health.count])
                n.fbStatus = "ALIVE"
                n.connected = true
                n.routable = true
                n.latencyP50 = 0.2 + random.nextUnit()
                n.latencyP99 = 2 + 10 * random.nextUnit()
                n.recentLatencies = (0..<120).map { _ in random.nextUnit() * 5 }
                n.heartbeatsOK = 1000 + frame
                n.calls = 5000 + frame * 7
                n.inFlight = Int(random.next() % 5)
                n.trafficShare = 1.0 / Double(nodes)
                n.availability = 0.999
                return n
            }
            return ClusterSnapshot(clusterName: "bench", wallTime: 1_800_000_000 + Double(frame), nodes: list, events: events,
                                   callsPerSecond: 1234, retriesPerSecond: 2, availability: 0.99999)
        }
    }
}
