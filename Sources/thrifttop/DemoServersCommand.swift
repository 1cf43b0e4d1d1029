import ArgumentParser
import ClusterPool
import DemoCluster
import Foundation
import NIOPosix

/// `thrifttop demo-servers`: runs the bundled fault-injecting fb303 servers in the foreground.
struct DemoServersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-servers",
        abstract: "Run the bundled fb303 demo servers (with injected faults) on 127.0.0.1.",
        discussion: """
        Starts one server per node of the scenario and prints each node's name and address. Stops cleanly on Ctrl-C or SIGTERM.

        Examples:
          thrifttop demo-servers
          thrifttop demo-servers --base-port 9100 --write-config /tmp/demo-cluster.toml
          thrifttop demo-servers --scenario my-faults.toml --duration 60
        """,
        version: ThrifttopVersion.text
    )

    @Option(name: .long, help: "Scenario file (TOML); default: the built-in demo/scenario.toml.")
    var scenario: String?

    @Option(name: .long, help: "Listen on BASE, BASE+1, ... (0: ports chosen by the OS).")
    var basePort = 0

    @Option(name: .long, help: "Write a cluster config for these servers to FILE.")
    var writeConfig: String?

    @Option(name: .long, help: "Stop by itself after this many seconds (0: run until stopped).")
    var duration: Double = 0

    func validate() throws {
        guard (0...65000).contains(basePort) else { throw ValidationError("--base-port must be from 0 to 65000 (got \(basePort))") }
        guard duration >= 0 else { throw ValidationError("--duration must not be negative") }
    }

    func run() async throws {
        let parsed: DemoScenario
        do {
            parsed = try ClusterLoading.scenario(scenario)
        } catch let error as CLIError {
            throw Self.fail(error.description)
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let cluster = DemoCluster(scenario: parsed, group: group, basePort: basePort)
        let stop = StopSignal()
        try await cluster.start()
        print("demo cluster \"\(parsed.name)\": \(cluster.servers.count) servers")
        for server in cluster.servers {
            let spec = server.spec
            print("  \(spec.name.padding(toLength: 12, withPad: " ", startingAt: 0)) \(server.address)  \(spec.protocolKind.rawValue)/\(spec.transport.rawValue)")
        }
        if let writeConfig {
            try cluster.clusterConfig().write(toFile: writeConfig, atomically: true, encoding: .utf8)
            print("cluster config written to \(writeConfig)")
        }
        print("press Ctrl-C to stop")
        fflush(nil)
        let signal = await stop.wait(timeout: duration > 0 ? duration : nil)
        print(signal.map { "received \($0), stopping" } ?? "duration reached, stopping")
        await cluster.stop()
        try await group.shutdownGracefully()
    }
}
