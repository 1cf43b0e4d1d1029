import ArgumentParser
import DemoCluster
import Foundation
import NIOPosix
import TLSSupport

/// `thrifttop bench-servers`: many healthy fb303 listeners in one process, for `make bench`.
/// Prints `PORTS p1,p2,…` once listening; stops on SIGINT/SIGTERM or after --duration.
struct BenchServersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-servers",
        abstract: "Run plain fb303 servers for benchmarks (127.0.0.1, OS-chosen ports).",
        version: ThrifttopVersion.text,
        shouldDisplay: false
    )

    @Option(help: "How many listeners.")
    var listeners = 100

    @Option(help: "Event loop threads.")
    var threads = 1

    @Option(help: "Stop by itself after this many seconds.")
    var duration: Double = 600

    @Option(help: "Serve TLS with this PEM certificate (with --tls-key).")
    var tlsCert: String?

    @Option(help: "The certificate's PEM private key.")
    var tlsKey: String?

    func validate() throws {
        if (tlsCert == nil) != (tlsKey == nil) {
            throw ValidationError("--tls-cert and --tls-key go together (a certificate and its private key, PEM)")
        }
    }

    func run() async throws {
        let tls = try tlsCert.flatMap { cert in try tlsKey.map { try ServerTLSFiles(certFile: cert, keyFile: $0).makeContext() } }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let servers = (0..<listeners).map { DemoServer(spec: DemoNodeSpec(name: "bench-\($0)"), group: group, tls: tls) }
        let stop = StopSignal()
        for server in servers { try await server.start() }
        print("PORTS " + servers.map { String($0.port) }.joined(separator: ","))
        fflush(nil)
        _ = await stop.wait(timeout: duration)
        for server in servers { await server.stop() }
        try await group.shutdownGracefully()
    }
}
