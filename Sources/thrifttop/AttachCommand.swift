import AdminServer
import ArgumentParser
import AsyncHTTPClient
import ClusterModel
import CursesTerminal
import DashboardKit
import Foundation
import NIOPosix
import RemoteCluster

/// `thrifttop attach ENDPOINT…`: the dashboard over running daemons (`serve`, or a dashboard or
/// embedder with an admin endpoint). Same screens and keys; actions go to the daemon, which
/// keeps running when the dashboard quits.
struct AttachCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach",
        abstract: "The dashboard over running pools (thrifttop serve), through their admin endpoints.",
        discussion: """
        ENDPOINT is unix:PATH (a daemon's admin socket), http://HOST:PORT (its loopback TCP endpoint, with --token-file) or https://HOST:PORT (its TCP endpoint over TLS, with --token-file; the daemon's certificate is checked against the system trust store, or --ca-file instead). With no ENDPOINT, the sockets in the default directory ($XDG_RUNTIME_DIR/thrifttop, else /tmp/thrifttop-UID) are listed: the only one is attached to, else you are asked which.

        With several endpoints, a bar shows one line per cluster; 1…9, [ and ] or :cluster NAME switch between them. When a daemon goes away its figures are greyed under "daemon unreachable since HH:MM:SS", and the dashboard reconnects by itself.

        Examples:
          thrifttop attach
          thrifttop attach unix:/run/user/1000/thrifttop/prod.sock
          thrifttop attach http://127.0.0.1:9901 --token-file ~/.config/thrifttop/token
          thrifttop attach https://admin.example.net:9901 --ca-file ca.pem --token-file ~/.config/thrifttop/token
          thrifttop attach unix:/run/user/1000/thrifttop/eu.sock unix:/run/user/1000/thrifttop/us.sock --read-only
        """,
        version: ThrifttopVersion.text
    )

    @Argument(help: "unix:PATH, http://HOST:PORT or https://HOST:PORT, one or more (none: look in the default socket directory).")
    var endpoints: [String] = []

    @OptionGroup var connection: AdminConnectionOptions

    @Flag(help: "Hide every action: look, don't touch.")
    var readOnly = false

    @Flag(help: "Ring the terminal bell (or flash) when a node gets worse or a cluster falls below min_routable.")
    var bell = false

    @OptionGroup var screen: ScreenOptions

    func run() async throws {
        let http: HTTPClient
        let remotes: [RemoteCluster]
        do {
            (http, remotes) = try connection.connect(try chooseEndpoints())
        } catch let error as AdminEndpointError {
            throw Self.fail(error.description)
        } catch let error as CLIError {
            throw Self.fail(error.description, code: error.exitCode)
        }
        // Before the screen: a certificate that is not trusted, or TLS on one side only, is a
        // mistake to fix, not a daemon to wait for.
        var problems: [String] = []
        for remote in remotes { if let problem = await remote.configurationProblem() { problems.append(problem) } }
        guard problems.isEmpty, isatty(STDOUT_FILENO) == 1, isatty(STDIN_FILENO) == 1 else {
            try? await http.shutdown()
            throw Self.fail(problems.isEmpty ? TerminalError.notATerminal.description : problems.joined(separator: "\n"))
        }
        let dashboardOptions: DashboardOptions
        do {
            dashboardOptions = try screen.dashboard(readOnly: readOnly, bell: bell)
        } catch let error as TerminalError {
            try? await http.shutdown()
            throw Self.fail(error.description)
        }
        for remote in remotes { remote.start() }
        let outcome: Result<Void, any Error>
        do {
            try await DashboardLoop.run(
                feeds: { Self.withLocalClock(remotes.map(\.feed)) },
                execute: { request, index in await remotes[index].execute(request) },
                reload: { index in await remotes[index].reload() },
                options: dashboardOptions)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        for remote in remotes { await remote.stop() }
        try? await http.shutdown()
        switch outcome {
        case .success: return
        case let .failure(DashboardExit.signal(number)): throw ExitCode(128 + number)
        case let .failure(error as TerminalError): throw Self.fail(error.description)
        case let .failure(error): throw error
        }
    }

    /// A live feed shows this machine's clock (to the second): the daemon sends no delta when
    /// only its clock moved, and a stale feed keeps the time its figures are from.
    static func withLocalClock(_ feeds: [ClusterFeed]) -> [ClusterFeed] {
        let now = Date().timeIntervalSince1970.rounded(.down)
        return feeds.map { feed in
            guard feed.isLive else { return feed }
            var feed = feed
            feed.snapshot.wallTime = max(feed.snapshot.wallTime, now)
            return feed
        }
    }

    /// The endpoints given, or the sockets of the default directory (asking when several).
    private func chooseEndpoints() throws -> [AdminEndpoint] {
        if !endpoints.isEmpty { return try endpoints.map(AdminEndpoint.init(parsing:)) }
        let sockets = AdminSocketLocation.sockets()
        let directory = AdminSocketLocation.directory()
        switch sockets.count {
        case 0:
            throw CLIError(description: "no admin sockets in \(directory): start one with `thrifttop serve CLUSTER.toml`, or give unix:PATH or http://HOST:PORT")
        case 1:
            return [.unix(path: sockets[0])]
        default:
            guard isatty(STDIN_FILENO) == 1 else {
                throw CLIError(description: "several admin sockets in \(directory) (\(sockets.map { ($0 as NSString).lastPathComponent }.joined(separator: ", "))): name one, e.g. thrifttop attach unix:\(sockets[0])")
            }
            print("Admin sockets in \(directory):")
            for (i, path) in sockets.enumerated() { print("  \(i + 1)  \((path as NSString).lastPathComponent)") }
            while true {
                print("Attach to which? (1–\(sockets.count), a for all, q to quit) ", terminator: "")
                fflush(nil)  // the prompt before the answer
                guard let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased(), answer != "q" else { throw ExitCode(1) }
                if answer == "a" { return sockets.map { .unix(path: $0) } }
                if let n = Int(answer), (1 ... sockets.count).contains(n) { return [.unix(path: sockets[n - 1])] }
            }
        }
    }
}
