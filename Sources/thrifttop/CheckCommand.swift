import ArgumentParser
import ClusterModel
import ClusterPool
import Foundation
import NIOCore
import NIOPosix
import ThriftWire

/// `thrifttop check`: one round of heartbeats for scripts and monitors, with
/// grpc-health-probe's exit codes.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Heartbeat every node once and exit with a health code (for scripts and monitors).",
        discussion: """
        Exit codes, as grpc-health-probe: 0 all serving, 1 bad arguments or config, 2 connection failure, 3 RPC failure or timeout, 4 not serving. With several failing nodes the code is the first of 2, 3, 4 that applies. WARNING counts as serving.

        Examples:
          thrifttop check demo/cluster.toml
          thrifttop check cluster.toml --json
          thrifttop check cluster.toml --node db-3 && echo healthy
        """
    )

    @Argument(help: "The cluster config (TOML).")
    var cluster: String

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(help: "Check only this node.")
    var node: String?

    /// One node's verdict.
    enum Verdict: String, Encodable {
        case serving = "SERVING"
        case notServing = "NOT_SERVING"
        case connectionFailure = "CONNECTION_FAILURE"
        case rpcFailure = "RPC_FAILURE"

        var exitCode: Int32 {
            switch self {
            case .serving: 0
            case .connectionFailure: 2
            case .rpcFailure: 3
            case .notServing: 4
            }
        }
    }

    struct Result: Encodable {
        var name: String
        var address: String
        var verdict: Verdict
        var fb303Status: String?
        var latencyMs: Double?
        var error: String?

        enum CodingKeys: String, CodingKey {
            case name, address, verdict = "status", fb303Status = "fb303_status", latencyMs = "latency_ms", error
        }
    }

    struct Report: Encodable {
        var cluster: String
        var serving: Bool
        var exitCode: Int32
        var nodes: [Result]
        enum CodingKeys: String, CodingKey { case cluster, serving, exitCode = "exit_code", nodes }
    }

    func run() async throws {
        let config: ClusterConfig
        do {
            config = try ClusterLoading.config(cluster)
        } catch let error as CLIError {
            throw Self.fail(error.description)
        }
        var nodes = config.nodes
        if let node {
            guard let match = nodes.first(where: { $0.name == node }) else {
                let hint = NameSuggestion.closest(to: node, in: nodes.map(\.name)).map { " (did you mean \($0)?)" } ?? ""
                throw Self.fail("no node named \"\(node)\" in \(cluster)\(hint)")
            }
            nodes = [match]
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let results = await withTaskGroup(of: (Int, Result).self) { tasks in
            for (index, node) in nodes.enumerated() {
                tasks.addTask { (index, await Self.check(node, group: group)) }
            }
            var collected: [(Int, Result)] = []
            for await result in tasks { collected.append(result) }
            return collected.sorted { $0.0 < $1.0 }.map(\.1)
        }
        try? await group.shutdownGracefully()
        let failing = results.map(\.verdict).filter { $0 != .serving }
        let code = [Verdict.connectionFailure, .rpcFailure, .notServing].first { failing.contains($0) }?.exitCode ?? 0
        let report = Report(cluster: config.name, serving: code == 0, exitCode: code, nodes: results)
        print(json ? Self.json(report) : Self.table(report))
        if code != 0 { throw ExitCode(code) }
    }

    static func check(_ node: NodeConfig, group: any EventLoopGroup) async -> Result {
        var result = Result(name: node.name, address: node.address.description, verdict: .serving)
        let s = node.settings
        let connection: ThriftConnection
        do {
            connection = try await ThriftConnection.connect(host: node.address.host, port: node.address.port, protocolKind: s.protocolKind,
                                                            transport: s.transport, connectTimeout: s.connectTimeout, group: group)
        } catch {
            result.verdict = .connectionFailure
            result.error = ErrorText.describe(error)
            return result
        }
        defer { Task { await connection.close() } }
        let start = NIODeadline.now()
        do {
            // The same heartbeat, read the same way, as the pool's.
            let reply = try await connection.send(method: s.heartbeat.methodName, args: ThriftEmptyStruct.encoded, timeout: s.callTimeout)
            if let status = try s.heartbeat.interpret(ThriftProbeReply(reply)) {
                result.fb303Status = status.description
                result.verdict = status.health.isServing ? .serving : .notServing
            }
            result.latencyMs = Double((NIODeadline.now() - start).nanoseconds) / 1e6
        } catch ThriftClientError.connectionClosed {
            result.verdict = .connectionFailure
            result.error = "connection closed by the server on the first call (transport or protocol mismatch? configured \(s.transport.rawValue)/\(s.protocolKind.rawValue))"
        } catch {
            result.verdict = .rpcFailure
            result.error = ErrorText.describe(error)
        }
        return result
    }

    static func json(_ report: Report) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return String(decoding: (try? encoder.encode(report)) ?? Data(), as: UTF8.self)
    }

    static func table(_ report: Report) -> String {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        let nameWidth = max(4, report.nodes.map(\.name.count).max() ?? 4) + 2
        let addressWidth = max(7, report.nodes.map(\.address.count).max() ?? 7) + 2
        var lines = [pad("NODE", nameWidth) + pad("ADDRESS", addressWidth) + pad("STATUS", 20) + pad("FB303", 10) + pad("LATENCY", 10) + "ERROR"]
        for n in report.nodes {
            let latency = n.latencyMs.map { String(format: "%.2f ms", $0) } ?? "-"
            lines.append(pad(n.name, nameWidth) + pad(n.address, addressWidth) + pad(n.verdict.rawValue, 20) + pad(n.fb303Status ?? "-", 10)
                         + pad(latency, 10) + (n.error ?? ""))
        }
        let serving = report.nodes.filter { $0.verdict == .serving }.count
        lines.append("\(report.cluster): \(serving)/\(report.nodes.count) serving, exit \(report.exitCode)")
        return lines.joined(separator: "\n")
    }
}
