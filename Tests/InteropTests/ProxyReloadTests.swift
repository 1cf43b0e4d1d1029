import ClusterModel
import ClusterPool
import DemoCluster
import Foundation
import NIOCore
import NIOPosix
import Testing
import ThriftProxy
import ThriftWire

/// A reload over a live pool and its proxy: listeners bound and closed, unchanged ones (and
/// their client connections) untouched, a port in use named, a bad policy refused.
@Suite("Proxy reload", .serialized)
struct ProxyReloadTests {
    static func work(_ client: ThriftConnection, cost: Int32 = 0, _ byte: UInt8 = 7) async throws -> [UInt8] {
        try await client.call(DemoService.Work.self, DemoService.Work.Args(costMicros: cost, payload: [byte]), timeout: .seconds(10))
    }

    @Test func listenersAreBoundAndClosedAndTheUnchangedOneKeepsItsClients() async throws {
        let server = DemoServer(spec: DemoNodeSpec(name: "a"), group: MultiThreadedEventLoopGroup.singleton)
        try await server.start()
        defer { Task { await server.stop() } }
        let blocker = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        defer { blocker.close(promise: nil) }
        let taken = try #require(blocker.localAddress?.port)
        try await ProxyFixture.run([ProxyFixture.node("a", port: server.port)]) { fixture in
            let first = fixture.proxy.boundAddresses[0]
            let client = try await fixture.client()
            #expect(try await Self.work(client) == [7])
            var config = fixture.pool.config
            var extra = ListenerConfig(address: NodeAddress(host: "127.0.0.1", port: 0))
            extra.maxConnections = 50
            config.listeners += [ListenerConfig(address: NodeAddress(host: "127.0.0.1", port: taken)), extra]
            let outcome = await fixture.pool.reload(config, user: "tester", also: [fixture.proxy])
            #expect(outcome.isDone && outcome.listenersAdded.count == 1 && outcome.listenersRemoved.isEmpty, "\(outcome)")
            #expect(outcome.notApplied == ["cannot listen on 127.0.0.1:\(taken): address already in use"])
            #expect(outcome.message.hasPrefix("reloaded: listening on 127.0.0.1:"), "\(outcome.message)")
            let second = try #require(fixture.proxy.boundAddresses.last)
            #expect(fixture.proxy.boundAddresses == [first, second])
            #expect(try await Self.work(client, 8) == [8], "the unchanged listener's client connection still works")
            let other = try await ThriftConnection.connect(host: "127.0.0.1", port: second.port, protocolKind: .binary, transport: .framed,
                                                           group: fixture.group)
            #expect(try await Self.work(other, 9) == [9])
            try await fixture.waitUntil("the snapshot shows both listeners") { $0.listeners == [first.description, second.description] }

            // The first listener goes while a call is in flight on it: the call is answered,
            // then its connection closes. (Whether its port still answers is not checked: a test
            // alongside may bind that port as soon as it is free.)
            let slow = Task { try await Self.work(client, cost: 600_000, 10) }
            try await Task.sleep(for: .milliseconds(200))
            config.listeners = [extra]
            let removal = await fixture.pool.reload(config, user: "tester", also: [fixture.proxy])
            #expect(removal.listenersRemoved == [first.description] && removal.notApplied.isEmpty, "\(removal)")
            #expect(try await slow.value == [10], "the call in flight on the removed listener is answered")
            try await client.channel.closeFuture.get()
            #expect(try await Self.work(other, 11) == [11], "the listener that stays is untouched")
            #expect(fixture.proxy.boundAddresses == [second])
        }
    }

    @Test func aBadPolicyIsRefusedAndTheOldConfigStaysInForce() async throws {
        let server = DemoServer(spec: DemoNodeSpec(name: "a"), group: MultiThreadedEventLoopGroup.singleton)
        try await server.start()
        defer { Task { await server.stop() } }
        try await ProxyFixture.run([ProxyFixture.node("a", port: server.port)]) { fixture in
            let before = fixture.pool.config
            var config = before
            config.nodes.append(ProxyFixture.node("b", port: 1))
            config.retry.budgetTTL = .seconds(100)
            let outcome = await fixture.pool.reload(config, user: "tester", also: [fixture.proxy])
            #expect(outcome == .refused("retry budget ttl must be from 1 s to 60 s (got 100000 ms)"))
            #expect(outcome.message.hasSuffix("; the old config stays in force"))
            #expect(fixture.pool.config == before)
            #expect(try await fixture.pool.currentSnapshot().nodes.map(\.name) == ["a"])
            let events = try await fixture.events().map(\.message)
            #expect(events.contains { $0.hasSuffix("reload refused: retry budget ttl must be from 1 s to 60 s (got 100000 ms); the old config stays in force") })
        }
    }
}
