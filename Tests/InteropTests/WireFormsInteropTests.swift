import ClusterModel
import ClusterPool
import DemoCluster
import Foundation
import NIOCore
import NIOPosix
import Testing
import ThriftWire
import TLSHarness
import TLSSupport

/// Every wire form Apache Thrift's Python library speaks, through the listener, to nodes in every
/// form: `demo/python/wire_client.py` sends every Thrift type (extremes, NaN, infinities, -0.0,
/// non-ASCII, struct map keys, unions, a declared exception, a oneway) and checks each value
/// comes back equal; the node is `wire_server.py`, one form per proxy.
@Suite("Wire forms through the listener (THeader, HTTP, JSON)", .serialized)
struct WireFormsInteropTests {
    /// A node the proxy calls: a Python server in one form.
    struct NodeForm: Sendable, CustomStringConvertible {
        var transport: ThriftTransportKind
        var protocolKind: ThriftProtocolKind
        var serverArguments: [String] = []
        var transforms: [THeaderTransform] = []
        var description: String {
            "\(transport)/\(protocolKind)" + (serverArguments.isEmpty ? "" : " " + serverArguments.joined(separator: " "))
                + (transforms.isEmpty ? "" : " transforms \(transforms)")
        }
    }

    /// A client form: wire_client.py's options.
    struct ClientForm: Sendable, CustomStringConvertible {
        var transport: ThriftTransportKind
        var protocolKind: ThriftProtocolKind
        var extra: [String] = []
        var description: String { "\(transport)/\(protocolKind)" + (extra.isEmpty ? "" : " " + extra.joined(separator: " ")) }
        var sendsInfoHeaders: Bool { extra.contains("--header") }
    }

    static let nodeForms: [NodeForm] = [
        NodeForm(transport: .framed, protocolKind: .binary),
        NodeForm(transport: .unframed, protocolKind: .compact),
        NodeForm(transport: .header, protocolKind: .binary),
        NodeForm(transport: .header, protocolKind: .compact, transforms: [.zlib]),
        NodeForm(transport: .http, protocolKind: .binary),
        NodeForm(transport: .http, protocolKind: .compact, serverArguments: ["--http-keepalive"]),
        NodeForm(transport: .framed, protocolKind: .json),
        NodeForm(transport: .http, protocolKind: .json),
    ]

    static let clientForms: [ClientForm] = [
        ClientForm(transport: .framed, protocolKind: .binary),
        ClientForm(transport: .unframed, protocolKind: .compact),
        ClientForm(transport: .header, protocolKind: .binary, extra: ["--header", "trace=abc", "--header", "tenant=ünï"]),
        ClientForm(transport: .header, protocolKind: .compact, extra: ["--zlib", "--header", "trace=z"]),
        ClientForm(transport: .http, protocolKind: .binary),
        ClientForm(transport: .http, protocolKind: .compact),
        ClientForm(transport: .unframed, protocolKind: .json),
        ClientForm(transport: .http, protocolKind: .json),
    ]

    @Test(arguments: nodeForms)
    func everyClientFormReachesThisNodeFormWithEveryValueIntact(_ node: NodeForm) async throws {
        let server = try PythonProcess(script: "wire_server.py", arguments: [
            "--port", "0", "--name", "py-\(node.transport)", "--transport", node.transport.rawValue,
            "--protocol", node.protocolKind.rawValue, "--max-seconds", "180",
        ] + node.serverArguments)
        defer { server.stop() }
        let port = try #require(Int(try server.waitForLine(startingWith: "LISTENING ").dropFirst("LISTENING ".count)))
        var config = ProxyFixture.node("py", port: port, node.protocolKind, node.transport)
        config.settings.wire.headerTransforms = node.transforms
        try await ProxyFixture.run([config]) { proxy in
            for client in Self.clientForms {
                // TJSONProtocol writes binary as base64, which no proxy without the IDL can tell
                // from text: between JSON and the other protocols only text fields translate.
                let acrossJSON = (client.protocolKind == .json) != (node.protocolKind == .json)
                let result = try await Self.wireClient(port: proxy.port, client, skip: acrossJSON ? ["binary"] : [])
                let checks = try #require(result["checks"] as? [String: String])
                #expect(checks.count >= (acrossJSON ? 42 : 44), "\(client) → \(node): every check ran")
                let failed = checks.filter { $0.value != "ok" && !$0.key.hasPrefix("headers.") }
                #expect(failed.isEmpty, "\(client) → \(node): \(failed.sorted { $0.key < $1.key }.prefix(5))")
                let replyHeaders = result["reply_headers"] as? [String: String] ?? [:]
                if client.transport == .header && node.transport == .header {
                    // Info headers both ways: the client's reach the server, the server's come back.
                    let headerChecks = checks.filter { $0.key.hasPrefix("headers.") }
                    #expect(!headerChecks.isEmpty && headerChecks.allSatisfy { $0.value == "ok" }, "\(client) → \(node): \(headerChecks)")
                    #expect(replyHeaders["x-served-by"] == "py-header", "\(client) → \(node): \(replyHeaders)")
                } else {
                    #expect(replyHeaders.isEmpty, "\(client) → \(node): no node headers to pass on")
                }
            }
            let snapshot = try await proxy.pool.currentSnapshot()
            #expect(snapshot.nodes[0].health == .up, "\(node): heartbeats kept it up through the calls")
            #expect(snapshot.nodes[0].serverName == "py-\(node.transport)", "\(node): details fetched")
            if node.transport == .header {
                #expect(snapshot.nodes[0].replyHeaders.contains("x-served-by=py-header"), "the node detail shows the reply headers")
            }
        }
    }

