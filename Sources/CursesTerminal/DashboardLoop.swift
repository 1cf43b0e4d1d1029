import ClusterModel
import DashboardKit
import Glibc
import Synchronization

/// The live dashboard: reads snapshots and keys, draws changed frames, sends operator commands.
/// Its whole interface to the cluster is two closures, so it knows nothing of sockets or the
/// pool runtime:
///
/// ```swift
/// try await DashboardLoop.run(
///     snapshot: { pool.snapshot },
///     execute: { request in await pool.execute(request) },
///     options: DashboardOptions(theme: theme, mouse: !noMouse, readOnly: readOnly))
/// ```
///
/// It redraws only when something changed (a new snapshot value, a key, a resize, a result),
/// at most `maxFramesPerSecond` for cluster changes. The terminal is restored on `q`, on a thrown
/// error, on SIGINT/SIGTERM/SIGHUP and on a crash.
public enum DashboardLoop {
    /// How often the loop wakes to look for keys, signals and results. Sleeping (not blocking in
    /// `getch`) keeps the cooperative thread pool free on a 2-core machine.
    static let tick = Duration.milliseconds(15)

    public static func run(
        snapshot: @escaping @Sendable () -> ClusterSnapshot,
        execute: @escaping @Sendable (OperatorRequest) async -> OperatorResult,
        reload: (@Sendable () async -> OperatorResult)? = nil,
        operatorName: String? = nil,
        options: DashboardOptions = DashboardOptions()
    ) async throws {
        var perCluster: (@Sendable (Int) async -> OperatorResult)?
        if let reload { perCluster = { @Sendable _ in await reload() } }
        try await run(feeds: { [ClusterFeed(snapshot: snapshot(), operatorName: operatorName)] }, execute: { command, _ in await execute(command) },
                      reload: perCluster, options: options)
    }

    /// The dashboard over several clusters (`thrifttop attach`): `feeds` gives each one's newest
    /// snapshot and whether it is live; `execute` sends a command to the cluster at an index,
    /// `reload` asks that cluster to re-read its file (`:reload`).
    public static func run(
        feeds: @escaping @Sendable () -> [ClusterFeed],
        execute: @escaping @Sendable (OperatorRequest, Int) async -> OperatorResult,
        reload: (@Sendable (Int) async -> OperatorResult)? = nil,
        options: DashboardOptions = DashboardOptions()
    ) async throws {
        try await loop(feeds: feeds, execute: execute, reload: reload, replay: nil, options: options)
    }

    /// The dashboard over a recording (`thrifttop replay`): read-only, showing `source` at the
    /// moment `playback` is at, which moves on with the wall clock while it plays. `name` says
    /// what is replayed, in the header.
    public static func run(replay source: any ReplaySource, playback: ReplayPlayback, name: String, options: DashboardOptions) async throws {
        var options = options
        options.readOnly = true
        let first = source.snapshot(at: playback.at)?.snapshot ?? .empty
        try await loop(feeds: { [ClusterFeed(source: name, snapshot: first)] }, execute: { _, _ in .refused("a replay takes no action") }, reload: nil,
                       replay: (source, playback), options: options)
    }

