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
        retryBudget.recordCall(at: now)
        attempt(call)
    }

    /// The nodes new calls may go to; in panic mode, every connected node that is not drained.
    func candidates(excluding tried: Set<Int>) -> (nodes: [BalancerNode], panic: Bool) {
        let now = self.now
        let routable = nodes.filter { $0.isRoutableHealth && !outliers.isEjected($0.index, at: now) }
        let panic = isPanic(routableCount: routable.count)
        var pool = panic ? nodes.filter { $0.liveConnection != nil && !$0.operatorDrained && $0.weight > 0 } : routable
        if !tried.isEmpty {
            let untried = pool.filter { !tried.contains($0.index) }
            if !untried.isEmpty { pool = untried }
        }
        return (pool.map { BalancerNode(index: $0.index, weight: $0.weight, outstanding: $0.inFlight, cost: $0.peak.cost) }, panic)
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
        guard let index = balancer.pick(candidates(excluding: call.tried).nodes, using: &random),
              let connection = nodes[index].liveConnection else {
            call.promise.fail(PoolCallError.noRoutableNode)
            return
        }
        let node = nodes[index]
        node.inFlight += 1
        node.requestsOnConnection += 1
        node.calls += 1
        node.picks += 1
        node.dirty = true
        let sentAt = now
        // Each attempt gets the node's call timeout, so a retry still has time within the deadline.
        let attemptTimeout = min(remaining, node.settings.callTimeout)
        send(node, on: connection, method: call.method, args: call.encode(connection.protocolKind), timeout: attemptTimeout)
            .assumeIsolated().whenComplete { [self] result in
                node.inFlight -= 1
                node.dirty = true
                switch result {
                case let .success(message):
                    node.repliesOnConnection += 1
                    let millis = Double((now - sentAt).nanoseconds) / 1e6
                    node.latency.record(millis: millis, at: now)
                    node.peak.observe(millis: millis, at: now)
                    if message.header.type == .exception {
                        let exception = (try? message.decodeBody(as: TApplicationException.self)) ?? TApplicationException(.unknown)
                        callFailed(node, kind: .applicationException, "\(call.method) raised TApplicationException \(exception)")
                    } else {
                        outliers.recordSuccess(node.index)
                    }
                    call.promise.succeed(PoolReply(message: message, node: node.config.name))
                case let .failure(error):
                    attemptFailed(call, node: node, error: error, timeout: attemptTimeout)
                }
            }
    }

    private func attemptFailed(_ call: PendingCall, node: NodeRuntime, error: any Error, timeout: TimeAmount) {
        let name = node.config.name
        let failure: CallFailure
        let finalError: PoolCallError
        switch error {
        case ThriftClientError.notSent:
            failure = .notWritten
            finalError = .connection(node: name, reason: "connection closed before the call was sent")
        case ThriftClientError.connectionClosed:
            failure = .connectionLost
            finalError = .connection(node: name, reason: "connection closed while the call was in flight")
        case ThriftClientError.timedOut:
            failure = .timeout
            finalError = .timeout(node: name, after: timeout)
        case let error as ThriftWireError:
            failure = .protocolError
            finalError = .protocolError(node: name, reason: error.description)
        case let error as ThriftClientError:
            failure = .protocolError
            finalError = .protocolError(node: name, reason: error.description)
        default:
            failure = .connectionLost
            finalError = .connection(node: name, reason: ErrorText.describe(error))
        }
        callFailed(node, kind: failure == .timeout ? .timeout : .callError, "\(call.method): \(finalError)")
        let now = self.now
        guard retryPolicy.isRetryable(failure, idempotent: call.idempotent, attempt: call.attempt),
              call.deadline > now else {
            call.promise.fail(finalError)
            return
        }
        guard retryBudget.tryWithdraw(at: now) else {
            log(.warning, .retry, node: node, "not retrying \(call.method): retry budget exhausted")
            call.promise.fail(finalError)
            return
        }
        node.retries += 1
        retriesTotal += 1
        var next = call
        next.attempt += 1
        next.tried.insert(node.index)
        log(.info, .retry, node: node, "retrying \(call.method) (attempt \(next.attempt) of \(retryPolicy.maxAttempts)) after: \(finalError)")
        let delay = retryPolicy.delay(afterAttempt: call.attempt, using: &random)
        loop.assumeIsolated().scheduleTask(in: delay) { [self] in attempt(next) }
    }

    private func callFailed(_ node: NodeRuntime, kind: PoolEvent.Kind, _ text: String) {
        node.callFailures += 1
        node.recordError(text)
        if let length = outliers.recordFailure(node.index, at: now) {
            log(.warning, .ejection, node: node, "ejected for \(length.nanoseconds / 1_000_000_000) s after \(config.outlier.consecutiveFailures) consecutive call failures")
        }
    }
}