    /// Runs wire_client.py against `port` and returns its JSON line.
    static func wireClient(port: Int, _ form: ClientForm, skip: [String] = []) async throws -> [String: Any] {
        let client = try PythonProcess(script: "wire_client.py", arguments: [
            "--port", "\(port)", "--transport", form.transport.rawValue, "--protocol", form.protocolKind.rawValue,
        ] + form.extra + skip.flatMap { ["--skip", $0] })
        let out = try await Task.detached { try client.output(seconds: 60) }.value
        let last = try #require(out.split(separator: "\n").last.map(String.init), "\(form): no output")
        return try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any], "\(form): \(last)")
    }
}

/// What a listener says to input of the new forms that is wrong: HTTP errors that name it, a
/// TApplicationException for a JSON call it cannot translate, and (in `ProxyInteropTests`) a
/// closed connection with an event for a THeader transform it does not take.
@Suite("Wire forms: wrong input at the listener", .serialized)
struct WireFormsHostileInputTests {
    @Test func httpRequestsThatAreNoCallGetTheirErrorAndTheConnectionStaysUsable() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let server = DemoServer(spec: DemoNodeSpec(name: "z"), group: group)
        try await server.start()
        defer { Task { await server.stop() } }
        try await ProxyFixture.run([ProxyFixture.node("z", port: server.port)]) { proxy in
            let call = #"[1,"getName",1,9,{}]"#
            let responses = try await RawHTTP.exchange(port: proxy.port, [
                "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                "POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\ngarbage",
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-thrift\r\nContent-Length: \(call.utf8.count)\r\n\r\n\(call)",
            ], group: proxy.group)
            try #require(responses.count == 4)
            #expect(responses[0].head.hasPrefix("HTTP/1.1 405 Method Not Allowed"), "\(responses[0])")
            #expect(responses[0].head.contains("Allow: POST"))
            #expect(responses[0].body.contains("thrifttop takes Thrift calls as POST / (THttpClient); this was GET /"))
            #expect(responses[1].head.hasPrefix("HTTP/1.1 404 Not Found"))
            #expect(responses[1].body.contains("nothing is at /nowhere"))
            #expect(responses[2].head.hasPrefix("HTTP/1.1 400 Bad Request"))
            #expect(responses[2].body.contains("(67 61 72 62 61 67) are no binary, compact or JSON message"))
            // After three refusals on the same connection, a call is answered, in JSON as it came.
            #expect(responses[3].head.hasPrefix("HTTP/1.1 200 OK"))
            #expect(responses[3].head.contains("Content-Type: application/x-thrift"))
            #expect(responses[3].body == #"[1,"getName",2,9,{"0":{"str":"z"}}]"#)
        }
    }

    @Test func aJSONCallWithABadTypeTagGetsATApplicationExceptionNamingIt() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let server = DemoServer(spec: DemoNodeSpec(name: "z"), group: group)
        try await server.start()
        defer { Task { await server.stop() } }
        try await ProxyFixture.run([ProxyFixture.node("z", port: server.port)]) { proxy in
            let bad = ByteBuffer(string: #"[1,"work",1,4,{"1":{"int":5}}]"#)
            var framed = ByteBuffer()
            framed.writeInteger(Int32(bad.readableBytes))
            framed.writeImmutableBuffer(bad)
            let frames = try await RawClient.exchange(port: proxy.port, send: framed, expectFrames: 1, group: proxy.group)
            let reply = try ThriftMessage(decoding: try #require(frames.first), protocolKind: .json)
            #expect(reply.header == ThriftMessageHeader(name: "work", type: .exception, sequenceID: 4))
            let exception = try reply.decodeBody(as: TApplicationException.self)
            #expect(exception.kind == .internalError)
            #expect(exception.message?.contains(#"malformed TJSONProtocol: unknown type name "int""#) == true, "\(exception)")
            // The node never saw it, and is still up.
            #expect(try await proxy.pool.currentSnapshot().nodes[0].health == .up)
        }
    }
}

