import ClusterPool
import DemoCluster
import Foundation
import NIOCore
import NIOPosix
import Testing
import ThriftWire

/// Both directions against Apache Thrift's own Python library (python3-thrift 0.17), with code
/// generated from demo/fb303.thrift and demo/demo.thrift by thrift-compiler at test time.
@Suite("Apache Thrift interop", .serialized)
struct ApacheThriftInteropTests {
    let group = MultiThreadedEventLoopGroup.singleton

    // MARK: Apache Thrift Python client → our demo server

    @Test(arguments: [(ThriftProtocolKind.binary, ThriftTransportKind.framed), (.compact, .framed), (.binary, .unframed)])
    func theGeneratedPythonClientTalksToOurDemoServer(_ kind: ThriftProtocolKind, _ transport: ThriftTransportKind) async throws {
        let server = DemoServer(spec: DemoNodeSpec(name: "interop", protocolKind: kind, transport: transport, version: "7.1"), group: group)
        try await server.start()
        defer { Task { await server.stop() } }
        let client = try PythonProcess(script: "fb303_client.py", arguments: [
            "--port", "\(server.port)", "--protocol", kind.rawValue, "--transport", transport.rawValue,
        ])
        let out = try await Task.detached { try client.output() }.value
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        #expect(json["getName"] as? String == "interop")
        #expect(json["getVersion"] as? String == "7.1")
        #expect(json["getStatus"] as? String == "ALIVE")
        #expect(json["getStatusDetails"] as? String == "")
        let counters = try #require(json["getCounters"] as? [String: Int])
        #expect(counters["demo.calls"] == 5)
        #expect(counters["demo.heartbeat.clients"] == 1)
        #expect(json["getCounter"] as? Int == 6)
        #expect(abs((json["aliveSince"] as? Int ?? 0) - Int(Int64(PoolOptions.unixTime()))) < 10)
        let work = try #require(json["work"] as? [String: Any])
        #expect(work["ok"] as? Bool == true)
        #expect(work["length"] as? Int == 1024)
        let failed = try #require(json["workFailed"] as? [String: Any])
        #expect(failed["reason"] as? String == "costMicros must not be negative")
        #expect(failed["code"] as? Int == -7)
        #expect(json["afterException"] as? String == "ALIVE")
        await server.stop()
    }

    // MARK: our NIO client → the Apache Thrift Python reference server

    func startReference(_ kind: ThriftProtocolKind, _ transport: ThriftTransportKind, status: String = "ALIVE") throws -> (PythonProcess, Int) {
        let server = try PythonProcess(script: "fb303_server.py", arguments: [
            "--port", "0", "--protocol", kind.rawValue, "--transport", transport.rawValue,
            "--status", status, "--details", "reference details", "--max-seconds", "120",
        ])
        let line = try server.waitForLine(startingWith: "LISTENING ")
        return (server, try #require(Int(line.dropFirst("LISTENING ".count))))
    }

    @Test(arguments: [(ThriftProtocolKind.binary, ThriftTransportKind.framed), (.compact, .framed), (.binary, .unframed), (.compact, .unframed)])
    func ourClientCallsEveryMethodOfTheReferenceServer(_ kind: ThriftProtocolKind, _ transport: ThriftTransportKind) async throws {
        let (server, port) = try startReference(kind, transport, status: "WARNING")
        defer { server.stop() }
        let c = try await ThriftConnection.connect(host: "127.0.0.1", port: port, protocolKind: kind, transport: transport, group: group)
        #expect(try await c.call(FB303.GetName.self) == "python-reference")
        #expect(try await c.call(FB303.GetVersion.self) == "python-thrift-reference 1.0")
        #expect(try await c.call(FB303.GetStatus.self) == .warning)
        #expect(try await c.call(FB303.GetStatusDetails.self) == "reference details")
        let since = try await c.call(FB303.AliveSince.self)
        #expect(abs(since - Int64(PoolOptions.unixTime())) < 60)
        let counters = try await c.call(FB303.GetCounters.self)
        #expect(counters["py.calls.getName"] == 1)
        #expect(counters["py.calls.getStatus"] == 1)
        #expect(try await c.call(FB303.GetCounter.self, .init(key: "py.calls.getVersion")) == 1)
        #expect(try await c.call(FB303.GetCounter.self, .init(key: "no.such.counter")) == 0)
        let payload = (0..<300).map { UInt8($0 % 256) }
        #expect(try await c.call(DemoService.Work.self, .init(costMicros: 50, payload: payload)) == payload)

        // The declared exception, and both kinds of TApplicationException the library sends.
        await #expect(throws: DemoService.WorkFailed(reason: "costMicros must not be negative", code: -3)) {
            try await c.call(DemoService.Work.self, .init(costMicros: -3, payload: []))
        }
        await #expect(throws: TApplicationException(.internalError, message: "reference server refused the work")) {
            try await c.call(DemoService.Work.self, .init(costMicros: 0, payload: Array("raise-internal".utf8)))
        }
        await #expect(throws: TApplicationException(.internalError, message: "Internal error")) {
            try await c.call(DemoService.Work.self, .init(costMicros: 0, payload: Array("raise-other".utf8)))
        }
        // Unknown method: type UNKNOWN_METHOD with Python's text; the connection stays usable.
        let reply = try await c.send(method: "noSuchMethod", args: ThriftMessage.encodeStruct(ThriftEmptyStruct(), protocolKind: kind), timeout: .seconds(5))
        #expect(throws: TApplicationException(.unknownMethod, message: "Unknown function noSuchMethod")) {
            try reply.result(as: ThriftEmptyStruct.self)
        }
        #expect(try await c.call(FB303.GetStatus.self) == .warning)
        await c.close()
    }

    @Test func manyOverlappingCallsOnOneConnectionAreMatchedBySeqid() async throws {
        let (server, port) = try startReference(.binary, .framed)
        defer { server.stop() }
        let c = try await ThriftConnection.connect(host: "127.0.0.1", port: port, protocolKind: .binary, transport: .framed, group: group)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for i in 0..<50 {
                tasks.addTask {
                    let payload = Array("call-\(i)".utf8)
                    let echoed = try await c.call(DemoService.Work.self, .init(costMicros: Int32(i * 20), payload: payload))
                    #expect(echoed == payload)
                }
            }
            try await tasks.waitForAll()
        }
        await c.close()
    }

    @Test func anUnframedClientAtAFramedReferenceServerFailsAsAConnectionError() async throws {
        // Python's framed server reads "80 01 00 01" as a frame length and drops the connection.
        let (server, port) = try startReference(.binary, .framed)
        defer { server.stop() }
        let c = try await ThriftConnection.connect(host: "127.0.0.1", port: port, protocolKind: .binary, transport: .unframed, group: group)
        do {
            _ = try await c.call(FB303.GetStatus.self, timeout: .seconds(5))
            Issue.record("expected the call to fail")
        } catch is ThriftConnection.CallError {
            Issue.record("expected the server to close the connection, not a timeout")
        } catch {
            // connection reset or closed: either is a connection-level failure
        }
        await c.close()
    }
}
