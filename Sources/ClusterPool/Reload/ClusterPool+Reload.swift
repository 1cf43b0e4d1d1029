import ClusterModel
import NIOCore
import NIOPosix

extension ClusterPool {
    /// Takes a new cluster config without a restart: nodes added start heartbeating, nodes
    /// removed stop (after their calls in flight), nodes with new settings get new connections,
    /// and unchanged nodes keep theirs untouched; drains and operator weights of nodes that stay
    /// are kept. Pool settings (balancer, min_routable, panic_threshold, retry, outlier, proxy,
    /// routes, instance) take the new values; what needs a restart (`[admin]`, name, state_file,
    /// audit_log, event_log_capacity, `[health]` for running nodes) is listed in the outcome and
    /// not applied. `participants` (the proxy's listeners) follow once the pool took it.
    ///
    /// The outcome — what changed, or why nothing did — is a pool event and is audited with
    /// `user`. A config with a bad policy parameter is refused and the old one stays in force.
    public func reload(_ newConfig: ClusterConfig, user: String? = nil, also participants: [any ReloadParticipant] = []) async -> ReloadOutcome {
        let user = user ?? options.user
        let alone = shared.withLockedValue { shared in
            defer { shared.reloading = true }
            return !shared.reloading
        }
        guard alone else { return await refuseReload("another reload is in progress", user: user) }
        defer { shared.withLockedValue { $0.reloading = false } }
        var outcome: ReloadOutcome
        do {
            let policies = try PoolPolicies.make(newConfig, maintenanceInterval: PoolCore.maintenanceInterval)
            // Certificate and key files are read again even when their paths stayed: new
            // handshakes use the renewed files, connections already open keep theirs.
            let tls = try await NIOThreadPool.singleton.runIfActive { try NodeTLSClients(config: newConfig) }
            let (applied, everyLoop) = try await eventLoop.submit { [self] () -> (ReloadOutcome, EventLoopFuture<Void>?) in
                guard let core = core.value, !core.stopped else { return (ReloadOutcome.refused("the pool is not running"), nil) }
                core.tls = tls
                var outcome = core.reload(newConfig, policies: policies)
                outcome.tlsFilesReread += newConfig.nodes.contains { $0.settings.tls != nil } ? ["TLS nodes"] : []
                core.reapplySharedState()
                let applied = core.config
                shared.withLockedValue { $0.config = applied }
                // Readers see removed nodes go at once, not at the next publish.
                core.snapshots.publish(core.buildSnapshot())
                // Answered once every loop routes by the new nodes (and the shared state's say on them).
                return (outcome, EventLoopFuture.andAllComplete(core.publishRouting(), on: eventLoop))
            }.get()
            try? await everyLoop?.get()
            outcome = applied
        } catch {
            outcome = .refused("\(error)")
        }
        if outcome.isDone {
            for participant in participants { await participant.reload(newConfig, into: &outcome) }
        }
        await record(outcome, user: user)
        return outcome
    }

    /// A reload that did not get as far as a config (the file does not read or parse): logged
    /// and audited like any other outcome; the config in force stays.
    public func refuseReload(_ reason: String, user: String? = nil) async -> ReloadOutcome {
        let outcome = ReloadOutcome.refused(reason)
        await record(outcome, user: user ?? options.user)
        return outcome
    }

    private func record(_ outcome: ReloadOutcome, user: String) async {
        let written = try? await eventLoop.submit { [self] in core.value?.recordReload(outcome, user: user) }.get()
        try? await written?.get()
    }
}

extension PoolCore {
    /// The outcome as an event and an audit line (with the operator state, which a removed node
    /// leaves), after every earlier commit.
    func recordReload(_ outcome: ReloadOutcome, user: String) -> EventLoopFuture<Void> {
        log(outcome.isDone && outcome.notApplied.isEmpty ? .notice : .warning, .config, node: nil, "\(OperatorIdentity.acting(user, on: instanceName)): \(outcome.message)")
        let audit = AuditRecord(time: options.wallClock(), user: user, instance: instanceName, action: "reload", node: nil,
                                before: nil, after: nil, result: outcome.message)
        return ledger.log.commit(outcome.isDone ? operatorState() : nil, audit: audit).assumeIsolated().recover { [self] error in
            log(.error, .config, node: nil, "\(error)")
        }.nonisolated()
    }
}
