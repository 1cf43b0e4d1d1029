import ArgumentParser
import DemoCluster
import Foundation
import NIOPosix

/// `thrifttop bench-servers`: many healthy fb303 listeners in one process, for `make bench`.
/// Prints `PORTS p1,p2,…` once listening; stops on SIGINT/SIGTERM or after --duration.
struct BenchServersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-servers",
        abstract: "Run plain fb303 servers for benchmarks (127.0.0.1, OS-chosen ports).",
        shouldDisplay: false
    )

    @Option(help: "How many listeners.")
    var listeners = 100

    @Option(help: "Event loop threads.")
    var threads = 1

    @Option(help: "Stop by itself after this many seconds.")
    var duration: Double = 600

    func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let servers = (0..<listeners).map { DemoServer(spec: DemoNodeSpec(name: "bench-\($0)"), group: group) }
        let stop = StopSignal()
        for server in servers { try await server.start() }
        print("PORTS " + servers.map { String($0.port) }.joined(separator: ","))
        fflush(nil)
        _ = await stop.wait(timeout: duration)
        for server in servers { await server.stop() }
        try await group.shutdownGracefully()
    }
}
