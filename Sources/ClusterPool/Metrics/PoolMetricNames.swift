/// The names of every metric the pool and its proxy record through swift-metrics (fixed: they
/// are what dashboards and alerts query), and the help text of each, so an exporter can write
/// the `# HELP` line that swift-metrics has no place for (promtool fails without one).
public enum PoolMetricNames {
    public static let nodeUp = "thrifttop_node_up"
    public static let nodeRoutable = "thrifttop_node_routable"
    public static let nodeHealth = "thrifttop_node_health"
    public static let nodeWeight = "thrifttop_node_weight"
    public static let nodeDrained = "thrifttop_node_drained"
    public static let nodeCertExpiry = "thrifttop_node_cert_expiry_timestamp_seconds"
    public static let calls = "thrifttop_calls_total"
    public static let heartbeats = "thrifttop_heartbeats_total"
    public static let callDuration = "thrifttop_call_duration_seconds"
    public static let heartbeatDuration = "thrifttop_heartbeat_duration_seconds"
    public static let retries = "thrifttop_retries_total"
    public static let retryBudgetExhausted = "thrifttop_retry_budget_exhausted_total"
    public static let ejections = "thrifttop_ejections_total"
    public static let operatorActions = "thrifttop_operator_actions_total"
    public static let routableNodes = "thrifttop_routable_nodes"
    public static let availability = "thrifttop_cluster_availability_ratio"
    public static let proxyConnections = "thrifttop_proxy_connections"
    public static let proxyCalls = "thrifttop_proxy_calls_total"
    public static let proxyTLSHandshakeFailures = "thrifttop_proxy_tls_handshake_failures_total"
    public static let methodCalls = "thrifttop_method_calls_total"
    public static let methodCallDuration = "thrifttop_method_call_duration_seconds"
    public static let methodAttempts = "thrifttop_method_attempts_total"
    public static let methodAttemptDuration = "thrifttop_method_attempt_duration_seconds"

    /// Name → help text, one line each, for every metric above.
    public static let help: [String: String] = [
        nodeUp: "1 when the node answers its heartbeats (up, degraded, or draining by its own status), 0 otherwise.",
        nodeRoutable: "1 when the node takes new calls (serving, not drained, weight above 0, not ejected), 0 otherwise.",
        nodeHealth: "1 for the node's current state (the health label), 0 for states it was in before.",
        nodeWeight: "The node's balancer weight (0-1000), as the operator set it.",
        nodeDrained: "1 when an operator drained the node, 0 otherwise.",
        nodeCertExpiry: "When the certificate a TLS node showed at its last handshake stops being valid (not-after), in Unix seconds.",
        calls: "Call attempts sent to the node, by outcome (ok, exception, timeout, error).",
        heartbeats: "Heartbeats the node answered or failed, by outcome (ok, timeout, error).",
        callDuration: "Round trip of each answered call attempt, in seconds.",
        heartbeatDuration: "Round trip of each answered heartbeat, in seconds.",
        retries: "Call attempts retried on another node.",
        retryBudgetExhausted: "Retries not made because the retry budget was exhausted.",
        ejections: "Times the node was ejected by passive outlier detection after consecutive call failures.",
        operatorActions: "Operator commands (drain, undrain, weight, reset_weight, undo), by outcome (done, refused).",
        routableNodes: "Nodes that take new calls now.",
        availability: "The cluster's availability over the recent window (0-1), over its routable nodes.",
        proxyConnections: "Client connections open on the listener.",
        proxyCalls: "Client calls the listener answered, by outcome (ok, no_routable_node, overloaded, timeout, error, shutting_down).",
        methodCalls: "Calls of each method (at most [metrics] max_methods, then (other)), by outcome (success, declared_exception, application_exception, timeout, transport, refused, sent), across their attempts.",
        methodCallDuration: "Each answered call of the method, from its start to its answer across attempts, in seconds.",
        methodAttempts: "Attempts of each method on each node, by outcome (as thrifttop_method_calls_total); only with [metrics] per_node_histograms.",
        methodAttemptDuration: "Each answered attempt of the method on the node, in seconds; only with [metrics] per_node_histograms.",
        proxyTLSHandshakeFailures: "Client connections of a TLS listener closed before their handshake completed, by reason (no_client_certificate, client_certificate_rejected, certificate_refused_by_client, version, no_shared_cipher, closed, timeout, plaintext_client, other).",
    ]
}
