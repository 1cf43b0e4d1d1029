import ClusterPool
import NIOConcurrencyHelpers
import NIOCore
import ThriftWire

/// Steady demo traffic: workers, each a Thrift client on its own persistent connection to a
/// listener, calling `DemoService.work` at a target rate. The listener routes every call
/// through the pool, so the balancer, shares, in-flight counts and retries have something to
/// show — and a drain moves this traffic as it would any client's. Failures are the pool's to
/// count and log; a worker whose connection fails reconnects and goes on.
public final class DemoTraffic: Sendable {
    public let callsPerSecond: Double
    public let workers: Int
    private let host: String
    private let port: Int
    private let group: any EventLoopGroup
    private let tasks = NIOLockedValueBox<[Task<Void, Never>]>([])

    /// `host`:`port` is the listener's address.
    public init(host: String, port: Int, group: any EventLoopGroup, callsPerSecond: Double = 200, workers: Int = 8) {
        precondition(callsPerSecond > 0 && workers > 0)
        self.host = host
        self.port = port
        self.group = group
        self.callsPerSecond = callsPerSecond
        self.workers = workers
    }

    public func start(seed: UInt64 = 1) {
        let interval = Double(workers) / callsPerSecond
        let started = (0..<workers).map { worker in
            Task { [host, port, group] in
                var random = SeededGenerator(seed: seed &+ UInt64(worker))
                let clock = ContinuousClock()
                // Workers start staggered so calls are spread over the interval.
                var next = clock.now + .seconds(interval * Double(worker) / Double(workers))
                var connection: ThriftConnection?
                while !Task.isCancelled {
                    try? await clock.sleep(until: next)
                    next = next + .seconds(interval)
                    if connection == nil || connection?.channel.isActive == false {
                        connection = try? await ThriftConnection.connect(host: host, port: port, protocolKind: .binary,
                                                                         transport: .framed, group: group)
                    }
                    guard let connection else { continue }
                    let cost = Int32.random(in: 200...3000, using: &random)
                    _ = try? await connection.call(DemoService.Work.self, .init(costMicros: cost, payload: Array(repeating: 7, count: 32)),
                                                   timeout: .seconds(5))
                }
                await connection?.close()
            }
        }
        tasks.withLockedValue { $0 += started }
    }

    public func stop() {
        for task in tasks.withLockedValue({ t in defer { t = [] }; return t }) { task.cancel() }
    }
}
