import ArgumentParser

/// `thrifttop`: top for a Thrift cluster.
@main
struct Thrifttop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "thrifttop",
        abstract: "top for a Thrift cluster: live health, latency and load balancing of Thrift servers.",
        discussion: """
        Examples:
          thrifttop --demo                       the bundled demo cluster, live
          thrifttop cluster.toml                 the dashboard over your servers
          thrifttop serve cluster.toml           a Thrift-aware load balancer for your clients
          thrifttop attach                       the dashboard over a running serve
          thrifttop check cluster.toml --json    one round of heartbeats, for scripts
          thrifttop demo-servers --base-port 9100
        """,
        subcommands: [RunCommand.self, ServeCommand.self, AttachCommand.self, CheckCommand.self, DemoServersCommand.self,
                      BenchServersCommand.self, BenchPoolCommand.self, BenchRenderCommand.self, BenchEtcdCommand.self, StateStressCommand.self],
        defaultSubcommand: RunCommand.self
    )
}
