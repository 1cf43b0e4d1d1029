/// What a reload of the cluster config did, or why it did nothing: the answer of
/// `ClusterPool.reload`, logged as a pool event, audited, and shown by `serve` (SIGHUP),
/// `POST /v1/reload` and the dashboard's `:reload`.
public struct ReloadOutcome: Sendable, Equatable {
    /// Why nothing was applied (a config error as `FILE:LINE: key: message`); nil when the new
    /// config is in force.
    public var refusal: String?
    /// Node names: new in the config, gone from it, and kept with new settings.
    public var added: [String] = []
    public var removed: [String] = []
    public var changed: [String] = []
    /// Listener addresses bound and closed.
    public var listenersAdded: [String] = []
    public var listenersRemoved: [String] = []
    /// What had its certificate and key files read again, in force now (`TLS nodes`,
    /// `listener 127.0.0.1:9443`, `admin endpoint 0.0.0.0:9901`, `[state] etcd`). A listener,
    /// the admin endpoint or `[state]` whose files fail to read keeps the old ones and is in
    /// `notApplied`, naming the file; a node's file that fails to read refuses the whole reload,
    /// as any other mistake in the node's config does.
    public var tlsFilesReread: [String] = []
    /// Parts of the new config not in force, each saying why: a listener that cannot be bound
    /// (naming the address), a section that needs a restart.
    public var notApplied: [String] = []

    public init() {}

    public static func refused(_ reason: String) -> ReloadOutcome {
        var outcome = ReloadOutcome()
        outcome.refusal = reason
        return outcome
    }

    public var isDone: Bool { refusal == nil }

    /// One line: "reloaded: added n4; removed n2; …" or "reload refused: …".
    public var message: String {
        if let refusal { return "reload refused: \(refusal); the old config stays in force" }
        var parts: [String] = []
        func list(_ label: String, _ names: [String]) {
            if !names.isEmpty { parts.append("\(label) \(names.joined(separator: ", "))") }
        }
        list("added", added)
        list("removed", removed)
        list("changed", changed)
        list("listening on", listenersAdded)
        list("stopped listening on", listenersRemoved)
        if parts.isEmpty { parts.append("no node or listener changed") }
        list("TLS files re-read for", tlsFilesReread)
        parts += notApplied.map { "not applied: \($0)" }
        return "reloaded: " + parts.joined(separator: "; ")
    }
}

/// Something besides the pool that a reload changes (the proxy's listeners): called after the
/// pool took the new config, before the outcome is logged and audited, to add what it did.
public protocol ReloadParticipant: Sendable {
    func reload(_ config: ClusterConfig, into outcome: inout ReloadOutcome) async
}
