import ClusterModel
import NIOCore
import ThriftWire

/// One call on its way through a router, across its attempts: an embedded typed call, or one a
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
    /// Where the outcome goes, on the router's loop: a callback, not a promise, as a proxy routes
    /// every call through here (a promise and its future are allocations and generic lookups per call).
    var finish: (Result<PoolReply, any Error>) -> Void
    var attempt = 1
    /// Ids of the nodes tried already.
    var tried: Set<Int> = []
    /// When the router took it: its latency, across attempts, is the client's.
    var startedAt = NIODeadline.uptimeNanoseconds(0)
}

/// A reply and the node that gave it.
public struct PoolReply: Sendable {
    /// In the node's protocol; nil for a oneway call.
    public var message: ThriftMessage?
    public var node: String
}

extension CallRouter {
    /// Routes one forwarded call: the config's `[[route]]` picks the node group, `[proxy]` the
    /// timeout and whether it may be retried after a write. `completion` runs on this loop.
    func forward(_ call: ForwardedCall, completion: @escaping (Result<PoolReply, any Error>) -> Void) {
        let config = view.config
        let body = call.body, source = call.protocolKind, limits = call.limits
        start(PendingCall(
            method: call.name, oneway: call.oneway,
            encode: { target in try ThriftTranslation.translateStruct(body, from: source, to: target, limits: limits) },
            idempotent: config.proxy.isIdempotent(ClusterPool.methodName(call.name)),
            deadline: now + view.forwardedCallBudget,
            attemptTimeout: config.proxy.callTimeout, group: config.routes.group(for: call.name), infoHeaders: call.infoHeaders,
            finish: completion))
    }

    func start(_ call: PendingCall) {
        var call = call
        call.startedAt = now
        report(.started)
        budget.recordCall(at: now)
        attempt(call)
    }

    /// The call ended, after all its attempts.
    private func fail(_ call: PendingCall, _ error: any Error) {
        report(.finished(method: call.method, outcome: PoolCore.outcome(of: error), millis: nil, succeeded: false))
        call.finish(.failure(error))
    }

    private func succeed(_ call: PendingCall, _ reply: PoolReply, _ outcome: MethodOutcome) {
        let millis = reply.message == nil ? nil : Double((now - call.startedAt).nanoseconds) / 1e6
        report(.finished(method: call.method, outcome: outcome, millis: millis, succeeded: reply.message?.header.type != .exception))
        call.finish(.success(reply))
    }

    /// The nodes a new call may go to, and how many more could but have their queue full. One
    /// pass per call in the usual case: this runs for every call a router routes.
    ///
    /// Routable nodes first, always. In panic mode (fewer routable nodes than `panic_threshold`
    /// of those the operator has in rotation, counted within the call's route group) a call the
    /// routable nodes cannot take — none has room — overflows to the connected nodes in rotation
    /// that are not up: never to a drained or weight-0 node or an ejected one; and in panic mode
    /// a node whose last call failed at the transport gets one probe call at a time, up or not.
    /// So an up node with room is always preferred to a node that is not up.
    func candidates(excluding tried: Set<Int>, group: String? = nil) -> (open: [BalancerNode], full: Int) {
        let now = self.now
        let members = group.map { view.byGroup[$0] ?? [] } ?? view.all
        var open: [BalancerNode] = [], full = 0, routableCount = 0, inRotation = 0
        // Routable nodes whose last call failed and that have a probe out: held back in panic mode.
        var probing: [Int] = []
        open.reserveCapacity(members.count)
        func offer(_ index: Int) {
            let node = nodes[index]
            if node.calls.isFull {
                full += 1
            } else {
                open.append(BalancerNode(index: index, weight: view.nodes[index].weight, outstanding: node.cost.outstanding(at: now),
                                         cost: node.cost.peak.cost(at: now)))
            }
        }
        for index in members {
            let entry = view.nodes[index]
            guard entry.inRotation else { continue }
            inRotation += 1
            guard entry.serving, !entry.isEjected(at: now) else { continue }
            routableCount += 1
            guard !tried.contains(entry.id) else { continue }
            let cost = nodes[index].cost
            if cost.failing && cost.inFlight > 0 { probing.append(index) } else { offer(index) }
        }
        let panic = OperatorRules.isPanic(routable: routableCount, inRotation: inRotation, threshold: view.config.panicThreshold)
        if !panic { probing.forEach(offer) }
        if open.isEmpty && panic {
            for index in members where !tried.contains(view.nodes[index].id) {
                let entry = view.nodes[index], cost = nodes[index].cost
                guard entry.inRotation, !entry.serving, entry.connected, !entry.isEjected(at: now) else { continue }
                if cost.failing && cost.inFlight > 0 { continue }
                offer(index)
            }
        }
        // Every candidate tried already: any of them again rather than none.
        if open.isEmpty && full == 0 && !tried.isEmpty { return candidates(excluding: [], group: group) }
        return (open, full)
    }

