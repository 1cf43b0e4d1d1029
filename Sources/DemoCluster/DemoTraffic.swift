import ClusterPool
import NIOCore
import ThriftWire

/// Steady demo traffic: `workers` Thrift clients, each on its own persistent connection to a
/// listener, calling `DemoService.work` at a target rate in all (a worker whose call is still
/// out skips its turn, as a real client waiting for its reply would). The listener routes every
/// call through the pool, so the balancer, shares, in-flight counts and retries have something
/// to show, and a drain moves this traffic as it would any client's. A worker whose connection
/// fails reconnects and goes on.
///
/// Runs on one event loop with timers, not tasks: put it on the loop of the pool and servers
/// and a demo call wakes no other thread.
public final class DemoTraffic: Sendable {
    public let callsPerSecond: Double
    public let workers: Int
    private let host: String
    private let port: Int
    private let state: NIOLoopBoundBox<State?>
    private let loop: any EventLoop

    /// `host`:`port` is the listener's address.
    public init(host: String, port: Int, loop: any EventLoop, callsPerSecond: Double = 200, workers: Int = 8) {
        precondition(callsPerSecond > 0 && workers > 0)
        self.callsPerSecond = callsPerSecond
        self.workers = workers
        self.host = host
        self.port = port
        self.loop = loop
        state = NIOLoopBoundBox.makeEmptyBox(valueType: State.self, eventLoop: loop)
    }

    public func start(seed: UInt64 = 1) {
        // Turns come in small batches every 20 ms (or one call's interval, when slower): each
        // wake-up of the loop costs a context switch, and 200 a second were a third of the demo's CPU.
        let every = TimeAmount.nanoseconds(Int64(max(0.020, 1 / callsPerSecond) * 1e9))
        let turnsPerWake = callsPerSecond * Double(every.nanoseconds) / 1e9
        loop.execute { [self] in
            let traffic = State(host: host, port: port, loop: loop, workers: workers)
            state.value = traffic
            traffic.start(every: every, turnsPerWake: turnsPerWake, seed: seed)
        }
    }

    public func stop() {
        loop.execute { [state] in state.value?.stop() }
    }

    private final class State {
        let host: String
        let port: Int
        let loop: any EventLoop
        var connections: [ThriftConnection?]
        var waiting: [Bool]
        var next = 0
        var random = SeededGenerator(seed: 1)
        var task: Scheduled<Void>?
        var every = TimeAmount.milliseconds(5)

        init(host: String, port: Int, loop: any EventLoop, workers: Int) {
            self.host = host
            self.port = port
            self.loop = loop
            connections = Array(repeating: nil, count: workers)
            waiting = Array(repeating: false, count: workers)
        }

        var turnsPerWake = 1.0
        /// Turns owed: the fractional part carries over, so the rate is exact on average.
        var owed = 0.0

        func start(every: TimeAmount, turnsPerWake: Double, seed: UInt64) {
            random = SeededGenerator(seed: seed)
            self.every = every
            self.turnsPerWake = turnsPerWake
            schedule(at: loop.now + every)
        }

        /// At a fixed cadence: deadline after deadline, not delay after delay.
        private func schedule(at deadline: NIODeadline) {
            task = loop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
                owed += turnsPerWake
                while owed >= 1 {
                    owed -= 1
                    turn()
                }
                guard task != nil else { return }
                schedule(at: max(deadline + every, loop.now))
            }
        }

        func stop() {
            task?.cancel()
            task = nil
            for connection in connections { connection?.channel.close(promise: nil) }
            connections = connections.map { _ in nil }
        }

        /// The next worker's turn: connect if it has no connection, call if it is not waiting.
        private func turn() {
            let worker = next
            next = (next + 1) % connections.count
            guard !waiting[worker] else { return }
            waiting[worker] = true
            guard let connection = connections[worker], connection.channel.isActive else {
                ThriftConnection.connect(host: host, port: port, protocolKind: .binary, transport: .framed, group: loop)
                    .assumeIsolated().whenComplete { [self] result in
                        waiting[worker] = false
                        guard task != nil else {
                            if case let .success(connection) = result { connection.channel.close(promise: nil) }
                            return
                        }
                        connections[worker] = try? result.get()
                    }
                return
            }
            let args = DemoService.WorkArgs(costMicros: Int32.random(in: 200...3000, using: &random), payload: Array(repeating: 7, count: 32))
            // Failures show in the pool's figures and events; the traffic just goes on.
            connection.send(method: DemoService.Work.name, args: ThriftMessage.encodeStruct(args, protocolKind: .binary), timeout: .seconds(5))
                .assumeIsolated().whenComplete { [self] _ in waiting[worker] = false }
        }
    }
}
