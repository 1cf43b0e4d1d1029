import ClusterModel
import NIOCore
import ThriftWire

extension PoolCore {
    // MARK: connections

    func connect(_ node: NodeRuntime) {
        guard !stopped else { return }
        node.connection = .connecting
        let address = node.config.address
        ThriftConnection.connect(
            host: address.host, port: address.port, protocolKind: node.settings.protocolKind,
            transport: node.settings.transport, connectTimeout: node.settings.connectTimeout, group: loop
        ).hop(to: loop).assumeIsolated().whenComplete { [self] result in
            switch result {
            case let .success(connection):
                guard !stopped else {
                    connection.channel.close(promise: nil)
                    return
                }
                connected(node, connection)
            case let .failure(error):
                node.connection = .backingOff
                hardFailure(node, "cannot connect to \(address): \(ErrorText.describe(error))")
                scheduleReconnect(node)
            }
        }
    }

    private func connected(_ node: NodeRuntime, _ connection: ThriftConnection) {
        node.connection = .connected(connection)
        node.repliesOnConnection = 0
        node.requestsOnConnection = 0
        node.backoff.reset()
        node.phi.reset()
        node.heartbeatOutstanding = false
        node.dirty = true
        log(.info, .connection, node: node, "connected to \(node.config.address)")
        connection.channel.closeFuture.hop(to: loop).assumeIsolated().whenComplete { [self] _ in
            connectionLost(node, connection)
        }
        // Heartbeat replies come here for the life of the connection (no callback per beat).
        // The handler drops this closure when the connection closes.
        let id = ObjectIdentifier(connection)
        connection.onProbeOutcome { [self] outcome in
            guard let current = node.liveConnection, ObjectIdentifier(current) == id, node.heartbeatOutstanding else { return }
            node.heartbeatOutstanding = false
            heartbeatCompleted(node, outcome)
            refreshNodeSnapshotIfReading(node)
        }
        // Check at once rather than at the next scheduled beat: a restarted node comes back fast.
        sendHeartbeat(node)
        fetchDetails(node)
    }

    private func connectionLost(_ node: NodeRuntime, _ connection: ThriftConnection) {
        guard !stopped, case let .connected(current) = node.connection, current === connection else { return }
        node.connection = .backingOff
        if let hint = node.mismatchHint {
            hardFailure(node, kind: .transportMismatch,
                        "transport mismatch: \(node.config.address) closed the connection on the first call without replying — \(hint)")
        } else {
            hardFailure(node, "connection to \(node.config.address) closed by the server or reset")
        }
        scheduleReconnect(node)
    }

    /// Hard evidence (refused, reset, EOF): down at once, no waiting for timeouts.
    func hardFailure(_ node: NodeRuntime, kind: PoolEvent.Kind = .connection, _ reason: String) {
        node.hysteresis.forceDown()
        node.everHeard = true
        if node.recordError(reason) {
            log(.error, kind, node: node, reason)
        }
        updateHealth(node, reason: kind == .transportMismatch ? "transport mismatch" : reason)
    }

    private func scheduleReconnect(_ node: NodeRuntime) {
        guard !stopped else { return }
        let delay = node.backoff.nextDelay(using: &random)
        node.reconnectTask = loop.assumeIsolated().scheduleTask(in: delay) { [self] in
            connect(node)
        }
    }

    // MARK: heartbeats

    func scheduleHeartbeat(_ node: NodeRuntime, at due: NIODeadline) {
        guard !stopped else { return }
        node.nextHeartbeatDue = due
        wheel.schedule(.heartbeat(node.index), at: due)
    }

    /// A send with a deadline enforced by the pool's wheel rather than a timer of its own.
    func send(_ node: NodeRuntime, on connection: ThriftConnection, method: String, args: ByteBuffer, timeout: TimeAmount) -> EventLoopFuture<ThriftMessage> {
        let deadline = now + timeout
        // One tick late: the bucket holding the deadline can run a little before it.
        wheel.schedule(.expire(node.index), at: deadline + options.tick)
        return connection.send(method: method, args: args, deadline: deadline)
    }