    /// Why no node of `group` (nil: the cluster) can take a call on this loop: "2 down, 1 drained".
    func unroutableSummary(group: String?) -> String {
        if view.stopped { return "the pool is not running" }
        if let held = view.routingHeld { return "routing held: \(held)" }
        let now = self.now
        let members = group.map { view.byGroup[$0] ?? [] } ?? view.all
        guard !members.isEmpty else { return view.nodes.isEmpty && view.generation == 0 ? "the pool is not running" : "it has no node" }
        var counts: [String: Int] = [:]
        for index in members {
            let entry = view.nodes[index]
            let reason = entry.drained ? "drained"
                : entry.health == .down ? "down"
                : entry.isEjected(at: now) ? "ejected"
                : entry.weight == 0 ? "at weight 0"
                : !entry.serving ? entry.health.rawValue
                : nodes[index].calls.isFull ? "overloaded" : "routable"
            counts[reason, default: 0] += 1
        }
        let order = ["down", "drained", "ejected", "at weight 0", "overloaded", "routable"]
        return counts.sorted { (order.firstIndex(of: $0.key) ?? 3, $0.key) < (order.firstIndex(of: $1.key) ?? 3, $1.key) }
            .map { "\($0.value) \($0.key)" }.joined(separator: ", ")
    }

    private func attempt(_ call: PendingCall) {
        guard !view.stopped, view.routingHeld == nil else {
            fail(call, PoolCallError.noRoutableNode)
            return
        }
        let remaining = call.deadline - now
        guard remaining > .zero else {
            fail(call, PoolCallError.timeout(node: "-", after: .zero))
            return
        }
        let (open, full) = candidates(excluding: call.tried, group: call.group)
        guard let index = balancer.pick(open, using: &random) else {
            fail(call, full == 0 ? PoolCallError.noRoutableNode : PoolCallError.overloaded)
            return
        }
        let node = nodes[index]
        node.cost.inFlight += 1
        report(.sent(node: node.id))
        let sentAt = now
        // Each attempt gets its own timeout, so a retry still has time within the deadline.
        let attemptTimeout = min(remaining, call.attemptTimeout ?? node.settings.callTimeout)
        let deadline = sentAt + attemptTimeout
        checkDeadline(of: node, at: deadline)
        withCallConnection(node, deadline: deadline) { [self] result in
            switch result {
            case let .failure(error):
                attemptFailed(call, node: node, error: error, timeout: attemptTimeout, deadline: deadline)
            case let .success(connection):
                send(call, to: node, on: connection, sentAt: sentAt, deadline: deadline, timeout: attemptTimeout)
            }
        }
    }

    /// The attempt is over with nothing to wait for (a oneway written, or not translatable).
    private func ended(_ call: PendingCall, on node: RoutedNode, onewaySent: Bool) {
        node.cost.inFlight -= 1
        report(.ended(node: node.id, method: call.method, onewaySent: onewaySent))
    }

