import ClusterModel
import ClusterPool
import Foundation
import Testing
import ThriftWire

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