    func heartbeatDue(_ node: NodeRuntime) {
        let now = self.now
        let due = node.nextHeartbeatDue ?? now
        _ = lateness.record(UInt64(max(0, (now - due).nanoseconds / 1000)))
        var next = due + node.settings.heartbeatInterval
        if next <= now { next = now + node.settings.heartbeatInterval }
        scheduleHeartbeat(node, at: next)
        if node.liveConnection == nil {
            // Disconnected: this interval counts against the node's availability.
            node.availability.record(false)
            node.dirty = true
            return
        }
        sendHeartbeat(node)
        if let last = node.lastDetailsFetch, now - last >= node.settings.detailsInterval {
            fetchDetails(node)
        }
    }

    func sendHeartbeat(_ node: NodeRuntime) {
        guard let connection = node.liveConnection, !node.heartbeatOutstanding else { return }
        let timeout = heartbeatTimeout(node)
        let sentAt = now
        // Outstanding before the send: a write that fails at once reports before it returns.
        node.heartbeatOutstanding = true
        node.heartbeatSentAt = sentAt
        // A probe, not a call: the reply comes to the closure set up in `connected`.
        guard connection.sendProbe(method: node.settings.heartbeat.methodName, deadline: sentAt + timeout) else {
            node.heartbeatOutstanding = false
            return  // the connection already failed: its close handler records it
        }
        // One tick late: the bucket holding the deadline can run a little before it.
        wheel.schedule(.expire(node.index), at: sentAt + timeout + options.tick)
        node.requestsOnConnection += 1
        heartbeatsSent += 1
    }

    /// Shorter than the interval by two ticks (deadlines are enforced at tick granularity), so a
    /// lost heartbeat has failed before the next is due and that one is not skipped (one
    /// outstanding per node): a hang is down within fall × interval.
    func heartbeatTimeout(_ node: NodeRuntime) -> TimeAmount {
        let interval = node.settings.heartbeatInterval
        return min(node.settings.callTimeout, max(interval - options.tick * 2, .nanoseconds(interval.nanoseconds / 2)))
    }

    private func heartbeatCompleted(_ node: NodeRuntime, _ outcome: Result<ThriftProbeReply, any Error>) {
        let sentAt = node.heartbeatSentAt, timeout = heartbeatTimeout(node)
        switch outcome {
        case let .success(reply):
            node.repliesOnConnection += 1
            let millis = Double((now - sentAt).nanoseconds) / 1e6
            do {
                let status = try node.settings.heartbeat.interpret(reply)
                heartbeatSucceeded(node, millis: millis, status: status)
            } catch let error as TApplicationException {
                heartbeatFailed(node, kind: .applicationException, "getStatus raised TApplicationException \(error)")
            } catch {
                heartbeatFailed(node, kind: .protocolError, "heartbeat reply: \(ErrorText.describe(error))")
            }
        case let .failure(error):
            if let pauseEnd = pauseEndedAt, sentAt < pauseEnd {
                return  // sent before a local pause: not the node's fault
            }
            if pauseGuard.isPaused(at: now) {
                // An overdue timeout can run before the tick that notices the pause: same rule.
                return
            }
            switch error {
            case ThriftClientError.timedOut:
                if let hint = node.mismatchHint {
                    heartbeatFailed(node, kind: .transportMismatch, "no reply to the first call on a new connection within \(timeout.nanoseconds / 1_000_000) ms — \(hint)")
                } else {
                    heartbeatFailed(node, kind: .timeout, "heartbeat timed out after \(timeout.nanoseconds / 1_000_000) ms")
                }
            case let wire as ThriftWireError:
                if case .transportMismatch = wire.kind {
                    heartbeatFailed(node, kind: .transportMismatch, "\(wire) — check the node's transport (framed/unframed) setting")
                } else {
                    heartbeatFailed(node, kind: .protocolError, wire.description)
                }
            case let ThriftClientError.undecodableReply(detail):
                node.repliesOnConnection += 1
                heartbeatFailed(node, kind: .protocolError, "undecodable heartbeat reply: \(detail)")
            case ThriftClientError.connectionClosed, ThriftClientError.notSent:
                break  // the close handler records the hard failure
            default:
                heartbeatFailed(node, kind: .protocolError, ErrorText.describe(error))
            }
        }
    }

