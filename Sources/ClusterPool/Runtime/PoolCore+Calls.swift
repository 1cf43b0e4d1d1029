import ClusterModel
import NIOCore
import ThriftWire

/// One call on its way through the pool, across its attempts.
struct PendingCall {
    var method: String
    /// Encodes the args in a node's protocol (nodes may differ).
    var encode: @Sendable (ThriftProtocolKind) -> ByteBuffer
    var idempotent: Bool
    var deadline: NIODeadline
    var promise: EventLoopPromise<PoolReply>
    var attempt = 1
    var tried: Set<Int> = []
}

/// A reply and the node that gave it.
struct PoolReply: Sendable {
    var message: ThriftMessage
    var node: String
}

extension PoolCore {
    func startCall(_ call: PendingCall) {
        callsTotal += 1
        policies.budget.recordCall(at: now)
        attempt(call)
    }

    /// The nodes new calls may go to; in panic mode, every connected node that is not drained.
    func candidates(excluding tried: Set<Int>) -> [BalancerNode] {
        let now = self.now, ejection = policies.ejection
        let routable = nodes.filter { $0.state.isRoutable && !ejection.isEjected($0.index, at: now) }
        var pool = isPanic(routableCount: routable.count)
            ? nodes.filter { $0.liveConnection != nil && !$0.state.drained && $0.state.weight > 0 } : routable
        if !tried.isEmpty {
            let untried = pool.filter { !tried.contains($0.index) }
            if !untried.isEmpty { pool = untried }
        }
        return pool.map { BalancerNode(index: $0.index, weight: $0.state.weight, outstanding: $0.state.inFlight, cost: $0.state.peak.cost) }
    }

    /// Panic mode: too few routable nodes, so calls spread over every connected one instead.
    func isPanic(routableCount: Int) -> Bool {
        Double(routableCount) < config.panicThreshold * Double(nodes.count)
    }

    private func attempt(_ call: PendingCall) {
        let remaining = call.deadline - now
        guard remaining > .zero else {
            call.promise.fail(PoolCallError.timeout(node: "-", after: .zero))
            return
        }
        guard let index = policies.balancer.pick(candidates(excluding: call.tried), using: &random),
              let connection = nodes[index].liveConnection else {
            call.promise.fail(PoolCallError.noRoutableNode)
            return
        }
        let node = nodes[index]
        node.state.callSent()
        let sentAt = now
        // Each attempt gets the node's call timeout, so a retry still has time within the deadline.
        let attemptTimeout = min(remaining, node.settings.callTimeout)
        send(node, on: connection, method: call.method, args: call.encode(connection.protocolKind), timeout: attemptTimeout)
            .assumeIsolated().whenComplete { [self] result in
                switch result {
                case let .success(message):
                    let millis = Double((now - sentAt).nanoseconds) / 1e6
                    if message.header.type == .exception {
                        let exception = (try? message.decodeBody(as: TApplicationException.self)) ?? TApplicationException(.unknown)
                        node.state.record(call: .answered(millis: millis, exception: "\(call.method) raised TApplicationException \(exception)"), at: now)
                        ejectionFailure(node)
                    } else {
                        node.state.record(call: .answered(millis: millis, exception: nil), at: now)
                        policies.ejection.recordSuccess(node.index)
                    }
                    call.promise.succeed(PoolReply(message: message, node: node.config.name))
                case let .failure(error):
                    attemptFailed(call, node: node, error: error, timeout: attemptTimeout)
                }
            }
    }

    private func attemptFailed(_ call: PendingCall, node: NodeLink, error: any Error, timeout: TimeAmount) {
        let (failure, finalError) = ConnectionFailure(error).callFailure(node: node.config.name, timeout: timeout)
        node.state.record(call: .failed("\(call.method): \(finalError)"), at: now)
        ejectionFailure(node)
        let now = self.now
        guard policies.retry.isRetryable(failure, idempotent: call.idempotent, attempt: call.attempt), call.deadline > now else {
            call.promise.fail(finalError)
            return
        }
        guard policies.budget.tryWithdraw(at: now) else {
            log(.warning, .retry, node: node, "not retrying \(call.method): retry budget exhausted")
            call.promise.fail(finalError)
            return
        }
        node.state.retried()
        retriesTotal += 1
        var next = call
        next.attempt += 1
        next.tried.insert(node.index)
        log(.info, .retry, node: node, "retrying \(call.method) (attempt \(next.attempt) of \(policies.retry.maxAttempts)) after: \(finalError)")
        let delay = policies.retry.delay(afterAttempt: call.attempt, using: &random)
        loop.assumeIsolated().scheduleTask(in: delay) { [self] in attempt(next) }
    }

    /// A failed call counts towards passive ejection.
    private func ejectionFailure(_ node: NodeLink) {
        if let length = policies.ejection.recordFailure(node.index, at: now) {
            log(.warning, .ejection, node: node, "ejected for \(length.nanoseconds / 1_000_000_000) s after \(config.outlier.consecutiveFailures) consecutive call failures")
        }
    }
}
