import ClusterModel
import NIOCore
import ThriftWire

extension PoolCore {
    func scheduleHeartbeat(_ node: NodeLink, at due: NIODeadline) {
        guard !stopped else { return }
        node.nextHeartbeatDue = due
        schedule.wheel.schedule(.heartbeat(node.index), at: due)
    }

    /// A send with a deadline enforced by the pool's wheel rather than a timer of its own.
    func send(_ node: NodeLink, on connection: ThriftConnection, method: String, args: ByteBuffer, timeout: TimeAmount) -> EventLoopFuture<ThriftMessage> {
        let deadline = now + timeout
        // One tick late: the bucket holding the deadline can run a little before it.
        schedule.wheel.schedule(.expire(node.index), at: deadline + options.tick)
        return connection.send(method: method, args: args, deadline: deadline)
    }

    func heartbeatDue(_ node: NodeLink) {
        let now = self.now
        let due = node.nextHeartbeatDue ?? now
        _ = schedule.heartbeatStats.lateness.record(UInt64(max(0, (now - due).nanoseconds / 1000)))
        var next = due + node.settings.heartbeatInterval
        if next <= now { next = now + node.settings.heartbeatInterval }
        scheduleHeartbeat(node, at: next)
        let detailsDue = node.lastDetailsFetch.map { now - $0 >= node.settings.detailsInterval } ?? false
        if case .idle = node.connection, node.closesAfterEachReply, !node.retired {
            // Ended cleanly by an HTTP server after its last answer: connecting sends the beat.
            connect(node)
            if detailsDue { fetchDetails(node) }
            return
        }
        guard node.liveConnection != nil else {
            // Failed as much as one that was sent: in HB FAIL, AVAIL and the metrics alike.
            node.state.heartbeatMissed()
            node.metrics.heartbeat(.error, nanoseconds: nil)
            return
        }
        sendHeartbeat(node)
        if detailsDue { fetchDetails(node) }
    }

    /// Sends the node's heartbeat unless one is in flight (its handler holds at most one); after
    /// a local pause the one in flight is abandoned for a fresh one.
    func sendHeartbeat(_ node: NodeLink, replacingOneInFlight: Bool = false) {
        guard let connection = node.liveConnection, replacingOneInFlight || !connection.hasProbeInFlight else { return }
        let sentAt = now
        let timeout = heartbeatTimeout(node)
        // Recorded before the send: a write that fails at once reports before it returns.
        node.state.heartbeatSent(at: sentAt)
        // A probe, not a call: the reply comes to the closure set up on connecting.
        guard connection.sendProbe(method: node.settings.heartbeat.methodName, deadline: sentAt + timeout) else {
            // The connection already failed (its close handler records it): not a request on it.
            node.state.heartbeatNotSent()
            return
        }
        // One tick late: the bucket holding the deadline can run a little before it.
        schedule.wheel.schedule(.expire(node.index), at: sentAt + timeout + options.tick)
        schedule.heartbeatStats.sent += 1
    }

    func heartbeatTimeout(_ node: NodeLink) -> TimeAmount { node.settings.heartbeatTimeout(tick: options.tick) }

    func heartbeatCompleted(_ node: NodeLink, _ outcome: Result<ThriftProbeReply, any Error>) {
        let now = self.now
        let sentAt = node.state.link.heartbeatSentAt ?? now
        let result: HeartbeatOutcome
        switch outcome {
        case let .success(reply):
            do {
                let status = try node.settings.heartbeat.interpret(reply)
                result = .answered(status, millis: Double((now - sentAt).nanoseconds) / 1e6)
            } catch let error as TApplicationException {
                result = .failed(HeartbeatFailure(kind: .applicationException, message: "getStatus raised TApplicationException \(error)", gotReply: true))
            } catch {
                result = .failed(HeartbeatFailure(kind: .protocolError, message: "heartbeat reply: \(ErrorText.describe(error))", gotReply: true))
            }
        case let .failure(error):
            // Sent before a local pause, or overdue because of one that the next maintenance
            // pass will notice: not the node's fault.
            if let pauseEnd = schedule.pauseEndedAt, sentAt < pauseEnd { return }
            if policies.pause.isPaused(at: now) { return }
            guard let failure = ConnectionFailure(error).heartbeatFailure(timeout: heartbeatTimeout(node)) else { return }
            result = .failed(failure)
        }
        switch result {
        case .answered:
            // A connection counts as good once it answers, not once it opens: a server that
            // accepts and then closes (or refuses our certificate after the handshake) is
            // retried with a growing delay, not in a tight loop.
            node.backoff.reset()
            node.metrics.heartbeat(.ok, nanoseconds: (now - sentAt).nanoseconds)
        case let .failed(failure): node.metrics.heartbeat(failure.kind == .timeout ? .timeout : .error, nanoseconds: nil)
        }
        apply(node.state.record(heartbeat: result, at: now), to: node)
    }

