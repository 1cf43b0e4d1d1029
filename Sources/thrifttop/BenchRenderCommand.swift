import ArgumentParser
import ClusterModel
import ClusterPool
import DashboardKit
import Foundation

/// `thrifttop bench-render`: time to render and diff one dashboard frame of N nodes, for
/// `make bench`. Each frame has new figures for every node, as a live cluster would.
struct BenchRenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-render",
        abstract: "Time render + diff of a dashboard frame (for make bench).",
        shouldDisplay: false
    )

    @Option(help: "Nodes in the snapshot.")
    var nodes = 1000

    @Option(help: "Frames to time.")
    var frames = 300

    @Option(help: "Terminal width.")
    var width = 200

    @Option(help: "Terminal height.")
    var height = 50

    func run() throws {
        var random = SeededGenerator(seed: 42)
        let health: [NodeHealth] = [.up, .up, .up, .degraded, .draining, .suspect, .down, .starting]
        func snapshot(_ frame: Int) -> ClusterSnapshot {
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
            let events = (0..<200).map { PoolEvent(id: UInt64($0), time: 1_800_000_000 + Double($0), node: "node-\($0)", severity: .warning, kind: .timeout, message: "heartbeat timed out after 980 ms") }
            return ClusterSnapshot(clusterName: "bench", wallTime: 1_800_000_000 + Double(frame), nodes: list, events: events,
                                   callsPerSecond: 1234, retriesPerSecond: 2, availability: 0.99999)
        }
        let snapshots = (0..<frames).map(snapshot)
        var state = DashboardState(width: width, height: height)
        var previous = Dashboard.render(snapshots[0], state, width: width, height: height)
        var times: [Double] = []
        var changedCells = 0
        for frame in snapshots.dropFirst() {
            let start = DispatchTime.now().uptimeNanoseconds
            Dashboard.update(state: &state, snapshot: frame)
            let screen = Dashboard.render(frame, state, width: width, height: height)
            let runs = ScreenDiff.runs(from: previous, to: screen)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            changedCells += runs.count
            previous = screen
        }
        times.sort()
        let p50 = times[times.count / 2], p99 = times[min(times.count - 1, times.count * 99 / 100)]
        print("{\"nodes\":\(nodes),\"frames\":\(times.count),\"p50_ms\":\(p50),\"p99_ms\":\(p99),\"mean_ms\":\(times.reduce(0, +) / Double(times.count)),\"runs_per_frame\":\(changedCells / max(1, times.count))}")
    }
}
