import ClusterPool
import NIOConcurrencyHelpers
import NIOCore
import ThriftWire

/// Steady demo traffic: workers calling `DemoService.work` through a `ClusterPool` at a target
/// rate, so the balancer, shares, in-flight counts and retries have something to show.
/// Failures are the pool's to count and log; the generator just keeps going.
public final class DemoTraffic: Sendable {
    public let callsPerSecond: Double
    public let workers: Int
    private let pool: ClusterPool
    private let tasks = NIOLockedValueBox<[Task<Void, Never>]>([])

    public init(pool: ClusterPool, callsPerSecond: Double = 200, workers: Int = 8) {
        precondition(callsPerSecond > 0 && workers > 0)
        self.pool = pool
        self.callsPerSecond = callsPerSecond
        self.workers = workers
    }

    public func start(seed: UInt64 = 1) {
        let interval = Double(workers) / callsPerSecond
        let started = (0..<workers).map { worker in
            Task { [pool] in
                var random = SeededGenerator(seed: seed &+ UInt64(worker))
                let clock = ContinuousClock()
                // Workers start staggered so calls are spread over the interval.
                var next = clock.now + .seconds(interval * Double(worker) / Double(workers))
                while !Task.isCancelled {
                    try? await clock.sleep(until: next)
                    next = next + .seconds(interval)
                    let cost = Int32.random(in: 200...3000, using: &random)
                    // Failures show in the pool's figures and events; the traffic just goes on.
                    _ = try? await pool.call(DemoService.Work.self, .init(costMicros: cost, payload: Array(repeating: 7, count: 32)),
                                             options: CallOptions(timeout: .seconds(2), idempotent: true))
                }
            }
        }
        tasks.withLockedValue { $0 += started }
    }

    public func stop() {
        for task in tasks.withLockedValue({ t in defer { t = [] }; return t }) { task.cancel() }
    }
}
