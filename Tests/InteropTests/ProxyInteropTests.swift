import ClusterModel
import ClusterPool
import DemoCluster
import Foundation
import NIOCore
import NIOPosix
import Testing
import ThriftWire

/// `thrifttop serve`'s listener between Apache Thrift's generated Python clients and real
/// servers (the Python reference server and our demo servers), in every wire form.
@Suite("Proxy with Apache Thrift clients and servers", .serialized)
struct ProxyInteropTests {
    @Test(arguments: [(ThriftProtocolKind.binary, ThriftTransportKind.framed), (.binary, .unframed), (.compact, .framed), (.compact, .unframed)])
    func generatedPythonClientsInEveryFormReachNodesOfEitherProtocol(_ kind: ThriftProtocolKind, _ transport: ThriftTransportKind) async throws {
        let (binary, binaryPort) = try startPythonServer(name: "py-binary")
        defer { binary.stop() }
        let (compact, compactPort) = try startPythonServer(name: "py-compact", .compact, .unframed)
        defer { compact.stop() }
        try await ProxyFixture.run([ProxyFixture.node("py-binary", port: binaryPort),
                                    ProxyFixture.node("py-compact", port: compactPort, .compact, .unframed)]) { proxy in
            let result = try await pythonProxyClient(port: proxy.port, kind, transport, ["basic"])
            #expect((result["echo"] as? [String: Any])?["ok"] as? String == "hello")
            let declared = try #require(result["declared"] as? [String: Any])
            #expect(declared["declared"] as? String == "costMicros must not be negative")
            #expect(declared["code"] as? Int == -5)
            let application = try #require(result["application"] as? [String: Any])
            #expect(application["application"] as? Int == 6, "INTERNAL_ERROR, passed through unchanged")
            #expect(application["message"] as? String == "reference server refused the work")
            #expect(["py-binary", "py-compact"].contains((result["after_oneway"] as? [String: Any])?["ok"] as? String))
            // The oneway call reached exactly one server, and nothing came back for it.
            let group = proxy.group
            let deadline = Date().addingTimeInterval(10)
            var notes: Int64 = 0
            repeat {
                notes = try await pythonCallCount(port: binaryPort, "note", group: group) + pythonCallCount(port: compactPort, "note", .compact, .unframed, group: group)
                if notes == 0 { try await Task.sleep(for: .milliseconds(50)) }
            } while notes == 0 && Date() < deadline
            #expect(notes == 1)
            let snapshot = try await proxy.pool.currentSnapshot()
            #expect(snapshot.nodes.map(\.calls).reduce(0, +) == 6, "every proxied call is one of the pool's calls")
        }
    }

    @Test func anOldNonStrictBinaryClientWorksWhereTheListenerSaysSo() async throws {
        let (server, port) = try startPythonServer(name: "py")
        defer { server.stop() }
        try await ProxyFixture.run([ProxyFixture.node("py", port: port)], listener: {
            $0.protocolKind = .fixed(.binary)
            $0.transport = .fixed(.unframed)
        }) { proxy in
            let result = try await pythonProxyClient(port: proxy.port, .binary, .unframed, ["--non-strict", "basic"])
            #expect((result["echo"] as? [String: Any])?["ok"] as? String == "hello")
            #expect((result["name"] as? [String: Any])?["ok"] as? String == "py")
        }
    }

