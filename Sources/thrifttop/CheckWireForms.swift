import ClusterModel
import ClusterPool
import ThriftWire

extension CheckCommand {
    /// The wire forms a node may speak, in the order `check` tries them on a node that never
    /// answered in its configured one.
    static let wireForms: [(transport: ThriftTransportKind, protocolKind: ThriftProtocolKind)] = [
        (.framed, .binary), (.header, .binary), (.header, .compact), (.framed, .compact), (.unframed, .binary),
        (.unframed, .compact), (.http, .binary), (.http, .compact), (.framed, .json), (.unframed, .json), (.http, .json),
    ]

    /// Whether a failed node may simply speak another form: it took the connection and then
    /// closed it or stayed silent on the first call (not refused, not a TLS failure, not an
    /// answer), or its first bytes read as an absurd frame length (another form's bytes: an HTTP
    /// server's error page is `<!DO…` when it answers a framed call without a status line).
    static func mayMismatch(_ result: Result) -> Bool {
        guard result.verdict == .rpcFailure || result.verdict == .connectionFailure, let error = result.error else { return false }
        return error.contains("transport mismatch") || error.contains("first heartbeat on a new connection")
            || error.contains("another transport") || error.contains("exceeds the maximum frame size")
    }

    /// For each node, the first other form it answers a heartbeat in, if any: every form of
    /// every node tried at once, through the pool as in `check` itself.
    static func formsAnswering(_ nodes: [NodeConfig], in config: ClusterConfig) async throws -> [String: String] {
        var probes: [NodeConfig] = []
        var owners: [(node: String, form: String)] = []
        for node in nodes {
            for form in wireForms where form.transport != node.settings.transport || form.protocolKind != node.settings.protocolKind {
                var probe = node
                probe.name = "\(node.name)~\(probes.count)"
                probe.settings.transport = form.transport
                probe.settings.protocolKind = form.protocolKind
                probe.settings.wire = TransportOptions(httpPath: node.settings.wire.httpPath)
                probes.append(probe)
                owners.append((node.name, "transport = \"\(form.transport.rawValue)\", protocol = \"\(form.protocolKind.rawValue)\""))
            }
        }
        guard !probes.isEmpty else { return [:] }
        var probeConfig = config
        probeConfig.nodes = probes
        let results = try await check(probeConfig)
        var answers: [String: String] = [:]
        for (owner, result) in zip(owners, results) where answers[owner.node] == nil {
            if result.verdict == .serving || result.verdict == .notServing { answers[owner.node] = owner.form }
        }
        return answers
    }
}
