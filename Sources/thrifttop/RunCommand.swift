import AdminServer
import ArgumentParser
import ClusterPool
import CursesTerminal
import DashboardKit
import DemoCluster
import Foundation
import NIOPosix
import Recording
import SharedState
import ThriftProxy

/// `thrifttop [CLUSTER.toml]` and `thrifttop --demo`: the live dashboard.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "The live dashboard over a cluster (the default command).",
        discussion: """
        Keys: arrows/j/k move, Enter details, d drain, u undrain, +/- weight, z undo, / filter, s/S sort, e errors only, p pause, ? help (every key), q quit. :reload re-reads the cluster file (SIGHUP restores the terminal and exits).

        Examples:
          thrifttop demo/cluster.toml
          thrifttop --demo
          thrifttop --demo --theme light --read-only
          thrifttop cluster.toml --theme ~/my-theme.toml --no-mouse
        """,
        version: ThrifttopVersion.text
    )

    @Argument(help: "The cluster config (TOML). Not with --demo.")
    var cluster: String?

    @Flag(help: "Start the bundled demo cluster (servers with injected faults, plus traffic) in this process.")
    var demo = false

    @Option(help: "With --demo: the scenario file (default: the built-in demo/scenario.toml).")
    var scenario: String?

    @Option(help: "With --demo: calls per second the traffic generator sends through the pool.")
    var trafficRate: Double = 200

    @Option(help: ArgumentHelp("Record what the dashboard shows into FILE (replaced), once a second, for `thrifttop replay FILE`.", valueName: "FILE"))
    var record: String?

    @OptionGroup var screen: ScreenOptions

    @Flag(help: "Hide every action: look, don't touch.")
    var readOnly = false

    @Flag(help: "Ring the terminal bell (or flash) when a node gets worse or the cluster falls below min_routable.")
    var bell = false

    @Flag(help: "With [state] store = \"etcd\": route even when etcd is unreachable at start and there is no local cache (state_file).")
    var startWithoutState = false

    @Option(help: "Seed for the balancer and retry jitter (repeatable runs).")
    var seed: UInt64?

    @Option(help: .hidden)
    var uiStats: String?

    /// For tests and benchmarks: stop by itself (as on SIGTERM) after this many seconds.
    @Option(help: .hidden)
    var exitAfter: Double?

    func validate() throws {
        if demo && cluster != nil { throw ValidationError("give a cluster config or --demo, not both") }
        if scenario != nil && !demo { throw ValidationError("--scenario goes with --demo") }
        guard trafficRate > 0 && trafficRate <= 100_000 else { throw ValidationError("--traffic-rate must be from 0 to 100000 calls/s") }
    }

    func run() async throws {
        // Here, not in validate(): a validation error would hide an unknown option's ("--bogus").
        if !demo && cluster == nil {
            throw Self.fail("give a cluster config (thrifttop CLUSTER.toml), or --demo for the bundled cluster; thrifttop --help lists the options")
        }
        do {
            try await runDashboard()
        } catch let error as CLIError {
            throw Self.fail(error.description, code: error.exitCode)
        } catch let error as TerminalError {
            throw Self.fail(error.description)
        }
    }

    private func runDashboard() async throws {
        // Before starting anything: the dashboard needs a terminal.
        guard isatty(STDOUT_FILENO) == 1, isatty(STDIN_FILENO) == 1 else { throw TerminalError.notATerminal }
        // Before any server, pool or event loop starts: this may replace the process (see CrashReporting).
        CrashReporting.restartWithBacktraceSettings()
        let dashboardOptions = try screen.dashboard(readOnly: readOnly, bell: bell, statsFile: uiStats)
        // Over a config the admin endpoint exports /metrics: bootstrapped before the pool's
        // options, whose default metrics factory is the process's.
        let metrics = demo ? nil : PrometheusMetrics.bootstrap()
        let options = PoolOptions(seed: seed ?? UInt64.random(in: 1 ... .max))

        // With --demo, one loop for the pool, its listener, the servers and their traffic: a
        // demo call then crosses no thread (it cost ~3× the CPU when it woke three). Over a
        // config, `[proxy] threads` loops take the listeners' clients, the pool on the first.
        let fileConfig = demo ? nil : try ClusterLoading.config(cluster!)
        let poolGroup = MultiThreadedEventLoopGroup(numberOfThreads: fileConfig.map { $0.listeners.isEmpty ? 1 : $0.proxy.threadCount } ?? 1)
        let loop = poolGroup.next()
        var demoCluster: DemoCluster?
        let config: ClusterConfig
        if let fileConfig {
            config = fileConfig
        } else {
            let cluster = DemoCluster(scenario: try ClusterLoading.scenario(scenario), group: loop)
            try await cluster.start()
            demoCluster = cluster
            config = ClusterLoading.config(for: cluster)
        }
        let pool = try ClusterPool(config: config, eventLoop: loop, options: options)
        // The config's listeners run here too, so the dashboard's keys act on their traffic; over
        // a config the pool answers on the admin endpoint as `serve` does (not with --demo: two
        // demos at once would fight over one socket, for a toy cluster).
        let endpoints: PoolEndpoints
        do {
            endpoints = try await PoolEndpoints.start(pool, admin: !demo, configFile: cluster, group: poolGroup, metrics: metrics,
                                                      startWithoutState: startWithoutState)
        } catch let error as ProxyStartError {
            await demoCluster?.stop()
            throw CLIError(description: "\(error)")
        } catch let error as AdminStartError {
            await demoCluster?.stop()
            throw CLIError(description: "\(error)")
        } catch let error as EtcdOperatorAuthority.StartError {
            throw CLIError(description: "\(error)")
        }
        // The demo's traffic goes through its listener, as any client's would.
        var traffic: DemoTraffic?
        if demo, let address = endpoints.proxy.boundAddresses.first {
            traffic = DemoTraffic(host: address.host, port: address.port, loop: loop, callsPerSecond: trafficRate)
            traffic?.start(seed: options.seed)
        }

        // Made before the screen, so a file that cannot be written is said on the terminal.
        var recording: Task<Void, Never>?
        if let record {
            let header = PoolRecording.header(config, recorder: "dashboard")
            do {
                recording = try PoolRecording.start(pool) { try RecordingWriter(path: record, header: header) }
            } catch {
                traffic?.stop()
                await endpoints.stop(grace: .seconds(1))
                await pool.stop()
                await demoCluster?.stop()
                try? await poolGroup.shutdownGracefully()
                throw CLIError(description: "--record \(record): \(error)")
            }
        }

        if let exitAfter {
            Task.detached {
                try? await Task.sleep(for: .seconds(exitAfter))
                kill(getpid(), SIGTERM)
            }
        }
        let outcome: Result<Void, any Error>
        do {
            try await DashboardLoop.run(
                snapshot: { pool.snapshot },
                execute: { await pool.execute($0) },
                reload: { [reloader = endpoints.reloader] in
                    guard let outcome = await reloader?.reload() else { return .refused("reload needs a config file: this dashboard runs --demo") }
                    return outcome.isDone ? .done(outcome.message) : .refused(outcome.message)
                },
                operatorName: pool.defaultUser,
                options: dashboardOptions)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        // Shut down in order whatever ended the dashboard: the recording (closed whole), traffic,
        // pool, servers, threads.
        recording?.cancel()
        await recording?.value
        traffic?.stop()
        await endpoints.stop(grace: .seconds(1))
        await pool.stop()
        await demoCluster?.stop()
        try? await poolGroup.shutdownGracefully()
        if case let .failure(error) = outcome {
            guard case let DashboardExit.signal(exitSignal) = error else { throw error }
            // Everything is shut down in order; now die of the signal, as the caller expects.
            // (raise() would target this thread, where the signal may be blocked.)
            signal(exitSignal, SIG_DFL)
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, exitSignal)
            pthread_sigmask(SIG_UNBLOCK, &set, nil)
            kill(getpid(), exitSignal)
            usleep(1_000_000)
            _exit(128 + exitSignal)  // only if every thread blocks it
        }
    }
}
