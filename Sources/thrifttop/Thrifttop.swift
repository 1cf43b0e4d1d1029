import ArgumentParser
import Glibc

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
        version: ThrifttopVersion.text,
        subcommands: [RunCommand.self, ServeCommand.self, AttachCommand.self, CheckCommand.self, RecordCommand.self, ReplayCommand.self, DemoServersCommand.self,
                      BenchServersCommand.self, BenchPoolCommand.self, BenchRenderCommand.self, BenchEtcdCommand.self, StateStressCommand.self],
        defaultSubcommand: RunCommand.self
    )

    /// ArgumentParser's main, with two changes: bad arguments exit 1 in every subcommand, as
    /// documented (not EX_USAGE's 64), and the top-level help shows the dashboard's options too
    /// (it is the default command, so `thrifttop --help` is where a newcomer looks for them).
    static func main() async {
        // A file past the size limit (ulimit -f) fails its write with EFBIG, which stops a
        // recording with an event, instead of killing the daemon.
        signal(SIGXFSZ, SIG_IGN)
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments == ["--help"] || arguments == ["-h"] {
            print(helpMessage(columns: nil))
            print("\nDASHBOARD (thrifttop [run] [<cluster>] [options]):")
            print(RunCommand.helpMessage(columns: nil).components(separatedBy: "\nOPTIONS:\n").last ?? "")
            return
        }
        do {
            var command = try parseAsRoot(arguments)
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            guard code.rawValue == 64 else { exit(withError: error) }
            FileHandleOut.write(fullMessage(for: error) + "\n", to: 2)
            Glibc.exit(1)
        }
    }
}