    @Test func theDemoServersServeProxiedCallsToo() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let servers = [DemoServer(spec: DemoNodeSpec(name: "demo-binary"), group: group),
                       DemoServer(spec: DemoNodeSpec(name: "demo-compact", protocolKind: .compact), group: group)]
        for server in servers { try await server.start() }
        defer { Task { for server in servers { await server.stop() } } }
        try await ProxyFixture.run([ProxyFixture.node("demo-binary", port: servers[0].port),
                                    ProxyFixture.node("demo-compact", port: servers[1].port, .compact)]) { proxy in
            for (kind, transport) in [(ThriftProtocolKind.binary, ThriftTransportKind.framed), (.compact, .unframed)] {
                let result = try await pythonProxyClient(port: proxy.port, kind, transport, ["basic"])
                #expect((result["echo"] as? [String: Any])?["ok"] as? String == "hello")
                #expect((result["declared"] as? [String: Any])?["code"] as? Int == -5)
                #expect(["demo-binary", "demo-compact"].contains((result["name"] as? [String: Any])?["ok"] as? String))
            }
        }
    }

    @Test func aMultiplexedServiceIsRoutedToItsGroup() async throws {
        let (plain, plainPort) = try startPythonServer(name: "plain")
        defer { plain.stop() }
        let (mux, muxPort) = try startPythonServer(name: "mux", extra: ["--multiplexed"])
        defer { mux.stop() }
        try await ProxyFixture.run([ProxyFixture.node("plain", port: plainPort), ProxyFixture.node("mux", port: muxPort, group: "billing")],
                                   configure: { $0.routes = [RouteConfig(match: .service("Billing"), group: "billing")] }) { proxy in
            let result = try await pythonProxyClient(port: proxy.port, ["multiplexed", "--calls", "10"])
            let charges = try #require(result["charges"] as? [[String: Any]])
            #expect(charges.compactMap { $0["ok"] as? String } == (0..<10).map { "mux charged \($0)" })
            #expect(await proxy.pool.execute(.drain(node: "mux")).isDone)
            let refused = try await pythonProxyClient(port: proxy.port, ["multiplexed", "--calls", "1"])
            let error = try #require((refused["charges"] as? [[String: Any]])?.first)
            #expect(error["application"] as? Int == 6)
            #expect(error["message"] as? String == #"thrifttop: no routable node for Billing:charge in group "billing" of cluster "proxied": 1 drained"#)
        }
    }

    @Test func fiftyConcurrentClientConnections() async throws {
        let (a, portA) = try startPythonServer(name: "a")
        defer { a.stop() }
        let (b, portB) = try startPythonServer(name: "b", .compact)
        defer { b.stop() }
        try await ProxyFixture.run([ProxyFixture.node("a", port: portA), ProxyFixture.node("b", port: portB, .compact)]) { proxy in
            let result = try await pythonProxyClient(port: proxy.port, ["load", "--connections", "50", "--calls", "20", "--cost-micros", "0", "--seconds", "60"])
            let summary = try #require(result["summary"] as? [String: Any])
            #expect(summary["ok"] as? Int == 1000)
            #expect(summary["failed"] as? Int == 0, "\(summary["errors"] ?? "")")
        }
    }

    @Test func aDrainUnderLoadMovesEveryNewCallAndFailsNone() async throws {
        var servers: [(PythonProcess, Int)] = []
        for name in ["a", "b", "c"] { servers.append(try startPythonServer(name: name)) }
        defer { for (server, _) in servers { server.stop() } }
        let drainedPort = servers[1].1
        try await ProxyFixture.run(zip(["a", "b", "c"], servers).map { ProxyFixture.node($0, port: $1.1) }) { proxy in
            let load = Task { () -> (ok: Int, failed: Int, errors: String) in
                let result = try await pythonProxyClient(port: proxy.port, ["load", "--connections", "8", "--seconds", "5", "--cost-micros", "2000"])
                let summary = try #require(result["summary"] as? [String: Any])
                return (summary["ok"] as? Int ?? -1, summary["failed"] as? Int ?? -1, "\(summary["errors"] ?? "")")
            }
            try await proxy.waitUntil("b takes calls") { $0.node(named: "b")!.calls > 50 }
            #expect(await proxy.pool.execute(.drain(node: "b")).isDone)
            try await proxy.waitUntil("b's calls in flight finish") { $0.node(named: "b")!.inFlight == 0 }
            let workBefore = try await pythonCallCount(port: drainedPort, "work", group: proxy.group)
            let beatsBefore = try await pythonCallCount(port: drainedPort, "getStatus", group: proxy.group)
            try await Task.sleep(for: .milliseconds(1500))
            #expect(try await pythonCallCount(port: drainedPort, "work", group: proxy.group) == workBefore, "no call reaches a drained node")
            #expect(try await pythonCallCount(port: drainedPort, "getStatus", group: proxy.group) > beatsBefore, "its heartbeats go on")
            let summary = try await load.value
            #expect(summary.failed == 0, "\(summary.errors)")
            #expect(summary.ok > 500)
        }
    }

    @Test func aNodeKilledMidLoadFailsOnlyItsNonIdempotentCallsByName() async throws {
        for idempotent in [false, true] {
            var servers: [(PythonProcess, Int)] = []
            for name in ["a", "b", "victim"] { servers.append(try startPythonServer(name: name)) }
            defer { for (server, _) in servers { server.stop() } }
            let nodes = zip(["a", "b", "victim"], servers).map { ProxyFixture.node($0, port: $1.1) }
            try await ProxyFixture.run(nodes, configure: { $0.proxy.idempotentMethods = idempotent ? [MethodPattern("wor*")] : [] }) { proxy in
                // Twelve slow calls at once, each on its own connection: the balancer spreads them.
                let calls = (0..<12).map { _ in
                    Task { () -> Result<[UInt8], any Error> in
                        let client = try await proxy.client()
                        defer { Task { await client.close() } }
                        do {
                            return .success(try await client.call(DemoService.Work.self, .init(costMicros: 1_500_000, payload: [1]), timeout: .seconds(20)))
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                try await proxy.waitUntil("the victim has calls in flight") { $0.node(named: "victim")!.inFlight >= 2 }
                servers[2].0.stop()
                var failures: [String] = []
                for call in calls {
                    if case let .failure(error) = try await call.value { failures.append((error as? TApplicationException)?.message ?? "\(error)") }
                }
                if idempotent {
                    #expect(failures.isEmpty, "idempotent calls are retried elsewhere: \(failures)")
                } else {
                    #expect(!failures.isEmpty)
                    #expect(failures.allSatisfy { $0.contains("thrifttop: work failed on node victim: connection") }, "\(failures)")
                }
            }
        }
    }

    @Test func aHungNodeTimesOutByNameThenLeavesTheRotation() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        var hang = FaultChange()
        hang.hang = true
        let servers = [DemoServer(spec: DemoNodeSpec(name: "fine"), group: group),
                       DemoServer(spec: DemoNodeSpec(name: "hung", script: FaultScript(steps: [FaultStep(at: 2, change: hang)])), group: group)]
        for server in servers { try await server.start() }
        defer { Task { for server in servers { await server.stop() } } }
        try await ProxyFixture.run([ProxyFixture.node("fine", port: servers[0].port), ProxyFixture.node("hung", port: servers[1].port)],
                                   configure: {
                                       $0.proxy.callTimeout = .milliseconds(300)
                                       // Calls alternate, so some are on the node when it hangs.
                                       $0.balancer = .smoothWeightedRoundRobin
                                   }) { proxy in
            let client = try await proxy.client()
            var timeouts: [String] = []
            let until = Date().addingTimeInterval(6)
            // Calls before and across the hang, until the node is out of rotation.
            while Date() < until {
                do {
                    _ = try await client.call(DemoService.Work.self, .init(costMicros: 0, payload: [2]), timeout: .seconds(5))
                } catch let error as TApplicationException {
                    timeouts.append(error.message ?? "")
                }
                if try await proxy.pool.currentSnapshot().node(named: "hung")!.health == .down { break }
            }
            #expect(!timeouts.isEmpty)
            #expect(timeouts.allSatisfy { $0 == "thrifttop: work timed out after 300 ms on node hung" }, "\(timeouts)")
            try await proxy.waitUntil("hung is down") { $0.node(named: "hung")!.health == .down }
            for _ in 0..<50 { _ = try await client.call(DemoService.Work.self, .init(costMicros: 0, payload: [3]), timeout: .seconds(5)) }
            await client.close()
        }
    }

    @Test func noRoutableNodeIsNamedAndTheConnectionStaysUsable() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let servers = [DemoServer(spec: DemoNodeSpec(name: "x"), group: group), DemoServer(spec: DemoNodeSpec(name: "y"), group: group)]
        for server in servers { try await server.start() }
        defer { Task { for server in servers { await server.stop() } } }
        try await ProxyFixture.run([ProxyFixture.node("x", port: servers[0].port), ProxyFixture.node("y", port: servers[1].port)]) { proxy in
            #expect(await proxy.pool.execute(.drain(node: "x", force: true)).isDone)
            #expect(await proxy.pool.execute(.drain(node: "y", force: true)).isDone)
            let client = try await proxy.client(.compact, .unframed)
            await #expect(throws: TApplicationException(.internalError, message: #"thrifttop: no routable node for work in cluster "proxied": 2 drained"#)) {
                try await client.call(DemoService.Work.self, .init(costMicros: 0, payload: [1]))
            }
            #expect(await proxy.pool.execute(.undrain(node: "y")).isDone)
            #expect(try await client.call(DemoService.Work.self, .init(costMicros: 0, payload: [4, 2])) == [4, 2])
            await client.close()
        }
    }

    @Test func pipelinedCallsAreAnsweredInTheOrderTheyCame() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let servers = (0..<3).map { DemoServer(spec: DemoNodeSpec(name: "n\($0)"), group: group) }
        for server in servers { try await server.start() }
        defer { Task { for server in servers { await server.stop() } } }
        try await ProxyFixture.run(servers.map { ProxyFixture.node($0.spec.name, port: $0.port) }) { proxy in
            // Three calls in one write; the first is the slowest, so its reply is ready last.
            var bytes = ByteBuffer()
            for (seqid, cost) in [(Int32(30), Int32(400_000)), (10, 0), (20, 100_000)] {
                let message = ThriftMessage.encode(ThriftMessageHeader(name: "work", type: .call, sequenceID: seqid),
                                                   body: DemoService.WorkArgs(costMicros: cost, payload: [UInt8(seqid)]), protocolKind: .binary)
                bytes.writeInteger(Int32(message.readableBytes))
                bytes.writeImmutableBuffer(message)
            }
            let replies = try await RawClient.exchange(port: proxy.port, send: bytes, expectFrames: 3, group: proxy.group)
            let headers = try replies.map { try ThriftMessage(decoding: $0, protocolKind: .binary).header }
            #expect(headers.map(\.sequenceID) == [30, 10, 20])
            #expect(headers.allSatisfy { $0.type == .reply && $0.name == "work" })
            let sent = try await proxy.pool.currentSnapshot().nodes.filter { $0.calls > 0 }.count
            #expect(sent >= 2, "each call is routed on its own, not per connection")
        }
    }

    @Test func garbageOrAnOversizedFrameClosesOnlyThatConnection() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let server = DemoServer(spec: DemoNodeSpec(name: "z"), group: group)
        try await server.start()
        defer { Task { await server.stop() } }
        try await ProxyFixture.run([ProxyFixture.node("z", port: server.port)]) { proxy in
            let good = try await proxy.client()
            var oversized = ByteBuffer()
            oversized.writeInteger(Int32(0x7FFF_0000))
            oversized.writeBytes([0x80, 0x01, 0x00, 0x01])
            // A TLS ClientHello at a plaintext listener.
            let hello = ByteBuffer(bytes: [0x16, 0x03, 0x01, 0x00, 0xA5, 0x01, 0x00, 0x00])
            // A THeader frame with the snappy transform (3), which thrifttop does not take.
            // length 16 | magic | flags | seqid 1 | 1 header word: binary, 1 transform, id 3, pad | payload
            let snappy = ByteBuffer(bytes: [0x00, 0x00, 0x00, 0x10, 0x0F, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01,
                                            0x00, 0x01, 0x03, 0x00, 0xAA, 0xBB])
            // An unframed TJSONProtocol message with a type tag that does not exist: its end
            // cannot be found without reading it, so the stream is lost.
            let badJSON = ByteBuffer(string: "[1,\"work\",1,1,{\"1\":{\"int\":5}}]")
            let noise = ByteBuffer(bytes: [0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x01])
            for bytes in [oversized, hello, snappy, badJSON, noise] {
                let closed = try await RawClient.sendAndAwaitClose(port: proxy.port, send: bytes, group: proxy.group)
                #expect(closed, "the listener closes the connection that sent it")
                #expect(try await good.call(DemoService.Work.self, .init(costMicros: 0, payload: [5])) == [5], "other clients go on")
            }
            let messages = try await proxy.events().filter { $0.kind == .proxy }.map(\.message)
            // Each bad input names what it was.
            for seen in ["closed client 127.0.0.1:", "THeader transform 3 (snappy) is not supported",
                         "malformed TJSONProtocol: unknown type name \"int\"",
                         "(de ad be ef 00 01) are none of HTTP, TLS, THeader or a Thrift message"] {
                #expect(messages.contains { $0.contains("closed client 127.0.0.1:") && $0.contains(seen) }, "\(seen): \(messages)")
            }
            #expect(messages.contains { $0.hasPrefix("TLS client 127.0.0.1:") && $0.contains("it sent a TLS ClientHello") }, "\(messages)")
            #expect(messages.contains { $0.contains("frame of 2147418112 bytes exceeds the maximum frame size 16384000") }, "\(messages)")
            await good.close()
        }
    }
}

