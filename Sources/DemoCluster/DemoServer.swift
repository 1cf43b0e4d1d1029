import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import ThriftWire

/// One bundled fb303 + DemoService server on 127.0.0.1, following its fault script over time.
///
/// The server owns its listener and every accepted connection, so a scripted crash closes them
/// all (clients see a reset/EOF at once) and a restart binds the same port again. Crash and
/// restart are applied by a task scheduled at the script's next change (none when nothing
/// changes: no polling); every other fault is read per call.
public final class DemoServer: Sendable {
    public let spec: DemoNodeSpec
    let group: any EventLoopGroup
    let clock: @Sendable () -> NIODeadline
    let wallClockSeconds: @Sendable () -> Int64
    /// Set: it speaks Thrift over TLS with this context (for benchmarks and tests of TLS nodes).
    let tls: NIOSSLContext?
    private let state: NIOLockedValueBox<State>

    struct State {
        var listener: (any Channel)?
        var port = 0
        var connections: [Int: any Channel] = [:]
        var nextConnectionID = 0
        var startedAt: NIODeadline?
        var aliveSince: Int64 = 0
        var crashed = false
        var rebinding = false
        var stopped = false
        var restarts = 0
        var calls = 0
        var workCalls = 0
        var heartbeatCalls = 0
        var injectedErrors = 0
        var heartbeats = HeartbeatClientTracker()
        var ticker: Scheduled<Void>?
    }

    public init(
        spec: DemoNodeSpec, group: any EventLoopGroup,
        clock: @escaping @Sendable () -> NIODeadline = { .now() },
        wallClockSeconds: @escaping @Sendable () -> Int64 = { Int64(time(nil)) },
        tls: NIOSSLContext? = nil
    ) {
        self.tls = tls
        self.spec = spec
        self.group = group
        self.clock = clock
        self.wallClockSeconds = wallClockSeconds
        self.state = NIOLockedValueBox(State())
    }

    /// The port it listens on (chosen by the OS when the spec says 0); 0 before `start`.
    public var port: Int { state.withLockedValue { $0.port } }
    public var address: String { "127.0.0.1:\(port)" }
    public var isListening: Bool { state.withLockedValue { $0.listener != nil } }

    /// Seconds since `start`, the time the fault script runs on.
    public var elapsedSeconds: Double {
        guard let started = state.withLockedValue({ $0.startedAt }) else { return 0 }
        return Double((clock() - started).nanoseconds) / 1e9
    }

    public var currentFaults: FaultState { spec.script.state(at: elapsedSeconds) }

    public func start() async throws {
        let channel = try await bind(port: spec.port).get()
        let port = channel.localAddress?.port ?? spec.port
        state.withLockedValue {
            $0.listener = channel
            $0.port = port
            $0.startedAt = clock()
            $0.aliveSince = wallClockSeconds()
        }
        tick()
        scheduleNextTick()
    }

    /// Schedules `tick` for the script's next change, a millisecond into it (so the new state is
    /// the one read), then again for the one after.
    private func scheduleNextTick() {
        let elapsed = elapsedSeconds
        guard let next = spec.script.nextChange(after: elapsed) else { return }
        let delay = TimeAmount.nanoseconds(Int64((next - elapsed) * 1e9) + 1_000_000)
        schedule(in: delay) { [self] in
            tick()
            scheduleNextTick()
        }
    }

    private func schedule(in delay: TimeAmount, _ body: @escaping @Sendable () -> Void) {
        let task = group.next().scheduleTask(in: delay, body)
        let stopped = state.withLockedValue { s in
            s.ticker = task
            return s.stopped
        }
        if stopped { task.cancel() }
    }

    /// Closes the listener and every connection; the ticker stops.
    public func stop() async {
        let (listener, connections) = state.withLockedValue { s -> ((any Channel)?, [any Channel]) in
            s.stopped = true
            s.ticker?.cancel()
            s.ticker = nil
            defer {
                s.listener = nil
                s.connections = [:]
            }
            return (s.listener, Array(s.connections.values))
        }
        for channel in connections { try? await channel.close() }
        try? await listener?.close()
    }

    // MARK: crash and restart

