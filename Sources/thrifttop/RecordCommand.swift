import AdminServer
import ArgumentParser
import AsyncHTTPClient
import ClusterModel
import Foundation
import Recording
import RemoteCluster

/// `thrifttop record ENDPOINT -o FILE`: a running daemon's snapshots, through its admin
/// endpoint, into a recording for `thrifttop replay`.
struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record a running daemon (thrifttop serve) through its admin endpoint into a file for `thrifttop replay`.",
        discussion: """
        Follows the daemon's /v1/stream and writes its snapshot once a second (a whole one every minute, the changes between) until SIGINT or SIGTERM, or --duration. While the daemon is unreachable nothing is written (the replay shows the gap); it reconnects by itself. ENDPOINT and the token and TLS options are as for attach.

        Examples:
          thrifttop record unix:/run/user/1000/thrifttop/prod.sock -o incident.ttrec
          thrifttop record https://admin.example.net:9901 --ca-file ca.pem --token-file ~/.config/thrifttop/token -o prod.ttrec --duration 3600
        """,
        version: ThrifttopVersion.text
    )

    @Argument(help: "unix:PATH, http://HOST:PORT or https://HOST:PORT.")
    var endpoint: String

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("The recording file to write (replaced if it exists).", valueName: "FILE"))
    var output: String

    @Option(help: "Stop after this many seconds (default: at SIGINT or SIGTERM).")
    var duration: Double?

    @OptionGroup var connection: AdminConnectionOptions

    func run() async throws {
        let stop = StopSignal()
        let parsed: AdminEndpoint
        let remote: RemoteCluster
        let http: HTTPClient
        do {
            parsed = try AdminEndpoint(parsing: endpoint)
            let made = try connection.connect([parsed])
            remote = made.remotes[0]
            http = made.http
        } catch let error as AdminEndpointError {
            throw Self.fail(error.description)
        } catch let error as CLIError {
            throw Self.fail(error.description, code: error.exitCode)
        }
        if let problem = await remote.configurationProblem() {
            try? await http.shutdown()
            throw Self.fail(problem)
        }
        remote.start()
        var standardError = StandardError()
        print("thrifttop record: recording \(parsed) into \(output)", to: &standardError)
        let path = output
        let task = Task { () -> RecordingError? in
            // The file is made with the first live snapshot: its header names the cluster.
            var writer: RecordingWriter?
            while !Task.isCancelled, writer == nil {
                let feed = remote.feed
                if feed.isLive {
                    let snapshot = feed.snapshot
                    let header = RecordingHeader(cluster: snapshot.clusterName, startedAt: snapshot.wallTime, recorder: "record \(parsed)",
                                                 config: "\(snapshot.nodes.count) nodes, balancer \(snapshot.balancer)")
                    do {
                        writer = try RecordingWriter(path: path, header: header)
                    } catch let error as RecordingError {
                        return error
                    } catch {
                        return RecordingError("\(error)")
                    }
                } else {
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
            guard let writer else { return nil }
            return await RecordingLoop.run(into: writer) {
                let feed = remote.feed
                guard feed.isLive else { return nil }
                var snapshot = feed.snapshot
                // A live stream sends nothing when only the daemon's clock moved: this second is
                // its time.
                snapshot.wallTime = max(snapshot.wallTime, Date().timeIntervalSince1970)
                return snapshot
            }
        }
        let signal = await stop.wait(timeout: duration)
        task.cancel()
        let failure = await task.value
        await remote.stop()
        try? await http.shutdown()
        if let failure { throw Self.fail("recording stopped: \(failure)") }
        print("thrifttop record: \(signal ?? "--duration"): \(output) closed", to: &standardError)
    }
}
