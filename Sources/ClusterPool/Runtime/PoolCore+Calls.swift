import ClusterModel
import NIOCore
import ThriftWire

/// One call on its way through the pool, across its attempts: an embedded typed call, or one a
/// proxy forwards.
struct PendingCall {
    var method: String
    /// Oneway: forwarded, and done once written.
    var oneway = false
    /// The args struct in a node's protocol (nodes may differ); throws when it cannot be
    /// translated to that protocol.
    var encode: @Sendable (ThriftProtocolKind) throws -> ByteBuffer
    var idempotent: Bool
    var deadline: NIODeadline
    /// Each attempt's timeout; nil: the node's `call_timeout_ms`.
    var attemptTimeout: TimeAmount? = nil
    /// Only nodes of this group may take it (a `[[route]]`); nil: any node.
    var group: String? = nil
    /// A THeader client's info headers, passed on to a THeader node.
    var infoHeaders: [THeaderInfo] = []
    /// Where the outcome goes, on the loop: a callback, not a promise, as a proxy routes every
    /// call through here (a promise and its future are allocations and generic lookups per call).
    var finish: (Result<PoolReply, any Error>) -> Void
    var attempt = 1
    var tried: Set<Int> = []
    /// When the pool took it: its latency, across attempts, is the client's.
    var startedAt = NIODeadline.uptimeNanoseconds(0)
}

/// A reply and the node that gave it.
public struct PoolReply: Sendable {
    /// In the node's protocol; nil for a oneway call.
    public var message: ThriftMessage?
    public var node: String
}

extension PoolCore {
    func startCall(_ call: PendingCall) {
        var call = call
        call.startedAt = now
        rates.callStarted()
        policies.budget.recordCall(at: now)
        attempt(call)
    }

    /// The call ended, after all its attempts: the one place its outcome is counted, for the
    /// cluster and its method.
    private func fail(_ call: PendingCall, _ error: any Error) {
        rates.ended(succeeded: false, millis: nil, at: now)
        countMethod(call, Self.outcome(of: error), millis: nil)
        call.finish(.failure(error))
    }

    /// `outcome`: the reply's, as `outcome(of:)` reads it (worked out once per reply).
    private func succeed(_ call: PendingCall, _ reply: PoolReply, _ outcome: MethodOutcome) {
        let millis = reply.message == nil ? nil : Double((now - call.startedAt).nanoseconds) / 1e6
        rates.ended(succeeded: reply.message?.header.type != .exception, millis: millis, at: now)
        countMethod(call, outcome, millis: millis)
        call.finish(.success(reply))
    }

    private func countMethod(_ call: PendingCall, _ outcome: MethodOutcome, millis: Double?) {
        guard rates.methods.isOn else { return }
        let (method, turnedAway) = rates.methods.recordCall(call.method, outcome, millis: millis, at: now)
        metrics.methodCall(method, outcome, millis: millis)
        if let turnedAway {
            log(.warning, .config, node: nil, "more than \(rates.methods.capacity) distinct methods called (\"\(TextSanitizer.clean(turnedAway, maximumLength: 64))\" the first past them): "
                + "the calls of every further method are counted as \(MethodSnapshot.otherName) ([metrics] max_methods)")
        }
    }

    /// An attempt ended on `node`; a retired node's index names another node now, so not it.
    private func countAttempt(_ call: PendingCall, _ node: NodeLink, _ outcome: MethodOutcome, millis: Double?) {
        guard !node.retired, rates.methods.isOn else { return }
        let method = rates.methods.recordAttempt(call.method, node: node.index, outcome, millis: millis, at: now)
        metrics.methodAttempt(method, node: node.config.name, outcome, millis: millis)
    }

    /// How a reply ends a call: a oneway's nil is sent; an EXCEPTION message is a
    /// TApplicationException by type; a result whose first field is not 0 a declared exception.
    static func outcome(of reply: ThriftMessage?) -> MethodOutcome {
        guard let reply else { return .sent }
        if reply.header.type == .exception {
            return .application(((try? reply.decodeBody(as: TApplicationException.self)) ?? TApplicationException(.unknown)).kind.description)
        }
        return (reply.resultFieldID ?? 0) > 0 ? .declared : .success
    }

