import ClusterModel
import NIOCore

/// What a router tells the pool about the calls it routed: the pool's loop keeps every node's
/// figures (calls in flight, latency, errors, ejection), the cluster's rates and the method
/// table, whichever loop routed the call. A router on the pool's loop reports as it goes; one on
/// another loop gathers its reports and hands them over once per turn of its loop.
enum CallReport: Sendable {
    /// A call was taken (before its first attempt).
    case started
    /// An attempt was sent to the node with this id.
    case sent(node: Int)
    /// The node answered; `exception`: the TApplicationException it raised, as text.
    case answered(node: Int, method: String, millis: Double, exception: String?, outcome: MethodOutcome)
    /// The attempt failed at the transport or timed out.
    case failed(node: Int, method: String, text: String, timeout: TimeAmount, deadline: NIODeadline, failure: CallFailure)
    /// The attempt is over without a reply to wait for: a oneway written (`sent`), or a call
    /// that could not be translated for the node (nothing held against it).
    case ended(node: Int, method: String, onewaySent: Bool)
    /// A failed attempt on the node is retried.
    case retrying(node: Int, method: String, attempt: Int, of: Int, after: String)
    /// A retry was wanted, but the router's retry budget was spent.
    case budgetSpent(node: Int, method: String)
    /// The call ended, after all its attempts.
    case finished(method: String, outcome: MethodOutcome, millis: Double?, succeeded: Bool)
}

/// Where a router's reports go: to the pool's core at once on the pool's loop, else gathered
/// (`ReportBatch`) and handed over once per turn of the router's loop.
typealias CallReportSink = (CallReport) -> Void

/// A router's reports on a loop that is not the pool's, gathered and handed over in one hop per
/// turn of its loop: one `execute` on the pool's loop for a burst of calls, not one per call.
final class ReportBatch {
    private let loop: any EventLoop
    private let deliver: @Sendable ([CallReport]) -> Void
    private var pending: [CallReport] = []

    init(loop: any EventLoop, deliver: @escaping @Sendable ([CallReport]) -> Void) {
        self.loop = loop
        self.deliver = deliver
    }

    func add(_ report: CallReport) {
        if pending.isEmpty {
            loop.assumeIsolated().execute { [self] in
                let batch = pending
                pending.removeAll(keepingCapacity: true)
                deliver(batch)
            }
        }
        pending.append(report)
    }
}

@available(*, unavailable)
extension ReportBatch: Sendable {}

extension PoolCore {
    /// Takes a router's report into the pool's figures. A node that left (a reload) since is
    /// still counted if it is retiring, else skipped.
    func record(_ report: CallReport) {
        let now = self.now
        switch report {
        case .started:
            rates.callStarted()
        case let .sent(id):
            node(id: id)?.state.callSent()
        case let .answered(id, method, millis, exception, outcome):
            guard let node = node(id: id) else { return }
            node.metrics.call(exception == nil ? .ok : .exception, nanoseconds: Int64(millis * 1e6))
            countAttempt(method, node, outcome, millis: millis)
            node.state.record(call: .answered(millis: millis, exception: exception), at: now)
            if exception != nil {
                ejectionFailure(node)
            } else if !node.retired {
                policies.ejection.recordSuccess(node.index)
            }
        case let .failed(id, method, text, timeout, deadline, failure):
            guard let node = node(id: id) else { return }
            node.state.record(call: .failed(text, timeout: timeout, deadline: deadline), at: now)
            node.metrics.call(failure == .timeout ? .timeout : .error, nanoseconds: nil)
            countAttempt(method, node, failure == .timeout ? .timeout : .transport, millis: nil)
            ejectionFailure(node)
        case let .ended(id, method, onewaySent):
            guard let node = node(id: id) else { return }
            node.state.record(call: .ended, at: now)
            if onewaySent {
                node.metrics.call(.ok, nanoseconds: nil)
                countAttempt(method, node, .sent, millis: nil)
            }
        case let .retrying(id, method, attempt, maxAttempts, error):
            let node = node(id: id)
            node?.state.retried()
            rates.retried()
            metrics.retries.increment()
            log(.info, .retry, nodeName: node?.config.name, "retrying \(method) (attempt \(attempt) of \(maxAttempts)) after: \(error)")
        case let .budgetSpent(id, method):
            metrics.retryBudgetExhausted.increment()
            log(.warning, .retry, nodeName: node(id: id)?.config.name, "not retrying \(method): retry budget exhausted")
        case let .finished(method, outcome, millis, succeeded):
            rates.ended(succeeded: succeeded, millis: millis, at: now)
            countMethod(method, outcome, millis: millis)
        }
    }

    private func countMethod(_ method: String, _ outcome: MethodOutcome, millis: Double?) {
        guard rates.methods.isOn else { return }
        let (name, turnedAway) = rates.methods.recordCall(method, outcome, millis: millis, at: now)
        metrics.methodCall(name, outcome, millis: millis)
        if let turnedAway {
            log(.warning, .config, node: nil, "more than \(rates.methods.capacity) distinct methods called (\"\(TextSanitizer.clean(turnedAway, maximumLength: 64))\" the first past them): "
                + "the calls of every further method are counted as \(MethodSnapshot.otherName) ([metrics] max_methods)")
        }
    }

    /// An attempt ended on `node`; a retired node's index names another node now, so not it.
    private func countAttempt(_ method: String, _ node: NodeLink, _ outcome: MethodOutcome, millis: Double?) {
        guard !node.retired, rates.methods.isOn else { return }
        let name = rates.methods.recordAttempt(method, node: node.index, outcome, millis: millis, at: now)
        metrics.methodAttempt(name, node: node.config.name, outcome, millis: millis)
    }

    /// A failed call counts towards passive ejection; an ejection is published to every router.
    private func ejectionFailure(_ node: NodeLink) {
        guard !node.retired else { return }
        if let length = policies.ejection.recordFailure(node.index, at: now) {
            node.metrics.ejected()
            showMetrics(node)
            changes.routingMoved = true
            log(.warning, .ejection, node: node, "ejected for \(length.nanoseconds / 1_000_000_000) s after \(config.outlier.consecutiveFailures) consecutive call failures")
        }
    }
}