    private static func loop(
        feeds: @escaping @Sendable () -> [ClusterFeed],
        execute: @escaping @Sendable (OperatorRequest, Int) async -> OperatorResult,
        reload: (@Sendable (Int) async -> OperatorResult)?,
        replay: (source: any ReplaySource, playback: ReplayPlayback)?,
        options: DashboardOptions
    ) async throws {
        guard isatty(STDOUT_FILENO) == 1, isatty(STDIN_FILENO) == 1 else { throw TerminalError.notATerminal }
        SignalTrap.install()
        defer { SignalTrap.uninstall() }
        TerminalLocale.configure()
        let terminal = try CursesBackend(theme: options.theme, mouse: options.mouse)
        defer { terminal.restore() }

        var all = feeds()
        var state = DashboardState(width: terminal.width, height: terminal.height, readOnly: options.readOnly)
        if options.bell { state.bell = BellWatch() }
        state.replay = replay?.playback
        Dashboard.update(state: &state, feeds: all)
        let inbox = ResultInbox()
        let clock = ContinuousClock()
        let frameInterval = Duration.seconds(1) / options.maxFramesPerSecond
        let keyFrameInterval = frameInterval / 3
        var lastFrame = clock.now - .seconds(1)
        var lastPoll = clock.now
        var lastAdvance = clock.now
        var shownMoment = replay?.playback.at
        var shownDamage: String?
        var shown: (state: DashboardState, feeds: [ClusterFeed])?
        var keyPressed = false
        var lastHangupCheck = clock.now
        var usage = LoopUsage(startedAt: clock.now)
        defer { usage.write(to: options.statsFile, endedAt: clock.now) }

        while true {
            // CPU of this iteration's work, on whichever thread runs it (no await until the sleep).
            let cpuAtStart = LoopUsage.threadCPUNanoseconds()
            defer { usage.cpuNanoseconds += LoopUsage.threadCPUNanoseconds() - cpuAtStart }
            if let number = SignalTrap.pending {
                terminal.restore()
                SignalTrap.uninstall()
                if options.reraiseSignals { SignalTrap.reraise(number) }
                throw DashboardExit.signal(number)
            }
            if clock.now - lastHangupCheck >= .milliseconds(200) {
                lastHangupCheck = clock.now
                if terminal.hungUp {
                    // As if SIGHUP had come: give back what can be given, and end.
                    terminal.restore()
                    SignalTrap.uninstall()
                    throw DashboardExit.signal(SIGHUP)
                }
            }
            while let key = terminal.readKey() {
                keyPressed = true
                let cluster = state.clusters.selected
                // A key that switched clusters: the state is reconciled with the new one's snapshot.
                defer { if state.clusters.selected != cluster { Dashboard.update(state: &state, feeds: all) } }
                for effect in Dashboard.handle(key, state: &state, snapshot: Dashboard.selected(all, state).snapshot) {
                    switch effect {
                    case .quit: return
                    case .repaint: terminal.invalidate()
                    case let .write(path, contents, what):
                        // ~/ is the home directory, as in a shell.
                        let file = path.hasPrefix("~/") ? (getenv("HOME").map { String(cString: $0) } ?? "~") + path.dropFirst(1) : path
                        Dashboard.recordWrite(path: path, what: what, error: TextFile.save(contents, to: file), state: &state)
                    case let .execute(command):
                        let target = state.clusters.selected
                        Task {
                            let result = await execute(command, target)
                            inbox.post(command, result, cluster: target)
                        }
                    case .reload:
                        guard let reload else {
                            Dashboard.recordReload(.refused("reload needs a cluster file; this dashboard has none"), state: &state)
                            continue
                        }
                        let target = state.clusters.selected
                        Task { inbox.post(nil, await reload(target), cluster: target) }
                    }
                }
            }
            for (command, result, cluster) in inbox.take() {
                if let command {
                    // A refusal's "here anyway" acts on the cluster shown: only for the one asked.
                    Dashboard.record(result, of: command, state: &state, offeringHereAnyway: cluster == state.clusters.selected)
                } else {
                    Dashboard.recordReload(result, state: &state)
                }
            }
            let now = clock.now
            if let source = replay?.source, var playback = state.replay {
                // The recording at the playback's moment: moved on by the wall clock while it
                // plays, or by a key.
                playback.advance(wallSeconds: Double((now - lastAdvance).components.attoseconds) / 1e18 + Double((now - lastAdvance).components.seconds))
                lastAdvance = now
                playback.settle(with: source)
                state.replay = playback
                // Playing, the screen moves on a second at a time (its clock and every age are in
                // seconds), not at every tick; a key's move shows at once.
                let moved = playback.paused ? playback.at != shownMoment : playback.at.rounded(.down) != shownMoment?.rounded(.down)
                if moved, let shown = source.snapshot(at: playback.at) {
                    shownMoment = playback.at
                    all[0].snapshot = shown.snapshot
                    // A stretch with nothing recorded is shown as a feed that went stale then.
                    all[0].link = playback.at - shown.frameTime > ReplayPlayback.gapSeconds
                        ? .stale(sinceUnixSeconds: shown.frameTime, reason: "nothing recorded") : .live
                    Dashboard.update(state: &state, feeds: all)
                }
                if let damage = source.damage, damage != shownDamage {
                    shownDamage = damage
                    state.status = StatusMessage(damage, .failure)
                }
            } else if now - lastPoll >= frameInterval {
                lastPoll = now
                let next = feeds()
                if next != all {
                    all = next
                    Dashboard.update(state: &state, feeds: all)
                }
            }
            if state.bell?.takeRing(at: (now - usage.startedAt) / .seconds(1)) == true { terminal.ringBell() }
            let changed = shown.map { $0.state != state || (!state.isPaused && $0.feeds != all) } ?? true
            if changed, now - lastFrame >= (keyPressed ? keyFrameInterval : frameInterval) {
                terminal.draw(Dashboard.render(feeds: all, state, width: terminal.width, height: terminal.height))
                usage.frames += 1
                shown = (state, all)
                lastFrame = now
                keyPressed = false
            }
            try await Task.sleep(for: tick)
        }
    }
}

/// The loop's own CPU use, for `make bench` (the UI's share of a core during `--demo`).
struct LoopUsage {
    let startedAt: ContinuousClock.Instant
    var cpuNanoseconds: Int64 = 0
    var frames = 0

    static func threadCPUNanoseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }

    func write(to path: String?, endedAt: ContinuousClock.Instant) {
        guard let path else { return }
        let wall = endedAt - startedAt
        let seconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
        let json = "{\"ui_cpu_s\":\(Double(cpuNanoseconds) / 1e9),\"wall_s\":\(seconds),\"frames\":\(frames)}\n"
        _ = try? TextFile.write(json, to: path)
    }
}

/// Results of commands running in their own tasks, picked up by the loop on its next tick (a
/// nil command: a reload's).
final class ResultInbox: Sendable {
    private let results = Mutex<[(OperatorRequest?, OperatorResult, Int)]>([])

    func post(_ command: OperatorRequest?, _ result: OperatorResult, cluster: Int) {
        results.withLock { $0.append((command, result, cluster)) }
    }

    func take() -> [(OperatorRequest?, OperatorResult, Int)] {
        results.withLock { taken in
            defer { taken.removeAll() }
            return taken
        }
    }
}