    private func send(_ call: PendingCall, to node: RoutedNode, on connection: ThriftConnection, sentAt: NIODeadline,
                      deadline: NIODeadline, timeout: TimeAmount) {
        let args: ByteBuffer
        do {
            args = try call.encode(connection.protocolKind)
        } catch {
            // The client's bytes, not the node: nothing is held against it.
            node.calls.release(connection, at: now)
            ended(call, on: node, onewaySent: false)
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
            ended(call, on: node, onewaySent: true)
            succeed(call, PoolReply(message: nil, node: node.config.name), .sent)
            return
        }
        connection.send(method: call.method, args: args, deadline: deadline, infoHeaders: call.infoHeaders).assumeIsolated().whenComplete { [self] result in
            switch result {
            case let .success(message):
                node.calls.release(connection, at: now)
                let millis = Double((now - sentAt).nanoseconds) / 1e6
                node.cost.answered(millis: millis, at: now)
                // Read from the reply only when methods are counted: off, the bench's baseline pays nothing.
                let outcome = view.config.metrics.maxMethods > 0 ? PoolCore.outcome(of: message) : .success
                var exception: String?
                if message.header.type == .exception {
                    let raised = (try? message.decodeBody(as: TApplicationException.self)) ?? TApplicationException(.unknown)
                    exception = "\(call.method) raised TApplicationException \(raised)"
                }
                report(.answered(node: node.id, method: call.method, millis: millis, exception: exception, outcome: outcome))
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
    func withCallConnection(_ node: RoutedNode, deadline: NIODeadline, _ body: @escaping CallConnections.Handoff) {
        if let connection = node.calls.takeIdle() {
            body(.success(connection))
            return
        }
        node.calls.enqueue(deadline: deadline, body)
        if node.calls.wantsAnotherConnection { openCallConnection(node) }
    }

    private func openCallConnection(_ node: RoutedNode) {
        guard !view.stopped else { return }
        node.calls.connectStarted()
        connector(node.config, view.tls[node.settings.tls], loop).hop(to: loop).assumeIsolated().whenComplete { [self] result in
            switch result {
            case let .success(connection):
                node.calls.connectEnded(failedWith: nil)
                guard !view.stopped else {
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

    private func attemptFailed(_ call: PendingCall, node: RoutedNode, error: any Error, timeout: TimeAmount, deadline: NIODeadline) {
        let (failure, finalError) = ConnectionFailure(error).callFailure(node: node.config.name, timeout: timeout)
        let now = self.now
        node.cost.failed(timeout: timeout, holdingUntil: deadline, at: now)
        report(.failed(node: node.id, method: call.method, text: "\(call.method): \(finalError)", timeout: timeout, deadline: deadline, failure: failure))
        // A stopped pool retries nothing: the call fails with what happened to it.
        guard !view.stopped, retry.isRetryable(failure, idempotent: call.idempotent, attempt: call.attempt), call.deadline > now else {
            fail(call, finalError)
            return
        }
        guard budget.tryWithdraw(at: now) else {
            report(.budgetSpent(node: node.id, method: call.method))
            fail(call, finalError)
            return
        }
        var next = call
        next.attempt += 1
        next.tried.insert(node.id)
        report(.retrying(node: node.id, method: call.method, attempt: next.attempt, of: retry.maxAttempts, after: "\(finalError)"))
        let delay = retry.delay(afterAttempt: call.attempt, using: &random)
        loop.assumeIsolated().scheduleTask(in: delay) { [self] in attempt(next) }
    }
}

extension PoolCore {
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
}

/// A call connection to the node could not be opened: the call was never written.
struct CallConnectError: Error, CustomStringConvertible {
    var reason: String
    var description: String { "cannot connect: \(reason)" }
}
