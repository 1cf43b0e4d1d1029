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
        Exit codes, as grpc-health-probe: 0 all serving, 1 bad arguments or config, 2 connection failure, 3 RPC failure or timeout, 4 not serving. A failed TLS handshake (TLS_FAILURE) is a connection failure: 2. With several failing nodes the code is the first of 2, 3, 4 that applies. WARNING counts as serving. For TLS nodes the JSON has tls_version and cert_expires_in_days.

        Examples:
          thrifttop check demo/cluster.toml
          thrifttop check cluster.toml --json
          thrifttop check cluster.toml --node db-3 && echo healthy
        """,
        version: ThrifttopVersion.text
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
        /// The TLS handshake failed (unknown CA, expired, name mismatch…): a connection failure.
        case tlsFailure = "TLS_FAILURE"
        case rpcFailure = "RPC_FAILURE"

        var exitCode: Int32 {
            switch self {
            case .serving: 0
            case .connectionFailure, .tlsFailure: 2
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
        var tlsVersion: String?
        /// Whole days until the certificate of the handshake expires (negative: expired).
        var certExpiresInDays: Int?
        /// Within the node's `tls_cert_warn_days`.
        var certExpiresSoon: Bool?
        /// A node that did not answer in its configured wire form but does in this one.
        var answersAs: String?

        enum CodingKeys: String, CodingKey {
            case name, address, verdict = "status", fb303Status = "fb303_status", latencyMs = "latency_ms", error
            case tlsVersion = "tls_version", certExpiresInDays = "cert_expires_in_days", certExpiresSoon = "cert_expires_soon"
            case answersAs = "answers_as"
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
            // A script reading --json gets an object on stdout even for a config it cannot use.
            if json { print(Self.json(ErrorReport(error: error.description, exitCode: 1))) }
            throw Self.fail(error.description)
        }
        for warning in config.warnings { FileHandleOut.write("warning: \(warning)\n", to: 2) }
        var nodes = config.nodes
        if let node {
            guard let match = nodes.first(where: { $0.name == node }) else {
                let hint = NameSuggestion.closest(to: node, in: nodes.map(\.name)).map { " (did you mean \($0)?)" } ?? ""
                throw Self.fail("no node named \"\(node)\" in \(cluster)\(hint)")
            }
            nodes = [match]
        }
        var checked = config
        checked.nodes = nodes
        // No operator state and no audit: a check changes nothing and must not touch those files.
        checked.stateFile = nil
        checked.auditLog = nil
        var results = try await Self.check(checked)
        let suspects = results.filter(Self.mayMismatch).map(\.name)
        if !suspects.isEmpty {
            let answers = try await Self.formsAnswering(nodes.filter { suspects.contains($0.name) }, in: checked)
            for index in results.indices {
                guard let form = answers[results[index].name] else { continue }
                results[index].answersAs = form
                // The answer replaces the guess.
                let error = results[index].error ?? ""
                let said = error.range(of: " — likely").map { String(error[..<$0.lowerBound]) } ?? error
                results[index].error = said + " — it answers with \(form): set that for this node"
            }
        }
        let failing = results.map(\.verdict).filter { $0 != .serving }
        let code = [Verdict.connectionFailure, .tlsFailure, .rpcFailure, .notServing].first { failing.contains($0) }?.exitCode ?? 0
        let report = Report(cluster: config.name, serving: code == 0, exitCode: code, nodes: results)
        print(json ? Self.json(report) : Self.table(report))
        if code != 0 { throw ExitCode(code) }
    }

    /// One heartbeat per node through the pool itself (the same connection set-up, heartbeat,
    /// reading of the reply and sanitizing of server text as the dashboard's), then each node's
    /// verdict from what the pool saw first.
    static func check(_ config: ClusterConfig) async throws -> [Result] {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pool = try ClusterPool(config: config, eventLoop: group.next())
        try await pool.start()
        // A TLS node's handshake has a connect timeout of its own after the TCP connect.
        let longest = config.nodes.map { node in
            node.settings.connectTimeout * (node.settings.tls == nil ? 1 : 2) + node.settings.callTimeout
        }.max() ?? .seconds(1)
        let deadline = NIODeadline.now() + longest + .milliseconds(500)
        var snapshot = try await pool.currentSnapshot()
        while !snapshot.nodes.allSatisfy(isDecided), NIODeadline.now() < deadline {
            try await Task.sleep(for: .milliseconds(5))
            snapshot = try await pool.currentSnapshot()
        }
        await pool.stop()
        try? await group.shutdownGracefully()
        return zip(config.nodes, snapshot.nodes).map { node, seen in
            verdict(node, seen, events: snapshot.events.filter { $0.node == node.name }, waited: longest, now: snapshot.wallTime)
        }
    }

    /// A node is decided once its first heartbeat came back (or failed), or its connection did.
    static func isDecided(_ node: NodeSnapshot) -> Bool {
        node.heartbeatsOK + node.heartbeatsFailed > 0 || (node.health == .down && node.lastError != nil)
    }

    static func verdict(_ node: NodeConfig, _ seen: NodeSnapshot, events: [PoolEvent], waited: TimeAmount, now: Double) -> Result {
        var result = Result(name: node.name, address: node.address.description, verdict: .serving)
        result.error = seen.lastError
        if let tls = seen.tls {
            result.tlsVersion = tls.version
            result.certExpiresInDays = tls.certificate?.daysLeft(at: now)
            result.certExpiresSoon = tls.certificate.map { _ in tls.certificateExpiresSoon(at: now) }
        }
        if seen.heartbeatsOK > 0 {
            result.latencyMs = seen.recentLatencies.last
            result.fb303Status = seen.fbStatus
            let serving = seen.fbStatus.flatMap(FBStatus.init(name:)).map(\.health.isServing) ?? true
            result.verdict = serving ? .serving : .notServing
            result.error = nil
        } else if seen.lastError != nil, events.contains(where: { $0.kind == .tls && $0.severity >= .error }) {
            result.verdict = .tlsFailure
        } else if !seen.connected, seen.lastError != nil, events.contains(where: { $0.kind == .connection && $0.message.hasPrefix("cannot connect") }) {
            // Never connected: the heartbeats it missed meanwhile count as failed, but what
            // failed is the connection.
            result.verdict = .connectionFailure
        } else if seen.heartbeatsFailed > 0 {
            result.verdict = .rpcFailure
        } else if seen.lastError != nil, events.contains(where: { $0.kind == .connection || $0.kind == .transportMismatch }) {
            result.verdict = .connectionFailure
        } else {
            result.verdict = .rpcFailure
            result.error = "no heartbeat outcome within \(waited.nanoseconds / 1_000_000) ms"
        }
        return result
    }

    /// What `--json` prints when there is no cluster to check (a bad config).
    struct ErrorReport: Encodable {
        var error: String
        var exitCode: Int32
        var serving = false
        enum CodingKeys: String, CodingKey { case error, exitCode = "exit_code", serving }
    }

    static func json(_ report: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return String(decoding: (try? encoder.encode(report)) ?? Data(), as: UTF8.self)
    }

    static func table(_ report: Report) -> String {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        let nameWidth = max(4, report.nodes.map(\.name.count).max() ?? 4) + 2
        let addressWidth = max(7, report.nodes.map(\.address.count).max() ?? 7) + 2
        // A CERT column only when some node speaks TLS.
        let tls = report.nodes.contains { $0.tlsVersion != nil || $0.verdict == .tlsFailure }
        var lines = [pad("NODE", nameWidth) + pad("ADDRESS", addressWidth) + pad("STATUS", 20) + pad("FB303", 10) + pad("LATENCY", 10)
                     + (tls ? pad("CERT", 12) : "") + "ERROR"]
        for n in report.nodes {
            let latency = n.latencyMs.map { String(format: "%.2f ms", $0) } ?? "-"
            let cert = n.certExpiresInDays.map { (n.certExpiresSoon == true ? "! " : "") + "\($0)d left" } ?? "-"
            lines.append(pad(n.name, nameWidth) + pad(n.address, addressWidth) + pad(n.verdict.rawValue, 20) + pad(n.fb303Status ?? "-", 10)
                         + pad(latency, 10) + (tls ? pad(cert, 12) : "") + (n.error ?? ""))
        }
        let serving = report.nodes.filter { $0.verdict == .serving }.count
        lines.append("\(report.cluster): \(serving)/\(report.nodes.count) serving, exit \(report.exitCode)")
        return lines.joined(separator: "\n")
    }
}
