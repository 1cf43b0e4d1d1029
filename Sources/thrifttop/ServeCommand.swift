import AdminServer
import ArgumentParser
import ClusterModel
import ClusterPool
import Foundation
import NIOCore
import NIOPosix
import Recording
import SharedState
import ThriftProxy

/// `thrifttop serve CLUSTER.toml`: the pool and its listeners, headless, until SIGTERM/SIGINT.
/// Without a `[[listener]]` it is a monitor: the pool heartbeats, and the admin endpoint,
/// metrics, attach and shared state serve services that balance on their own.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "A Thrift-aware load balancer, or a headless monitor without [[listener]] (admin endpoint, /metrics, attach).",
        discussion: """
        Runs the pool and every [[listener]] of the config; without any, only the pool, its admin endpoint and /metrics (a monitor for services that balance on their own). Clients in any language connect to a listener; each call is routed on its own to a routable node (drains and weights act at once, even on persistent connections). Events go to stderr, one line each. On SIGHUP: re-read the config file (nodes and listeners added, removed or changed; a file with an error is refused and the old config stays). On SIGTERM or SIGINT: stop accepting, let calls in flight finish for up to [proxy] shutdown_grace_s, close, exit 0.

        Examples:
          thrifttop serve cluster.toml
          thrifttop serve cluster.toml --log-format json 2>>events.jsonl
        """,
        version: ThrifttopVersion.text
    )

    @Argument(help: "The cluster config (TOML); without [[listener]], serve only monitors.")
    var cluster: String

    @Option(help: "Seed for the balancer and retry jitter (repeatable runs).")
    var seed: UInt64?

    @Option(help: "How events are written to stderr: text (a line each) or json (a JSON object a line, the snapshot's event form).")
    var logFormat: LogFormat = .text

    @Option(help: ArgumentHelp("Record the cluster's snapshots into this directory (as [record] dir): files that rotate hourly, for `thrifttop replay`.", valueName: "DIR"))
    var record: String?

    @Flag(help: "With [state] store = \"etcd\": route even when etcd is unreachable at start and there is no local cache (state_file) — without knowing which nodes are drained.")
    var startWithoutState = false

    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    func run() async throws {
        var standardError = StandardError()
        let config: ClusterConfig
        do {
            config = try ClusterLoading.config(cluster)
        } catch let error as CLIError {
            throw Self.fail(error.description, code: error.exitCode)
        }
        let stop = StopSignal()
        // SIGHUP is a reload, never a stop: one that comes while starting is ignored, not fatal.
        signal(SIGHUP, SIG_IGN)
        // `[proxy] threads` loops, the pool on the first: each takes client connections in turn.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: config.listeners.isEmpty ? 1 : config.proxy.threadCount)
        // Before the pool: its default metrics factory is the bootstrapped one.
        let metrics = PrometheusMetrics.bootstrap()
        let pool = try ClusterPool(config: config, eventLoop: group.next(), options: PoolOptions(seed: seed ?? UInt64.random(in: 1 ... .max)))
        let endpoints: PoolEndpoints
        do {
            endpoints = try await PoolEndpoints.start(pool, admin: true, configFile: cluster, group: group, metrics: metrics,
                                                      startWithoutState: startWithoutState)
        } catch {
            await pool.stop()
            try? await group.shutdownGracefully()
            throw Self.fail(error is ProxyStartError || error is AdminStartError || error is EtcdOperatorAuthority.StartError
                ? "\(error)" : ErrorText.describe(error))
        }
        for address in endpoints.proxy.boundAddresses { print("thrifttop serve: cluster \"\(config.name)\" listening on \(address)", to: &standardError) }
        if config.listeners.isEmpty {
            print("thrifttop serve: cluster \"\(config.name)\": no [[listener]], monitoring only (heartbeats, admin endpoint, /metrics, attach, shared state)", to: &standardError)
        }
        if let path = endpoints.admin?.socketPath { print("thrifttop serve: admin endpoint on unix:\(path)", to: &standardError) }
        if let address = endpoints.admin?.tcpAddress {
            let scheme = pool.config.admin.tls == nil ? "http" : "https"
            print("thrifttop serve: admin endpoint on \(scheme)://\(address)", to: &standardError)
        }
        let recorder = try startRecording(pool, config: config)
        let printer = Task { [logFormat] in await Self.printEvents(of: pool, format: logFormat) }
        let reloader = endpoints.reloader
        let hangup = HangupSignal {
            Task {
                guard let outcome = await reloader?.reload(user: PoolOptions.currentUser()) else { return }
                var standardError = StandardError()
                print("thrifttop serve: SIGHUP: \(outcome.message)", to: &standardError)
            }
        }
        let signal = await stop.wait(timeout: nil) ?? "stop"
        withExtendedLifetime(hangup) {}
        let grace = pool.config.proxy.shutdownGrace
        print("thrifttop serve: \(signal): no new connections; waiting up to \(grace.nanoseconds / 1_000_000) ms for calls in flight", to: &standardError)
        let cutOff = await endpoints.stop(grace: grace)
        recorder?.cancel()
        await recorder?.value
        if cutOff > 0 { print("thrifttop serve: \(cutOff) call(s) still in flight at the end of the grace period were cut off", to: &standardError) }
        printer.cancel()
        // Every event the pool still has is printed before it stops: none is dropped at exit.
        let printed = await printer.value
        let last = await Self.printNewEvents(of: pool, after: printed, format: logFormat)
        await pool.stop()
        await Self.printNewEvents(of: pool, after: last, format: logFormat)
        try? await group.shutdownGracefully()
        print("thrifttop serve: stopped", to: &standardError)
    }

    /// `--record DIR` or `[record] dir`: the snapshots once a second into rotating files, until
    /// stopped or a write fails — which stops the recording with an event, never the daemon.
    private func startRecording(_ pool: ClusterPool, config: ClusterConfig) throws -> Task<Void, Never>? {
        guard let path = record ?? config.record.directory else { return nil }
        let header = PoolRecording.header(config, recorder: "serve")
        let task: Task<Void, Never>
        do {
            task = try PoolRecording.start(pool) { [record = config.record] in
                try RecordingDirectory(directory: path, header: header, maxBytes: UInt64(record.maxMegabytes) << 20, keepSeconds: record.keepHours * 3600)
            }
        } catch {
            throw Self.fail("\(error)")
        }
        var standardError = StandardError()
        print("thrifttop serve: recording into \(path) (at most \(config.record.maxMegabytes) MB, \(config.record.keepHours) h)", to: &standardError)
        return task
    }

    /// Prints the pool's events to stderr as they come, one line each (already sanitized), until
    /// cancelled; returns the id of the last one printed.
    static func printEvents(of pool: ClusterPool, format: LogFormat) async -> UInt64 {
        var last: UInt64 = 0
        while !Task.isCancelled {
            last = await printNewEvents(of: pool, after: last, format: format)
            try? await Task.sleep(for: .milliseconds(200))
        }
        return last
    }

    /// Prints the events after `last`; returns the id of the last one printed.
    @discardableResult
    static func printNewEvents(of pool: ClusterPool, after last: UInt64, format: LogFormat) async -> UInt64 {
        var standardError = StandardError()
        var last = last
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for event in await pool.events(after: last) {
            last = event.id
            switch format {
            case .text:
                let node = event.node.map { " \($0):" } ?? ""
                print("\(RFC3339.string(fromUnixSeconds: event.time)) \(event.severity)\(node) \(event.kind.rawValue): \(event.message)", to: &standardError)
            case .json:
                guard let line = try? encoder.encode(event) else { continue }
                print(String(decoding: line, as: UTF8.self), to: &standardError)
            }
        }
        return last
    }
}
