import ClusterModel
import ClusterPool
import DemoCluster
import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing
import ThriftProxy
import ThriftWire

/// The listener on several event loops: each loop routes its own connections' calls, and the
/// operator's word holds on all of them.
@Suite("Listener loops")
struct ProxyLoopTests {
    @Test func noCallStartsOnADrainedNodeAfterTheDrainIsAnsweredWhicheverLoopRoutesIt() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let servers = [DemoServer(spec: DemoNodeSpec(name: "a"), group: group), DemoServer(spec: DemoNodeSpec(name: "b"), group: group)]
        for server in servers { try await server.start() }
        defer { Task { for server in servers { await server.stop() } } }
        func work(_ server: DemoServer) -> Int64 { server.counters["demo.calls.work"] ?? 0 }

        try await ProxyFixture.run([ProxyFixture.node("a", port: servers[0].port), ProxyFixture.node("b", port: servers[1].port)],
                                   threads: 4) { proxy in
            #expect(proxy.proxy.threads == 4)
            var clients: [ThriftConnection] = []
            for _ in 0..<8 { clients.append(try await proxy.client()) }
            #expect(await proxy.proxy.clientConnectionsPerLoop() == [2, 2, 2, 2], "8 client connections, 2 on each loop")

            // Every client calls without a pause until told to stop (at most 60 s).
            let flags = CallerFlags()
            let callers = clients.map { client in
                Task {
                    let until = Date().addingTimeInterval(60)
                    while !flags.stop.load(ordering: .relaxed), Date() < until {
                        do {
                            _ = try await client.call(DemoService.Work.self, .init(costMicros: 0, payload: []))
                        } catch {
                            flags.failures.add(1, ordering: .relaxed)
                        }
                    }
                }
            }
            // Each loop has sent node a calls (it has its own connections to it) before the drain.
            let started = Date()
            while work(servers[0]) < 2_000, Date().timeIntervalSince(started) < 30 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(work(servers[0]) >= 2_000)

            let result = await proxy.pool.execute(.drain(node: "a"))
            let atAnswer = work(servers[0])
            #expect(result.isDone, "\(result)")
            let bAtAnswer = work(servers[1])
            try await Task.sleep(for: .milliseconds(500))
            let after = work(servers[0])
            flags.stop.store(true, ordering: .relaxed)
            for caller in callers { await caller.value }
            for client in clients { await client.close() }

            // A call already sent may still arrive: at most one per client connection (each waits for its reply).
            #expect(after - atAnswer <= 8, "calls node a received after the drain was answered: \(after - atAnswer)")
            #expect(work(servers[1]) - bAtAnswer > 100, "the calls went on, to b")
            #expect(flags.failures.load(ordering: .relaxed) == 0)
        }
    }
}

/// What a test's calling tasks share: when to stop, and how many calls failed.
private final class CallerFlags: Sendable {
    let stop = Atomic<Bool>(false)
    let failures = Atomic<Int>(0)
}