    /// How a failure ends a call.
    static func outcome(of error: any Error) -> MethodOutcome {
        switch error as? PoolCallError {
        case .noRoutableNode?, .overloaded?: .refused
        case .timeout?: .timeout
        case let .application(_, exception)?: .application(exception.kind.description)
        default: .transport
        }
    }

    /// The nodes a new call may go to, and how many more could but have their queue full. One
    /// pass per call in the usual case: this runs for every call the pool routes.
    ///
    /// Routable nodes first, always. In panic mode (fewer routable nodes than `panic_threshold`
    /// of those the operator has in rotation, counted within the call's route group) a call the
    /// routable nodes cannot take — none has room — overflows to the connected nodes in rotation
    /// that are not up: never to a drained or weight-0 node or an ejected one; and in panic mode
    /// a node whose last call failed at the transport gets one probe call at a time, up or not.
    /// So an up node with room is always preferred to a node that is not up.
    func candidates(excluding tried: Set<Int>, group: String? = nil) -> (open: [BalancerNode], full: Int) {
        let now = self.now, ejection = policies.ejection
        let members = group.map { lookup.byGroup[$0] ?? [] } ?? lookup.all
        var open: [BalancerNode] = [], full = 0, routableCount = 0, inRotation = 0
        // Routable nodes whose last call failed and that have a probe out: held back in panic mode.
        var probing: [NodeLink] = []
        open.reserveCapacity(members.count)
        func offer(_ node: NodeLink) {
            if node.calls.isFull {
                full += 1
            } else {
                open.append(BalancerNode(index: node.index, weight: node.state.weight, outstanding: node.state.balancerOutstanding(at: now),
                                         cost: node.state.peak.cost))
            }
        }
        for index in members {
            let state = nodes[index].state
            guard state.inRotation else { continue }
            inRotation += 1
            guard state.serving, !ejection.isEjected(index, at: now) else { continue }
            routableCount += 1
            guard !tried.contains(index) else { continue }
            if state.callCost.failing && state.inFlight > 0 { probing.append(nodes[index]) } else { offer(nodes[index]) }
        }
        let panic = OperatorRules.isPanic(routable: routableCount, inRotation: inRotation, threshold: config.panicThreshold)
        if !panic { probing.forEach(offer) }
        if open.isEmpty && panic {
            for index in members where !tried.contains(index) {
                let node = nodes[index], state = node.state
                guard state.inRotation, !state.serving, node.liveConnection != nil, !ejection.isEjected(index, at: now) else { continue }
                if state.callCost.failing && state.inFlight > 0 { continue }
                offer(node)
            }
        }
        // Every candidate tried already: any of them again rather than none.
        if open.isEmpty && full == 0 && !tried.isEmpty { return candidates(excluding: [], group: group) }
        return (open, full)
    }

    /// Why no node of `group` (nil: the cluster) can take a call: "2 down, 1 drained".
    func unroutableSummary(group: String?) -> String {
        if let held = ledger.routingHeld { return "routing held: \(held)" }
        let now = self.now
        let members = nodes.filter { group == nil || $0.config.group == group }
        guard !members.isEmpty else { return "it has no node" }
        var counts: [String: Int] = [:]
        for node in members {
            let state = node.state
            let reason = state.drained ? "drained"
                : state.health == .down ? "down"
                : policies.ejection.isEjected(node.index, at: now) ? "ejected"
                : state.weight == 0 ? "at weight 0"
                : !state.isRoutable ? state.health.rawValue
                : node.calls.isFull ? "overloaded" : "routable"
            counts[reason, default: 0] += 1
        }
        let order = ["down", "drained", "ejected", "at weight 0", "overloaded", "routable"]
        return counts.sorted { (order.firstIndex(of: $0.key) ?? 3, $0.key) < (order.firstIndex(of: $1.key) ?? 3, $1.key) }
            .map { "\($0.value) \($0.key)" }.joined(separator: ", ")
    }