/// HTTP/1.1 requests written as they are, pipelined on one connection, and the responses read back.
enum RawHTTP {
    struct Response: CustomStringConvertible {
        var head: String
        var body: String
        var description: String { head + "\n\n" + body }
    }

    final class Reader: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        var received = ByteBuffer()
        let count: Int
        let done: EventLoopPromise<[Response]>

        init(count: Int, done: EventLoopPromise<[Response]>) {
            self.count = count
            self.done = done
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            received.writeBuffer(&bytes)
            let responses = Self.parse(String(buffer: received))
            if responses.count >= count { done.succeed(responses) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            done.succeed(Self.parse(String(buffer: received)))
        }

        /// The whole responses in `text` (each with a Content-Length).
        static func parse(_ text: String) -> [Response] {
            var responses: [Response] = []
            var rest = Substring(text)
            while let end = rest.range(of: "\r\n\r\n") {
                let head = String(rest[..<end.lowerBound])
                let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                let body = rest[end.upperBound...]
                guard body.utf8.count >= length else { break }
                let bodyEnd = body.utf8.index(body.startIndex, offsetBy: length)
                responses.append(Response(head: head, body: String(body[..<bodyEnd])))
                rest = body[bodyEnd...]
            }
            return responses
        }
    }

    static func exchange(port: Int, _ requests: [String], group: any EventLoopGroup) async throws -> [Response] {
        let loop = group.next()
        let done = loop.makePromise(of: [Response].self)
        let channel = try await ClientBootstrap(group: loop)
            .channelInitializer { $0.pipeline.addHandler(Reader(count: requests.count, done: done)) }
            .connect(host: "127.0.0.1", port: port).get()
        try await channel.writeAndFlush(ByteBuffer(string: requests.joined()))
        let timeout = loop.scheduleTask(in: .seconds(10)) { done.fail(ChannelError.connectTimeout(.seconds(10))) }
        defer { timeout.cancel() }
        let responses = try await done.futureResult.get()
        try? await channel.close()
        return responses
    }
}

/// HTTP over TLS both ways: an HTTPS client (curl) at a TLS listener, and a pool whose node is
/// that listener, reached as `transport = "http"` with `tls`.
@Suite("Wire forms: HTTPS", .serialized)
struct WireFormsHTTPSTests {
    @Test func httpsCallsReachATLSListenerAndAnHTTPNodeOverTLS() async throws {
        let certs = try TestCertificates()
        let group = MultiThreadedEventLoopGroup.singleton
        let server = DemoServer(spec: DemoNodeSpec(name: "z"), group: group)
        try await server.start()
        defer { Task { await server.stop() } }
        try await ProxyFixture.run([ProxyFixture.node("z", port: server.port)], listener: {
            $0.tls = ServerTLSFiles(certFile: certs.cert("server"), keyFile: certs.key("server"))
        }) { front in
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            curl.arguments = ["-s", "--max-time", "10", "--cacert", certs.ca, "-H", "Content-Type: application/x-thrift",
                              "--data-binary", #"[1,"getName",1,3,{}]"#, "https://localhost:\(front.port)/"]
            let out = Pipe()
            curl.standardOutput = out
            try curl.run()
            let body = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            curl.waitUntilExit()
            #expect(body == #"[1,"getName",2,3,{"0":{"str":"z"}}]"#)

            var node = ProxyFixture.node("front", port: front.port, .compact, .http)
            var tls = NodeTLSSettings()
            tls.caFile = certs.ca
            tls.serverName = "localhost"
            node.settings.tls = tls
            try await ProxyFixture.run([node]) { back in
                try await back.waitUntil("details fetched over HTTPS") { $0.nodes[0].serverName == "z" }
                let seen = try await back.pool.currentSnapshot().nodes[0]
                #expect(seen.tls?.version?.hasPrefix("TLS 1.") == true)
                #expect(seen.wire == "http/compact POST /")
            }
        }
    }
}
