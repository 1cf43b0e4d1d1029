import ClusterModel
import ClusterPool
import Foundation
import NIOCore
import NIOPosix
import Testing
import ThriftProxy
import ThriftWire

/// A pool and its proxy in this process, with one listener on a port the OS picks, over nodes
/// the test starts. Heartbeats every 100 ms so state changes show fast; `run` always stops
/// everything, also when the body throws.
final class ProxyFixture: Sendable {
    let group: MultiThreadedEventLoopGroup
    let pool: ClusterPool
    let proxy: ProxyServer
    let port: Int

    private init(group: MultiThreadedEventLoopGroup, pool: ClusterPool, proxy: ProxyServer) {
        self.group = group
        self.pool = pool
        self.proxy = proxy
        port = proxy.boundAddresses[0].port
    }

    static func node(_ name: String, port: Int, _ kind: ThriftProtocolKind = .binary, _ transport: ThriftTransportKind = .framed,
                     group: String? = nil, weight: Int = 100) -> NodeConfig {
        var settings = NodeSettings()
        settings.heartbeatInterval = .milliseconds(100)
        settings.callTimeout = .seconds(5)
        settings.protocolKind = kind
        settings.transport = transport
        return NodeConfig(name: name, address: NodeAddress(host: "127.0.0.1", port: port), weight: weight, group: group, settings: settings)
    }

    static func run<T>(_ nodes: [NodeConfig], listener: (inout ListenerConfig) -> Void = { _ in },
                       configure: (inout ClusterConfig) -> Void = { _ in },
                       options configureOptions: (inout PoolOptions) -> Void = { _ in },
                       ready: (String, (ClusterSnapshot) -> Bool) = ("every node up", { $0.nodes.allSatisfy { $0.health == .up } }),
                       threads: Int? = nil,
                       _ body: (ProxyFixture) async throws -> T) async throws -> T {
        var config = ClusterConfig(name: "proxied", nodes: nodes)
        config.minRoutable = 0
        config.health.fall = 2
        var listenerConfig = ListenerConfig(address: NodeAddress(host: "127.0.0.1", port: 0))
        listener(&listenerConfig)
        config.listeners = [listenerConfig]
        configure(&config)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var options = PoolOptions(seed: 42)
        configureOptions(&options)
        let pool = try ClusterPool(config: config, eventLoop: group.next(), options: options)
        let proxy = try await ProxyServer.start(pool: pool, listeners: config.listeners, threads: threads)
        try await pool.start()
        let fixture = ProxyFixture(group: group, pool: pool, proxy: proxy)
        do {
            try await fixture.waitUntil(ready.0, ready.1)
            let result = try await body(fixture)
            await fixture.stop()
            return result
        } catch {
            await fixture.stop()
            throw error
        }
    }

    func stop() async {
        await proxy.shutdown(grace: .seconds(1))
        await pool.stop()
        try? await group.shutdownGracefully()
    }

    /// Polls fresh snapshots until `condition` holds; fails after `seconds` (a generous bound).
    func waitUntil(_ what: String, seconds: Double = 10, _ condition: (ClusterSnapshot) -> Bool) async throws {
        try await Self.waitUntil(pool, what, seconds: seconds, condition)
    }

    /// Polls `pool`'s fresh snapshots until `condition` holds; fails after `seconds`.
    static func waitUntil(_ pool: ClusterPool, _ what: String, seconds: Double = 10, _ condition: (ClusterSnapshot) -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        var last = try await pool.currentSnapshot()
        while !condition(last) {
            guard Date() < deadline else {
                throw PythonProcess.Failure(description: "not within \(seconds) s: \(what); nodes: "
                    + last.nodes.map { "\($0.name) \($0.health) in_flight \($0.inFlight) \($0.lastError ?? "")" }.joined(separator: "; "))
            }
            try await Task.sleep(for: .milliseconds(20))
            last = try await pool.currentSnapshot()
        }
    }

    /// A Thrift client of the listener, in this process.
    func client(_ kind: ThriftProtocolKind = .binary, _ transport: ThriftTransportKind = .framed) async throws -> ThriftConnection {
        try await ThriftConnection.connect(host: "127.0.0.1", port: port, protocolKind: kind, transport: transport, group: group)
    }

    func events() async throws -> [PoolEvent] {
        try await pool.currentSnapshot().events
    }
}

/// Apache Thrift's Python reference server (`demo/python/fb303_server.py`) on a free port.
func startPythonServer(name: String, _ kind: ThriftProtocolKind = .binary, _ transport: ThriftTransportKind = .framed,
                       extra: [String] = []) throws -> (PythonProcess, Int) {
    let server = try PythonProcess(script: "fb303_server.py", arguments: [
        "--port", "0", "--name", name, "--protocol", kind.rawValue, "--transport", transport.rawValue, "--max-seconds", "120",
    ] + extra)
    let line = try server.waitForLine(startingWith: "LISTENING ")
    return (server, try #require(Int(line.dropFirst("LISTENING ".count))))
}

/// A server's own count of calls of `method` (fb303 counters), asked directly, not via the proxy.
func pythonCallCount(port: Int, _ method: String, _ kind: ThriftProtocolKind = .binary, _ transport: ThriftTransportKind = .framed,
                     group: any EventLoopGroup) async throws -> Int64 {
    let connection = try await ThriftConnection.connect(host: "127.0.0.1", port: port, protocolKind: kind, transport: transport, group: group)
    defer { Task { await connection.close() } }
    return try await connection.call(FB303.GetCounters.self)["py.calls.\(method)"] ?? 0
}

/// Runs `demo/python/proxy_client.py` against the listener and returns its last JSON line.
func pythonProxyClient(port: Int, _ arguments: [String], seconds: Double = 60) async throws -> [String: Any] {
    try await pythonProxyClient(port: port, .binary, .framed, arguments, seconds: seconds)
}

func pythonProxyClient(port: Int, _ kind: ThriftProtocolKind, _ transport: ThriftTransportKind,
                       _ arguments: [String], seconds: Double = 60) async throws -> [String: Any] {
    let client = try PythonProcess(script: "proxy_client.py", arguments: [
        "--port", "\(port)", "--protocol", kind.rawValue, "--transport", transport.rawValue,
    ] + arguments)
    let out = try await Task.detached { try client.output(seconds: seconds) }.value
    let last = try #require(out.split(separator: "\n").last.map(String.init))
    return try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
}