    private func attempt(_ call: PendingCall) {
        guard !stopped, ledger.routingHeld == nil else {
            fail(call, PoolCallError.noRoutableNode)
            return
        }
        let remaining = call.deadline - now
        guard remaining > .zero else {
            fail(call, PoolCallError.timeout(node: "-", after: .zero))
            return
        }
        let (open, full) = candidates(excluding: call.tried, group: call.group)
        guard let index = policies.balancer.pick(open, using: &random) else {
            fail(call, full == 0 ? PoolCallError.noRoutableNode : PoolCallError.overloaded)
            return
        }
        let node = nodes[index]
        node.state.callSent()
        let sentAt = now
        // Each attempt gets its own timeout, so a retry still has time within the deadline.
        let attemptTimeout = min(remaining, call.attemptTimeout ?? node.settings.callTimeout)
        let deadline = sentAt + attemptTimeout
        schedule.wheel.schedule(.expire(node.index), at: deadline + options.tick)
        withCallConnection(node, deadline: deadline) { [self] result in
            switch result {
            case let .failure(error):
                attemptFailed(call, node: node, error: error, timeout: attemptTimeout, deadline: deadline)
            case let .success(connection):
                send(call, to: node, on: connection, sentAt: sentAt, deadline: deadline, timeout: attemptTimeout)
            }
        }
    }

    private func send(_ call: PendingCall, to node: NodeLink, on connection: ThriftConnection, sentAt: NIODeadline,
                      deadline: NIODeadline, timeout: TimeAmount) {
        let args: ByteBuffer
        do {
            args = try call.encode(connection.protocolKind)
        } catch {
            // The client's bytes, not the node: nothing is held against it.
            node.calls.release(connection, at: now)
            node.state.record(call: .ended, at: now)
            fail(call, PoolCallError.protocolError(node: node.config.name, reason: "cannot translate the call to \(connection.protocolKind): \(ErrorText.describe(error))"))
            return
        }
        if call.oneway {
            let http = node.settings.transport == .http
            let written = connection.sendOneway(method: call.method, args: args, infoHeaders: call.infoHeaders, closingAfter: http)
            if http {
                node.calls.discard(connection, closing: false)
            } else {
                // The server may still be running the oneway's handler on this connection.
                node.calls.release(connection, afterOneway: true, at: now)
            }
            guard written else {
                attemptFailed(call, node: node, error: ThriftClientError.notSent, timeout: timeout, deadline: deadline)
                return
            }
            node.state.record(call: .ended, at: now)
            node.metrics.call(.ok, nanoseconds: nil)
            countAttempt(call, node, .sent, millis: nil)
            succeed(call, PoolReply(message: nil, node: node.config.name), .sent)
            return
        }
        connection.send(method: call.method, args: args, deadline: deadline, infoHeaders: call.infoHeaders).assumeIsolated().whenComplete { [self] result in
            switch result {
            case let .success(message):
                node.calls.release(connection, at: now)
                let elapsed = (now - sentAt).nanoseconds
                let millis = Double(elapsed) / 1e6
                node.metrics.call(message.header.type == .exception ? .exception : .ok, nanoseconds: elapsed)
                // Read from the reply only when methods are counted: off, the bench's baseline pays nothing.
                let outcome = rates.methods.isOn ? Self.outcome(of: message) : .success
                countAttempt(call, node, outcome, millis: millis)
                if message.header.type == .exception {
                    let exception = (try? message.decodeBody(as: TApplicationException.self)) ?? TApplicationException(.unknown)
                    node.state.record(call: .answered(millis: millis, exception: "\(call.method) raised TApplicationException \(exception)"), at: now)
                    ejectionFailure(node)
                } else {
                    node.state.record(call: .answered(millis: millis, exception: nil), at: now)
                    if !node.retired { policies.ejection.recordSuccess(node.index) }
                }
                succeed(call, PoolReply(message: message, node: node.config.name), outcome)
            case let .failure(error):
                // A timed-out call's connection would answer it before any other: it goes.
                node.calls.discard(connection)
                attemptFailed(call, node: node, error: error, timeout: timeout, deadline: deadline)
            }
        }
    }