/// A bare client for bytes no Thrift library would send.
enum RawClient {
    final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        var received = ByteBuffer()
        let frames: Int
        let done: EventLoopPromise<[ByteBuffer]>

        init(frames: Int, done: EventLoopPromise<[ByteBuffer]>) {
            self.frames = frames
            self.done = done
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            received.writeBuffer(&bytes)
            var view = received
            var out: [ByteBuffer] = []
            while let length = view.readInteger(as: Int32.self), let frame = view.readSlice(length: Int(length)) { out.append(frame) }
            if out.count >= frames { done.succeed(out) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            done.fail(ChannelError.eof)
        }
    }

    static func exchange(port: Int, send: ByteBuffer, expectFrames: Int, group: any EventLoopGroup) async throws -> [ByteBuffer] {
        let loop = group.next()
        let done = loop.makePromise(of: [ByteBuffer].self)
        let channel = try await ClientBootstrap(group: loop)
            .channelInitializer { $0.pipeline.addHandler(Collector(frames: expectFrames, done: done)) }
            .connect(host: "127.0.0.1", port: port).get()
        try await channel.writeAndFlush(send)
        let timeout = loop.scheduleTask(in: .seconds(10)) { done.fail(ChannelError.connectTimeout(.seconds(10))) }
        defer { timeout.cancel() }
        let frames = try await done.futureResult.get()
        try? await channel.close()
        return frames
    }

