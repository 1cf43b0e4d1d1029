import ClusterPool
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
import ThriftWire
@testable import DemoCluster

/// Real demo servers on 127.0.0.1 (ports from the OS), called through our NIO client.
@Suite("Demo servers on loopback")
struct DemoServerTests {
    let group = MultiThreadedEventLoopGroup.singleton

    func withServer<T>(
        _ spec: DemoNodeSpec, clock: (@Sendable () -> NIODeadline)? = nil,
        _ body: (DemoServer) async throws -> T
    ) async throws -> T {
        let server = clock.map { DemoServer(spec: spec, group: group, clock: $0) } ?? DemoServer(spec: spec, group: group)
        try await server.start()
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    func connect(_ server: DemoServer) async throws -> ThriftConnection {
        try await ThriftConnection.connect(host: "127.0.0.1", port: server.port, protocolKind: server.spec.protocolKind,
                                           transport: server.spec.transport, group: group)
    }

    func script(_ steps: [FaultStep] = [], base: (inout FaultState) -> Void = { _ in }) -> FaultScript {
        var state = FaultState()
        base(&state)
        return FaultScript(base: state, steps: steps)
    }

    @Test(arguments: [(ThriftProtocolKind.binary, ThriftTransportKind.framed), (.compact, .framed), (.binary, .unframed), (.compact, .unframed)])
    func everyFb303MethodAnswersInEveryWireFormat(_ kind: ThriftProtocolKind, _ transport: ThriftTransportKind) async throws {
        let spec = DemoNodeSpec(name: "n1", protocolKind: kind, transport: transport, version: "9.9")
        try await withServer(spec) { server in
            let c = try await connect(server)
            #expect(try await c.call(FB303.GetName.self) == "n1")
            #expect(try await c.call(FB303.GetVersion.self) == "9.9")
            #expect(try await c.call(FB303.GetStatus.self) == .alive)
            #expect(try await c.call(FB303.GetStatusDetails.self) == "")
            let since = try await c.call(FB303.AliveSince.self)
            #expect(abs(since - Int64(PoolOptions.unixTime())) < 5)
            let counters = try await c.call(FB303.GetCounters.self)
            #expect(counters["demo.calls"] == 6)
            #expect(try await c.call(FB303.GetCounter.self, .init(key: "demo.calls")) == 7)
            #expect(try await c.call(DemoService.Work.self, .init(costMicros: 100, payload: [1, 2, 3])) == [1, 2, 3])
            await #expect(throws: DemoService.WorkFailed(reason: "costMicros must not be negative", code: -5)) {
                try await c.call(DemoService.Work.self, .init(costMicros: -5, payload: []))
            }
            // Unknown method: TApplicationException UNKNOWN_METHOD, connection still usable.
            let reply = try await c.send(method: "noSuchMethod", args: ThriftMessage.encodeStruct(ThriftEmptyStruct(), protocolKind: kind), timeout: .seconds(5))
            #expect(throws: TApplicationException(.unknownMethod, message: "Invalid method name: 'noSuchMethod'")) {
                try reply.result(as: ThriftEmptyStruct.self)
            }
            #expect(try await c.call(FB303.GetStatus.self) == .alive)
            await c.close()
        }
    }

    @Test func anInjectedErrorIsAnInternalErrorAndTheConnectionStaysUsable() async throws {
        let spec = DemoNodeSpec(name: "e", script: script { $0.errorRate = 1 })
        try await withServer(spec) { server in
            let c = try await connect(server)
            await #expect(throws: TApplicationException(.internalError, message: "injected failure (error_rate) in getStatus")) {
                try await c.call(FB303.GetStatus.self)
            }
            await #expect(throws: TApplicationException.self) { try await c.call(FB303.GetName.self) }
            #expect(c.channel.isActive)
            #expect(server.counters["demo.errors.injected"] == 2)
        }
    }

    @Test func addedLatencyDelaysReplies() async throws {
        let spec = DemoNodeSpec(name: "slow", script: script { $0.latencyMillis = 80 })
        try await withServer(spec) { server in
            let c = try await connect(server)
            let start = NIODeadline.now()
            _ = try await c.call(FB303.GetStatus.self)
            #expect(NIODeadline.now() - start >= .milliseconds(80))
        }
    }

    @Test func aHangingServerReadsButNeverAnswers() async throws {
        let spec = DemoNodeSpec(name: "h", script: script { $0.hang = true })
        try await withServer(spec) { server in
            let c = try await connect(server)
            await #expect(throws: ThriftConnection.CallError.timeout(.milliseconds(200))) {
                try await c.call(FB303.GetStatus.self, timeout: .milliseconds(200))
            }
            #expect(c.channel.isActive)
            #expect(server.counters["demo.calls"] == 1)
        }
    }

    @Test func garbageRepliesAreProtocolErrorsAtTheClient() async throws {
        for transport in [ThriftTransportKind.framed, .unframed] {
            let spec = DemoNodeSpec(name: "g", transport: transport, script: script { $0.garbage = true })
            try await withServer(spec) { server in
                let c = try await connect(server)
                await #expect(throws: ThriftWireError.self) { try await c.call(FB303.GetStatus.self, timeout: .seconds(5)) }
            }
        }
    }

    @Test func anOversizedFrameHeaderIsRejectedFromTheHeader() async throws {
        let spec = DemoNodeSpec(name: "o", script: script { $0.oversizedFrame = true })
        try await withServer(spec) { server in
            let c = try await connect(server)
            await #expect(throws: ThriftWireError(.frameTooLarge(size: 0x7FFF_FFF0, limit: 16_384_000), at: 0, "frame header")) {
                try await c.call(FB303.GetStatus.self, timeout: .seconds(5))
            }
        }
        let unframed = DemoNodeSpec(name: "o", transport: .unframed, script: script { $0.oversizedFrame = true })
        try await withServer(unframed) { server in
            let c = try await connect(server)
            do {
                _ = try await c.call(FB303.GetStatus.self, timeout: .seconds(5))
                Issue.record("expected an error")
            } catch let error as ThriftWireError {
                guard case .messageTooLarge = error.kind else { Issue.record("got \(error)"); return }
            }
        }
    }

    /// The script runs on a clock the test moves, so what happens when is exact in script time;
    /// only "soon after" (the server's own timer noticing the change) is waited for, generously.
    final class ScriptClock: Sendable {
        let start = NIODeadline.now()
        private let offset = NIOLockedValueBox(TimeAmount.zero)
        var now: @Sendable () -> NIODeadline { { [self] in start + offset.withLockedValue { $0 } } }
        func set(seconds: Double) { offset.withLockedValue { $0 = .nanoseconds(Int64(seconds * 1e9)) } }
    }

    @Test func aScriptedCrashClosesConnectionsAtItsTimeAndTheServerComesBack() async throws {
        let crash = FaultStep(at: 0.3, duration: 0.7, change: { var c = FaultChange(); c.crashed = true; return c }())
        let spec = DemoNodeSpec(name: "p", script: script([crash]))
        let clock = ScriptClock()
        try await withServer(spec, clock: clock.now) { server in
            let c = try await connect(server)
            let since = try await c.call(FB303.AliveSince.self)
            clock.set(seconds: 0.299)
            try await Task.sleep(for: .milliseconds(400))
            #expect(try await c.call(FB303.GetStatus.self) == .alive, "still up just before the crash")
            clock.set(seconds: 0.3)
            try await c.channel.closeFuture.get()
            #expect(!server.isListening)
            await #expect(throws: (any Error).self) { _ = try await connect(server) }
            // Back once the step ends (1.0 s), on the same port.
            clock.set(seconds: 1.0)
            let deadline = NIODeadline.now() + .seconds(10)
            while !server.isListening && NIODeadline.now() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            let again = try await connect(server)
            #expect(try await again.call(FB303.GetStatus.self) == .alive)
            #expect(try await again.call(FB303.GetCounter.self, .init(key: "demo.restarts")) == 1)
            #expect(try await again.call(FB303.AliveSince.self) >= since)
        }
    }

    @Test func statusAndDetailsFollowTheScript() async throws {
        var warm = FaultChange()
        warm.status = .starting
        warm.details = "warming caches"
        let spec = DemoNodeSpec(name: "w", script: script([FaultStep(at: 0, duration: 0.4, change: warm)]))
        let clock = ScriptClock()
        try await withServer(spec, clock: clock.now) { server in
            let c = try await connect(server)
            clock.set(seconds: 0.399)
            #expect(try await c.call(FB303.GetStatus.self) == .starting)
            #expect(try await c.call(FB303.GetStatusDetails.self) == "warming caches")
            clock.set(seconds: 0.4)
            #expect(try await c.call(FB303.GetStatus.self) == .alive)
        }
    }

    @Test func countersShowHeartbeatClientsAndNoticeOneThatWentSilent() async throws {
        let now = NIOLockedValueBox(NIODeadline.now())
        try await withServer(DemoNodeSpec(name: "c"), clock: { now.withLockedValue { $0 } }) { server in
            let a = try await connect(server)
            let b = try await connect(server)
            for _ in 0..<3 {
                _ = try await a.call(FB303.GetStatus.self)
                _ = try await b.call(FB303.GetStatus.self)
                now.withLockedValue { $0 = $0 + .milliseconds(500) }
            }
            var counters = try await a.call(FB303.GetCounters.self)
            #expect(counters["demo.heartbeat.clients"] == 2)
            #expect(counters["demo.heartbeat.silent_clients"] == 0)
            #expect(counters["demo.connections"] == 2)
            // b stops heartbeating; a goes on.
            for _ in 0..<4 {
                now.withLockedValue { $0 = $0 + .milliseconds(500) }
                _ = try await a.call(FB303.GetStatus.self)
            }
            counters = try await a.call(FB303.GetCounters.self)
            #expect(counters["demo.heartbeat.clients"] == 1)
            #expect(counters["demo.heartbeat.silent_clients"] == 1)
            // Once b hangs up it is no longer counted at all.
            await b.close()
            try await Task.sleep(for: .milliseconds(50))
            counters = try await a.call(FB303.GetCounters.self)
            #expect(counters["demo.heartbeat.silent_clients"] == 0)
            #expect(counters["demo.connections"] == 1)
        }
    }

    @Test func aClusterStartsEveryNodeAndWritesAMatchingConfig() async throws {
        let scenario = DemoScenario(name: "t", seed: 1, nodes: [DemoNodeSpec(name: "a"), DemoNodeSpec(name: "b", protocolKind: .compact)])
        let cluster = DemoCluster(scenario: scenario, group: group)
        try await cluster.start()
        let config = cluster.clusterConfig()
        for server in cluster.servers {
            #expect(server.port > 0)
            #expect(config.contains("address = \"127.0.0.1:\(server.port)\""))
        }
        #expect(config.contains("protocol = \"compact\""))
        await cluster.stop()
        #expect(cluster.servers.allSatisfy { !$0.isListening })
    }
}