    /// Applies the script's crash state: close everything on entering, bind again on leaving.
    func tick() {
        let crashedNow = currentFaults.crashed
        enum Action { case none, crash((any Channel)?, [any Channel]), restart(Int) }
        let action = state.withLockedValue { s -> Action in
            guard !s.stopped else { return .none }
            if crashedNow && !s.crashed {
                s.crashed = true
                defer {
                    s.listener = nil
                    s.connections = [:]
                }
                return .crash(s.listener, Array(s.connections.values))
            }
            if !crashedNow && s.crashed && !s.rebinding {
                s.rebinding = true
                return .restart(s.port)
            }
            return .none
        }
        switch action {
        case .none:
            break
        case let .crash(listener, connections):
            listener?.close(promise: nil)
            for connection in connections { connection.close(promise: nil) }
        case let .restart(port):
            bind(port: port).whenComplete { [self] result in
                let lateChannel = state.withLockedValue { s -> (any Channel)? in
                    s.rebinding = false
                    guard case let .success(channel) = result else {
                        // Port not free yet: try again shortly (the script says we are up).
                        return nil
                    }
                    if s.stopped { return channel }
                    s.crashed = false
                    s.listener = channel
                    s.restarts += 1
                    s.aliveSince = wallClockSeconds()
                    return nil
                }
                // Stopped while binding: do not leave a listener behind.
                lateChannel?.close(promise: nil)
                if case .failure = result { schedule(in: .milliseconds(100)) { [self] in tick() } }
            }
        }
    }

    private func bind(port: Int) -> EventLoopFuture<any Channel> {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 512)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let id = register(channel) else {
                        // Accepted during a crash: the server is "down", so the client sees EOF.
                        channel.close(promise: nil)
                        return
                    }
                    let sync = channel.pipeline.syncOperations
                    if let tls { try sync.addHandler(NIOSSLServerHandler(context: tls)) }
                    try sync.addHandler(ThriftFraming.decoder(transport: spec.transport, protocolKind: spec.protocolKind),
                                        name: DemoServerHandler.decoderName)
                    if spec.transport == .framed { try sync.addHandler(MessageToByteHandler(ThriftFrameEncoder())) }
                    try sync.addHandler(DemoServerHandler(server: self, connectionID: id))
                }
            }
            .bind(host: "127.0.0.1", port: port)
    }

    private func register(_ channel: any Channel) -> Int? {
        let id = state.withLockedValue { s -> Int? in
            guard !s.crashed, !s.stopped else { return nil }
            s.nextConnectionID += 1
            s.connections[s.nextConnectionID] = channel
            return s.nextConnectionID
        }
        if let id {
            channel.closeFuture.whenComplete { [self] _ in
                state.withLockedValue {
                    $0.connections[id] = nil
                    $0.heartbeats.disconnected(connection: id)
                }
            }
        }
        return id
    }

    // MARK: what handlers ask

    /// Counts a call and returns the faults in force for it.
    func noteCall(_ method: String, connection: Int) -> FaultState {
        let now = clock()
        state.withLockedValue { s in
            s.calls += 1
            if method == FB303.GetStatus.name {
                s.heartbeatCalls += 1
                s.heartbeats.heartbeat(connection: connection, at: now)
            } else if method == DemoService.Work.name {
                s.workCalls += 1
            }
        }
        return currentFaults
    }

    func noteInjectedError() {
        state.withLockedValue { $0.injectedErrors += 1 }
    }

    var aliveSince: Int64 { state.withLockedValue { $0.aliveSince } }

    /// The fb303 counters this server reports.
    public var counters: [String: Int64] {
        let now = clock()
        return state.withLockedValue { s in
            [
                "demo.calls": Int64(s.calls),
                "demo.calls.work": Int64(s.workCalls),
                "demo.calls.getStatus": Int64(s.heartbeatCalls),
                "demo.errors.injected": Int64(s.injectedErrors),
                "demo.connections": Int64(s.connections.count),
                // Every connection ever accepted: shows whether a client reconnected.
                "demo.connections.accepted": Int64(s.nextConnectionID),
                "demo.restarts": Int64(s.restarts),
                "demo.heartbeat.clients": Int64(s.heartbeats.activeCount(at: now)),
                "demo.heartbeat.silent_clients": Int64(s.heartbeats.silentCount(at: now)),
            ]
        }
    }
}