    private func heartbeatSucceeded(_ node: NodeRuntime, millis: Double, status: FBStatus?) {
        let now = self.now
        node.latency.record(millis: millis, at: now)
        node.peak.observe(millis: millis, at: now)
        node.phi.heartbeat(at: now)
        node.availability.record(true)
        node.heartbeatsOK += 1
        node.everHeard = true
        if !node.everUp {
            node.everUp = true
            node.hysteresis = HysteresisDetector(fall: config.health.fall, rise: config.health.rise, startUp: true)
        } else {
            node.hysteresis.record(success: true)
        }
        if let status, status != node.fbStatus {
            if let old = node.fbStatus {
                log(status == .alive ? .info : .notice, .stateChange, node: node, "fb303 status \(old) → \(status)")
            }
            node.fbStatus = status
            fetchStatusDetails(node)
        }
        node.dirty = true
        updateHealth(node)
    }

    private func heartbeatFailed(_ node: NodeRuntime, kind: PoolEvent.Kind, _ text: String) {
        node.heartbeatsFailed += 1
        node.availability.record(false)
        node.hysteresis.record(success: false)
        node.everHeard = true
        if node.recordError(text) {
            log(kind == .timeout ? .warning : .error, kind, node: node, text)
        }
        updateHealth(node, reason: text)
    }

    // MARK: fb303 details

    func fetchStatusDetails(_ node: NodeRuntime) {
        guard case .fb303 = node.settings.heartbeat, let connection = node.liveConnection else { return }
        call(FB303.GetStatusDetails.self, on: connection, node) { node, details in node.statusDetails = TextSanitizer.clean(details) }
    }

    func fetchDetails(_ node: NodeRuntime) {
        node.lastDetailsFetch = now
        guard case .fb303 = node.settings.heartbeat, let connection = node.liveConnection else { return }
        call(FB303.GetName.self, on: connection, node) { node, name in node.serverName = TextSanitizer.clean(name, maximumLength: 100) }
        call(FB303.GetVersion.self, on: connection, node) { node, version in node.serverVersion = TextSanitizer.clean(version, maximumLength: 100) }
        call(FB303.AliveSince.self, on: connection, node) { node, since in node.aliveSince = since }
        call(FB303.GetStatusDetails.self, on: connection, node) { node, details in node.statusDetails = TextSanitizer.clean(details) }
        call(FB303.GetCounters.self, on: connection, node) { node, counters in
            // Bounded and sanitized: counters come from the server.
            var clean: [String: Int64] = [:]
            for (key, value) in counters.prefix(500) { clean[TextSanitizer.clean(key, maximumLength: 80)] = value }
            node.counters = clean
        }
    }

    /// A details call whose failure is not a health signal (heartbeats are): errors are ignored.
    private func call<M: ThriftSimpleMethod>(_ method: M.Type, on connection: ThriftConnection, _ node: NodeRuntime,
                                             apply: @escaping (NodeRuntime, M.Success) -> Void) where M.Args == ThriftEmptyStruct {
        send(node, on: connection, method: M.name, args: ThriftEmptyStruct.encoded, timeout: node.settings.callTimeout).assumeIsolated().whenSuccess { message in
            guard let value = try? M.success(from: try message.result(as: M.Result.self)) else { return }
            apply(node, value)
            node.dirty = true
        }
    }
}
