import ArgumentParser

/// `thrifttop`: top for a Thrift cluster.
@main
struct Thrifttop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "thrifttop",
        abstract: "top for a Thrift cluster: live health, latency and load balancing of Thrift servers.",
        subcommands: [DemoServersCommand.self, BenchServersCommand.self, BenchPoolCommand.self, StateStressCommand.self]
    )
}