    // MARK: fb303 details

    func fetchStatusDetails(_ node: NodeLink) {
        guard case .fb303 = node.settings.heartbeat, node.liveConnection != nil || node.closesAfterEachReply else { return }
        call(FB303.GetStatusDetails.self, node) { $0.statusDetails = TextSanitizer.clean($1) }
    }

    func fetchDetails(_ node: NodeLink) {
        node.lastDetailsFetch = now
        guard case .fb303 = node.settings.heartbeat, node.liveConnection != nil || node.closesAfterEachReply else { return }
        call(FB303.GetName.self, node) { $0.serverName = TextSanitizer.clean($1, maximumLength: 100) }
        call(FB303.GetVersion.self, node) { $0.serverVersion = TextSanitizer.clean($1, maximumLength: 100) }
        // A time the server claims: kept only if it is one (years 1970–9999 in seconds; a server
        // answering in milliseconds, or with garbage, shows no start time rather than a wrong one).
        call(FB303.AliveSince.self, node) { $0.aliveSince = (0...253_402_300_799).contains($1) ? $1 : nil }
        fetchStatusDetails(node)
        call(FB303.GetCounters.self, node) { details, counters in
            // Bounded and sanitized: counters come from the server.
            var clean: [String: Int64] = [:]
            for (key, value) in counters.prefix(500) { clean[TextSanitizer.clean(key, maximumLength: 80)] = value }
            details.counters = clean
        }
    }

    /// A details call whose failure is not a health signal (heartbeats are): errors are ignored.
    /// On the heartbeat's connection; for an HTTP node that closes after each answer, on a call
    /// connection of its own. A THeader node's reply headers are kept for the node's detail.
    private func call<M: ThriftSimpleMethod>(_ method: M.Type, _ node: NodeLink,
                                             apply: @escaping (inout NodeDetails, M.Success) -> Void) where M.Args == ThriftEmptyStruct {
        let timeout = node.settings.callTimeout
        let args = ThriftEmptyStruct.encoded(in: node.settings.protocolKind)
        func received(_ message: ThriftMessage) {
            let headers = message.infoHeaders.prefix(50).map { "\(TextSanitizer.clean($0.keyText, maximumLength: 60))=\(TextSanitizer.clean($0.valueText, maximumLength: 200))" }
            guard let value = try? M.success(from: try message.result(as: M.Result.self)) else { return }
            node.state.record {
                apply(&$0, value)
                if !headers.isEmpty { $0.replyHeaders = headers }
            }
        }
        if let connection = node.liveConnection, !node.closesAfterEachReply {
            send(node, on: connection, method: M.name, args: args, timeout: timeout).assumeIsolated().whenSuccess(received)
            return
        }
        let routed = router.nodes[node.index]
        router.withCallConnection(routed, deadline: now + timeout) { [self] handoff in
            guard case let .success(connection) = handoff else { return }
            send(node, on: connection, method: M.name, args: args, timeout: timeout).assumeIsolated().whenComplete { result in
                switch result {
                case let .success(message):
                    routed.calls.release(connection, at: self.now)
                    received(message)
                case .failure:
                    routed.calls.discard(connection)
                }
            }
        }
    }
}
