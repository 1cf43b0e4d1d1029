import ArgumentParser
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

    func run() async throws {
        let portList = ports.split(separator: ",").compactMap { Int($0) }
        guard !portList.isEmpty else { throw ValidationError("--ports needs at least one port") }
        var settings = NodeSettings()
        settings.heartbeatInterval = .milliseconds(Int64(intervalMs))
        settings.connectTimeout = .seconds(5)
        settings.detailsInterval = .seconds(3600)
        let config = ClusterConfig(name: "bench", nodes: (0..<nodes).map {
            NodeConfig(name: "n\($0)", address: NodeAddress(host: "127.0.0.1", port: portList[$0 % portList.count]), settings: settings)
        })
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pool = try ClusterPool(config: config, eventLoop: group.next(), options: PoolOptions(seed: 1))
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
        let (user0, system0) = Self.userAndSystemSeconds()
        let wall0 = Date()
        try await Task.sleep(for: .seconds(seconds))
        let (user1, system1) = Self.userAndSystemSeconds()
        let cpu = (user1 - user0) + (system1 - system0)
        let wall = Date().timeIntervalSince(wall0)
        let stats = try await pool.heartbeatStatistics()
        let snapshot = try await pool.currentSnapshot()
        let upAtEnd = snapshot.nodes.filter { $0.health == .up }.count
        let rss = Self.status("VmRSS"), peak = Self.status("VmHWM")
        print("""
            {"nodes":\(nodes),"up_before":\(up),"up_after":\(upAtEnd),"wall_s":\(wall),"cpu_s":\(cpu),\
            "heartbeats":\(stats.sent),"lateness_p50_ms":\(Double(stats.latenessP50) / 1000),\
            "lateness_p99_ms":\(Double(stats.latenessP99) / 1000),"lateness_max_ms":\(Double(stats.latenessMax) / 1000),\
            "rss_mb":\(Double(rss) / 1024),"peak_rss_mb":\(Double(peak) / 1024),\
            "user_s":\(user1 - user0),"system_s":\(system1 - system0)}
            """)
        await pool.stop()
        try await group.shutdownGracefully()
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
