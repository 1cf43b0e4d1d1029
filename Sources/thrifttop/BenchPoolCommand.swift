import AdminServer
import ArgumentParser
import ClusterModel
import ClusterPool
import Foundation
import NIOCore
import NIOPosix

/// `thrifttop bench-pool`: heartbeats N nodes spread over the given ports and reports CPU, RSS
/// and schedule lateness as one JSON line, for `make bench`.
struct BenchPoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-pool",
        abstract: "Measure the pool heartbeating N nodes (for make bench).",
        version: ThrifttopVersion.text,
        shouldDisplay: false
    )

    @Option(help: "Comma-separated ports on 127.0.0.1; node i uses port i mod count.")
    var ports: String

    @Option(help: "How many nodes.")
    var nodes = 1000

    @Option(help: "Heartbeat interval in milliseconds.")
    var intervalMs = 1000

    @Option(help: "Seconds to wait for every node to be up before measuring.")
    var warmup: Double = 5

    @Option(help: "Seconds to measure.")
    var seconds: Double = 20

    @Option(help: "Read snapshots this many times a second while measuring, as a dashboard does (0: none).")
    var snapshotHz: Double = 0

    @Option(help: "Split the measurement into this many windows and report the median one (noise on a shared machine hits single windows).")
    var windows = 1

    @Option(help: "Heartbeat over TLS, trusting this CA (the servers run bench-servers --tls-cert).")
    var tlsCA: String?

    func run() async throws {
        let portList = ports.split(separator: ",").compactMap { Int($0) }
        guard !portList.isEmpty else { throw ValidationError("--ports needs at least one port") }
        var settings = NodeSettings()
        if let tlsCA {
            var tls = NodeTLSSettings()
            tls.caFile = tlsCA
            settings.tls = tls
        }
        settings.heartbeatInterval = .milliseconds(Int64(intervalMs))
        settings.connectTimeout = .seconds(5)
        settings.detailsInterval = .seconds(3600)
        let config = ClusterConfig(name: "bench", nodes: (0..<nodes).map {
            NodeConfig(name: "n\($0)", address: NodeAddress(host: "127.0.0.1", port: portList[$0 % portList.count]), settings: settings)
        })
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        // Metrics on, as in `serve`: recording them is part of what a heartbeat costs.
        let metrics = PrometheusMetrics.bootstrap()
        let pool = try ClusterPool(config: config, eventLoop: group.next(), options: PoolOptions(seed: 1, metricsFactory: metrics.factory))
        try await pool.start()
        let warmupEnd = Date().addingTimeInterval(warmup)
        var up = 0
        while Date() < warmupEnd {
            try await Task.sleep(for: .milliseconds(250))
            up = try await pool.currentSnapshot().nodes.filter { $0.health == .up }.count
            if up == nodes { break }
        }
        // Let connection set-up settle, then measure a clean window.
        try await Task.sleep(for: .seconds(1))
        try await pool.resetHeartbeatStatistics()
        // A reader like the dashboard's: takes the published snapshot, which asks the pool to
        // build the next one, and reads every row of each new one.
        let reader: Task<SnapshotReader, Never>? = snapshotHz > 0 ? Task { [pool, snapshotHz] in
            var reader = SnapshotReader()
            while !Task.isCancelled {
                reader.take(pool.snapshot)
                try? await Task.sleep(for: .seconds(1 / snapshotHz))
            }
            return reader
        } : nil
        var measured: [Window] = []
        for _ in 0..<max(1, windows) {
            let (user0, system0) = Self.userAndSystemSeconds()
            let wall0 = Date(), sent0 = try await pool.heartbeatStatistics().sent
            try await Task.sleep(for: .seconds(seconds / Double(max(1, windows))))
            let (user1, system1) = Self.userAndSystemSeconds()
            let sent1 = try await pool.heartbeatStatistics().sent
            measured.append(Window(wall: Date().timeIntervalSince(wall0), user: user1 - user0, system: system1 - system0, heartbeats: sent1 - sent0))
        }
        reader?.cancel()
        let readerTally = await reader?.value
        let median = measured.sorted { $0.share < $1.share }[measured.count / 2]
        let stats = try await pool.heartbeatStatistics()
        let snapshot = try await pool.currentSnapshot()
        let upAtEnd = snapshot.nodes.filter { $0.health == .up }.count
        let rss = Self.status("VmRSS"), peak = Self.status("VmHWM")
        print("""
            {"nodes":\(nodes),"up_before":\(up),"up_after":\(upAtEnd),"wall_s":\(median.wall),"cpu_s":\(median.user + median.system),\
            "heartbeats":\(median.heartbeats),"lateness_p50_ms":\(Double(stats.latenessP50) / 1000),\
            "lateness_p99_ms":\(Double(stats.latenessP99) / 1000),"lateness_max_ms":\(Double(stats.latenessMax) / 1000),\
            "rss_mb":\(Double(rss) / 1024),"peak_rss_mb":\(Double(peak) / 1024),\
            "user_s":\(median.user),"system_s":\(median.system),"window_shares":[\(measured.map { String(format: "%.2f", $0.share * 100) }.joined(separator: ","))],\
            "reader":\(readerTally?.json ?? "null")}
            """)
        await pool.stop()
        try await group.shutdownGracefully()
    }

    /// The bench's dashboard: what `DashboardLoop` and the table do with snapshots, without a
    /// terminal. Like the loop it compares each snapshot it takes with the last one and works
    /// only on a new one; then, like a frame, it reads every node's row fields, tallies health
    /// (the header), measures names and addresses (column widths) and sorts all nodes by P99.
    /// Everything read is folded into `checksum`, printed at the end, so the optimizer cannot
    /// drop a read and a lazily built snapshot must pay for its rows here.
    struct SnapshotReader: Sendable {
        var reads = 0
        var snapshots = 0
        var rowsRead = 0
        /// In-flight calls summed over all nodes, read in P99 order as a sorted table lists them.
        var inFlightSum = 0
        var checksum: UInt64 = 0
        /// CPU the reader itself spent (its thread's), to tell its own share of the overhead
        /// from the pool's cost of building snapshots for it.
        var cpuNanoseconds: Int64 = 0
        private var last: ClusterSnapshot?

        mutating func take(_ snapshot: ClusterSnapshot) {
            let start = Self.threadCPUNanoseconds()
            defer { cpuNanoseconds += Self.threadCPUNanoseconds() - start }
            reads += 1
            guard snapshot != last else { return }
            last = snapshot
            snapshots += 1
            let nodes = snapshot.nodes
            var p99 = [Double](repeating: -1, count: nodes.count)  // no data: -1, sorts last
            var health = [Int](repeating: 0, count: NodeHealth.allCases.count)
            var widest = 0
            var sum = checksum
            let prime: UInt64 = 0x100_0000_01B3
            for i in nodes.indices {
                let node = nodes[i]
                health[Self.ordinal(node.health)] += 1
                widest = max(widest, node.name.utf8.count, node.address.utf8.count)
                p99[i] = node.latencyP99.flatMap { $0.isNaN ? nil : $0 } ?? -1
                // Every field a table row shows, folded into the checksum (FNV-style).
                sum = (sum ^ (node.latencyP50?.bitPattern ?? 0)) &* prime
                sum = (sum ^ (node.recentLatencies.last?.bitPattern ?? 0) ^ UInt64(node.recentLatencies.count)) &* prime
                sum = (sum ^ UInt64(truncatingIfNeeded: node.calls &+ node.heartbeatsOK &+ node.heartbeatsFailed &+ node.retries)) &* prime
                sum = (sum ^ UInt64(truncatingIfNeeded: node.weight) ^ node.trafficShare.bitPattern ^ node.availability.bitPattern) &* prime
                sum = (sum ^ UInt64(node.lastError?.utf8.count ?? 0) ^ UInt64(node.fbStatus?.utf8.count ?? 0) ^ (node.routable ? 1 : 2)) &* prime
            }
            let order = nodes.indices.sorted { p99[$0] > p99[$1] }
            for (rank, i) in order.enumerated() {
                inFlightSum &+= nodes[i].inFlight
                sum = (sum ^ UInt64(truncatingIfNeeded: rank &* 31 &+ nodes[i].inFlight)) &* prime
            }
            for (ordinal, count) in health.enumerated() { sum = (sum ^ UInt64(ordinal &* 131 &+ count)) &* prime }
            sum = (sum ^ UInt64(widest)) &* prime
            checksum = sum
            rowsRead += nodes.count
        }

        static func ordinal(_ health: NodeHealth) -> Int {
            switch health {
            case .unknown: 0
            case .up: 1
            case .degraded: 2
            case .starting: 3
            case .draining: 4
            case .suspect: 5
            case .down: 6
            }
        }

        var json: String {
            "{\"reads\":\(reads),\"snapshots\":\(snapshots),\"rows_read\":\(rowsRead),\"in_flight_sum\":\(inFlightSum),\"checksum\":\(checksum),\"cpu_s\":\(Double(cpuNanoseconds) / 1e9)}"
        }

        static func threadCPUNanoseconds() -> Int64 {
            var spec = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
            return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
        }
    }

    /// One measured window: CPU and heartbeats over a stretch of wall time.
    struct Window {
        var wall: Double
        var user: Double
        var system: Double
        var heartbeats: Int
        var share: Double { (user + system) / wall }
    }

    static func userAndSystemSeconds() -> (Double, Double) {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return (Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6,
                Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6)
    }


    /// A kB figure from /proc/self/status.
    static func status(_ key: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            return Int(line.split(separator: " ").dropFirst().first { Int($0) != nil } ?? "0") ?? 0
        }
        return 0
    }
}