    /// Hands `body` a call connection of `node`: a free one, or, when all are busy, the first to
    /// come free or be opened (the call waits in the node's queue until `deadline`).
    func withCallConnection(_ node: NodeLink, deadline: NIODeadline, _ body: @escaping CallConnections.Handoff) {
        if let connection = node.calls.takeIdle() {
            body(.success(connection))
            return
        }
        node.calls.enqueue(deadline: deadline, body)
        if node.calls.wantsAnotherConnection { openCallConnection(node) }
    }

    private func openCallConnection(_ node: NodeLink) {
        guard !stopped else { return }
        node.calls.connectStarted()
        connector(node.config, tls[node.settings.tls], loop).hop(to: loop).assumeIsolated().whenComplete { [self] result in
            switch result {
            case let .success(connection):
                node.calls.connectEnded(failedWith: nil)
                guard !stopped else {
                    connection.channel.close(promise: nil)
                    return
                }
                connection.channel.closeFuture.hop(to: loop).assumeIsolated().whenComplete { [self] _ in
                    node.calls.discard(connection)
                    if node.calls.wantsAnotherConnection { openCallConnection(node) }
                }
                node.calls.release(connection, at: now)
            case let .failure(error):
                node.calls.connectEnded(failedWith: CallConnectError(reason: ErrorText.describe(error)))
            }
        }
    }

    /// Call connections unused for this long are closed.
    static let callConnectionIdleLimit = TimeAmount.seconds(60)

    private func attemptFailed(_ call: PendingCall, node: NodeLink, error: any Error, timeout: TimeAmount, deadline: NIODeadline) {
        let (failure, finalError) = ConnectionFailure(error).callFailure(node: node.config.name, timeout: timeout)
        node.state.record(call: .failed("\(call.method): \(finalError)", timeout: timeout, deadline: deadline), at: now)
        node.metrics.call(failure == .timeout ? .timeout : .error, nanoseconds: nil)
        countAttempt(call, node, failure == .timeout ? .timeout : .transport, millis: nil)
        ejectionFailure(node)
        let now = self.now
        // A stopped pool retries nothing: the call fails with what happened to it.
        guard !stopped, policies.retry.isRetryable(failure, idempotent: call.idempotent, attempt: call.attempt), call.deadline > now else {
            fail(call, finalError)
            return
        }
        guard policies.budget.tryWithdraw(at: now) else {
            metrics.retryBudgetExhausted.increment()
            log(.warning, .retry, node: node, "not retrying \(call.method): retry budget exhausted")
            fail(call, finalError)
            return
        }
        node.state.retried()
        rates.retried()
        metrics.retries.increment()
        var next = call
        next.attempt += 1
        // A retired node's index now names another node (or none); it takes no calls anyway.
        if !node.retired { next.tried.insert(node.index) }
        log(.info, .retry, node: node, "retrying \(call.method) (attempt \(next.attempt) of \(policies.retry.maxAttempts)) after: \(finalError)")
        let delay = policies.retry.delay(afterAttempt: call.attempt, using: &random)
        loop.assumeIsolated().scheduleTask(in: delay) { [self] in attempt(next) }
    }

    /// A failed call counts towards passive ejection.
    private func ejectionFailure(_ node: NodeLink) {
        guard !node.retired else { return }
        if let length = policies.ejection.recordFailure(node.index, at: now) {
            node.metrics.ejected()
            showMetrics(node)
            log(.warning, .ejection, node: node, "ejected for \(length.nanoseconds / 1_000_000_000) s after \(config.outlier.consecutiveFailures) consecutive call failures")
        }
    }
}

/// A call connection to the node could not be opened: the call was never written.
struct CallConnectError: Error, CustomStringConvertible {
    var reason: String
    var description: String { "cannot connect: \(reason)" }
}