    /// Whether the peer closed the connection within 10 s of `send`.
    static func sendAndAwaitClose(port: Int, send: ByteBuffer, group: any EventLoopGroup) async throws -> Bool {
        let channel = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port).get()
        try await channel.writeAndFlush(send)
        let closed = channel.eventLoop.makePromise(of: Bool.self)
        channel.closeFuture.whenComplete { _ in closed.succeed(true) }
        let timeout = channel.eventLoop.scheduleTask(in: .seconds(10)) { closed.succeed(false) }
        let result = try await closed.futureResult.get()
        timeout.cancel()
        try? await channel.close()
        return result
    }
}

/// Shares and limits through the proxy, with our demo servers (fast enough for 10,000 calls).
@Suite("Proxy shares and limits", .serialized)
struct ProxySharesTests {
    @Test(arguments: [BalancerKind.smoothWeightedRoundRobin, .weightedRandom])
    func weightsSetTheShareOfCallsThroughTheListener(_ balancer: BalancerKind) async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let servers = (0..<3).map { DemoServer(spec: DemoNodeSpec(name: "w\($0)"), group: group) }
        for server in servers { try await server.start() }
        defer { Task { for server in servers { await server.stop() } } }
        let nodes = servers.enumerated().map { ProxyFixture.node($1.spec.name, port: $1.port, weight: 100 * ($0 + 1)) }
        try await ProxyFixture.run(nodes, configure: { $0.balancer = balancer }) { proxy in
            // 8 persistent client connections, 1,250 calls each.
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for _ in 0..<8 {
                    tasks.addTask {
                        let client = try await proxy.client()
                        for _ in 0..<1250 { _ = try await client.call(FB303.GetName.self) }
                        await client.close()
                    }
                }
                try await tasks.waitForAll()
            }
            let calls = try await proxy.pool.currentSnapshot().nodes.map(\.calls)
            #expect(calls.reduce(0, +) == 10_000)
            for (index, count) in calls.enumerated() {
                let share = Double(count) / 10_000, expected = Double(index + 1) / 6
                #expect(abs(share - expected) <= 0.03, "\(balancer): node \(index) got \(share), expected \(expected)")
            }
        }
    }

    @Test func anIdleClientIsClosedAndSaidSoButOneWaitingForAReplyIsNot() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let server = DemoServer(spec: DemoNodeSpec(name: "i"), group: group)
        try await server.start()
        defer { Task { await server.stop() } }
        try await ProxyFixture.run([ProxyFixture.node("i", port: server.port)], listener: { $0.idleTimeout = .milliseconds(300) }) { proxy in
            let idle = try await proxy.client()
            let busy = try await proxy.client()
            // A call that takes longer than the idle timeout: its connection sent nothing since, but waits.
            #expect(try await busy.call(DemoService.Work.self, .init(costMicros: 700_000, payload: [1]), timeout: .seconds(5)) == [1])
            try await idle.channel.closeFuture.get()
            let messages = try await proxy.events().filter { $0.kind == .proxy }.map(\.message)
            #expect(messages.contains { $0.contains("closed client 127.0.0.1:") && $0.hasSuffix("sent nothing for 0.3 s (idle_timeout_s)") }, "\(messages)")
            #expect(messages.filter { $0.contains("idle_timeout_s") }.count == 1, "the client waiting for its reply stays")
        }
    }

    @Test func connectionsOverTheListenersLimitAreRefusedAndLogged() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let server = DemoServer(spec: DemoNodeSpec(name: "m"), group: group)
        try await server.start()
        defer { Task { await server.stop() } }
        try await ProxyFixture.run([ProxyFixture.node("m", port: server.port)], listener: { $0.maxConnections = 2 }) { proxy in
            let first = try await proxy.client(), second = try await proxy.client()
            let third = try await proxy.client()
            try await third.channel.closeFuture.get()
            #expect(try await first.call(FB303.GetName.self) == "m")
            #expect(try await second.call(FB303.GetName.self) == "m")
            let messages = try await proxy.events().filter { $0.kind == .proxy }.map(\.message)
            #expect(messages.contains { $0.contains("refused 1 client connection(s): 2 already open (max_connections)") }, "\(messages)")
            await first.close()
            await second.close()
        }
    }
}
