import ClusterModel
import Foundation
import NIOCore

extension PoolCore {
    /// After every change to a node: the floor's count, and the node's alert if its health moved.
    func noteForAlerts(_ change: NodeChange, of node: NodeLink) {
        let routable = node.state.isRoutable
        if routable != alerts.routable[node.index] {
            alerts.routable[node.index] = routable
            if let crossing = alerts.floor.update(by: routable ? 1 : -1) { capacityCrossed(crossing) }
        }
        guard let transition = change.transition, transition.isAlerted else { return }
        alert(.node(node.config.name), AlertChange(from: transition.from.rawValue, to: transition.to.rawValue, reason: transition.reason))
    }

    /// The floor is an event whether or not an alert command is set: the dashboard rings on it.
    func capacityCrossed(_ crossing: CapacityFloorWatch.Crossing) {
        let floor = config.minRoutable
        let reason = crossing.below
            ? "\(crossing.to) routable node\(crossing.to == 1 ? "" : "s"), fewer than min_routable \(floor)"
            : "\(crossing.to) routable nodes again, min_routable \(floor)"
        log(crossing.below ? .error : .notice, .capacity, node: nil, "cluster \(config.name): " + reason)
        alert(.cluster, AlertChange(from: String(crossing.from), to: String(crossing.to), reason: reason))
    }

    /// Every second: a method whose calls of the last 30–60 s (at least `min_calls`) fail at
    /// `method_error_rate` or more is failing; crossing that line either way is an event and an
    /// alert (`THRIFTTOP_METHOD`, from `ok` to `failing` or back).
    func checkMethodErrorRates() {
        guard let threshold = alerts.settings.methodErrorRate, rates.methods.isOn else { return }
        let nodes = self.nodes
        for method in rates.methods.figures(at: now, name: { $0 < nodes.count ? nodes[$0].config.name : nil }) {
            let o = method.outcomes
            let counted = o.counted
            let wasFailing = alerts.failingMethods.contains(method.name)
            // Too few calls decide nothing, but a method whose callers went quiet is not failing.
            let failing = counted == 0 ? false : counted < alerts.settings.minCalls ? wasFailing : o.errorRate >= threshold
            guard failing != wasFailing else { continue }
            let share = "\(Int((o.errorRate * 1000).rounded()) / 10)% of \(counted) calls"
            let reason = failing
                ? "method \(method.name) failing: \(share) failed in the last minute (method_error_rate \(threshold))"
                : counted == 0 ? "method \(method.name): no calls in the last minute"
                : "method \(method.name) back under method_error_rate \(threshold): \(share) failed"
            if failing { alerts.failingMethods.insert(method.name) } else { alerts.failingMethods.remove(method.name) }
            log(failing ? .warning : .notice, .alert, node: nil, reason)
            alert(.method(method.name), AlertChange(from: failing ? "ok" : "failing", to: failing ? "failing" : "ok", reason: reason))
        }
    }

    private func alert(_ subject: AlertState.Subject, _ change: AlertChange) {
        guard alerts.settings.command != nil, !stopped else { return }
        switch alerts.throttle.record(change, for: subject, at: now) {
        case let .run(payload): enqueueAlert(AlertState.Waiting(subject: subject, payload: payload))
        case let .held(until): scheduleAlertWakeUp(at: until)
        }
    }

    /// One wake-up at the earliest held run's time (`due`, or the throttle's next after a
    /// wake-up: a held change already says its own, so a storm of them costs no pass over all);
    /// runs due then go out together.
    private func scheduleAlertWakeUp(at given: NIODeadline? = nil) {
        guard let due = given ?? alerts.throttle.nextDue, !stopped else { return }
        if let current = alerts.wakeUpAt, current <= due { return }
        alerts.wakeUp?.cancel()
        alerts.wakeUpAt = due
        alerts.wakeUp = loop.assumeIsolated().scheduleTask(deadline: due) { [self] in
            alerts.wakeUpAt = nil
            alerts.wakeUp = nil
            for (subject, payload) in alerts.throttle.takeDue(at: now) {
                enqueueAlert(AlertState.Waiting(subject: subject, payload: payload))
            }
            scheduleAlertWakeUp()
        }
    }

    private func enqueueAlert(_ run: AlertState.Waiting) {
        guard alerts.waiting.count + alerts.writingSnapshots < AlertState.maxWaitingRuns else {
            if !alerts.dropping {
                alerts.dropping = true
                log(.warning, .alert, node: nil, "\(AlertState.maxWaitingRuns) alert runs are waiting for the command; dropping new ones until they are through")
            }
            return
        }
        guard let writer = alerts.snapshots else {
            alerts.waiting.append(run)
            startWaitingAlerts()
            return
        }
        // `[alerts] snapshot_dir`: the cluster as it is now, written off the loop; the run waits
        // for its file. Alerts within a second share one: the cluster is the same, and a storm
        // of alerts must not write a snapshot each.
        let fresh = alerts.lastSnapshot.map { now - $0.at >= .seconds(1) } ?? true
        let path = fresh ? writer.path(at: options.wallClock()) : alerts.lastSnapshot!.path
        if fresh { alerts.lastSnapshot = (now, path) }
        alerts.writingSnapshots += 1
        let bound = NIOLoopBound(self, eventLoop: loop)
        writer.write(fresh ? buildSnapshot() : nil, to: path) { [loop] failure in
            loop.execute {
                let core = bound.value
                core.alerts.writingSnapshots -= 1
                guard !core.stopped else { return }
                var run = run
                if let failure {
                    core.log(.warning, .alert, node: nil, "cannot write the alert's snapshot to \(path) ([alerts] snapshot_dir): \(failure)")
                } else {
                    run.snapshotPath = path
                }
                core.alerts.waiting.append(run)
                core.startWaitingAlerts()
            }
        }
    }

    func startWaitingAlerts() {
        guard let command = alerts.settings.command else { return }
        while alerts.running < AlertState.maxConcurrentRuns, !alerts.waiting.isEmpty {
            let next = alerts.waiting.removeFirst()
            if alerts.waiting.isEmpty { alerts.dropping = false }
            alerts.running += 1
            let run = AlertRun(command: command, environment: environment(for: next), timeout: alerts.settings.timeout)
            alerts.launcher.launch(run) { [finished = alerts.finished] outcome in
                finished.withLockedValue { $0.append((next, outcome)) }
            }
        }
    }

    /// The fixed `THRIFTTOP_*` names of issue 10.
    private func environment(for run: AlertState.Waiting) -> [String: String] {
        var environment = [
            "THRIFTTOP_CLUSTER": config.name,
            "THRIFTTOP_FROM": run.payload.change.from,
            "THRIFTTOP_TO": run.payload.change.to,
            "THRIFTTOP_REASON": run.payload.change.reason,
        ]
        if case let .node(name) = run.subject { environment["THRIFTTOP_NODE"] = name } else { environment["THRIFTTOP_NODE"] = "" }
        if case let .method(name) = run.subject { environment["THRIFTTOP_METHOD"] = name }
        if let count = run.payload.coalesced { environment["THRIFTTOP_COALESCED"] = String(count) }
        if let path = run.snapshotPath { environment["THRIFTTOP_SNAPSHOT"] = path }
        return environment
    }

    /// Maintenance: the outcomes of finished runs become events, and their slots go to waiting runs.
    func collectAlertOutcomes() {
        guard alerts.running > 0 else { return }  // nothing can have finished: no lock to take
        let outcomes = alerts.finished.withLockedValue { taken in
            defer { taken.removeAll() }
            return taken
        }
        guard !outcomes.isEmpty else { return }
        for (run, outcome) in outcomes {
            alerts.running -= 1
            logOutcome(outcome, of: run)
        }
        if !stopped { startWaitingAlerts() }
    }

    private func logOutcome(_ outcome: AlertOutcome, of run: AlertState.Waiting) {
        let program = alerts.settings.command?.first ?? ""
        let change = run.payload.change
        var about = "\(change.from) → \(change.to)"
        if let count = run.payload.coalesced { about += ", \(count) change\(count == 1 ? "" : "s") coalesced" }
        if let path = run.snapshotPath { about += "; snapshot \(path)" }
        let node: NodeLink? = if case let .node(name) = run.subject { lookup.byName[name].map { nodes[$0] } } else { nil }
        func tail(_ text: String) -> String { text.isEmpty ? "" : ": \(text)" }
        switch outcome {
        case .exited(0, _):
            log(.info, .alert, node: node, "alert command \(program) ran (\(about))")
        case let .exited(status, stderr):
            log(.warning, .alert, node: node, "alert command \(program) (\(about)) exited with status \(status)\(tail(stderr))")
        case let .signalled(signal, stderr):
            log(.warning, .alert, node: node, "alert command \(program) (\(about)) was killed by signal \(signal)\(tail(stderr))")
        case let .timedOut(stderr):
            log(.warning, .alert, node: node, "alert command \(program) (\(about)) timed out after \(Self.secondsText(alerts.settings.timeout)) and was killed\(tail(stderr))")
        case let .failedToStart(reason):
            log(.warning, .alert, node: node, "alert command (\(about)) did not run: \(reason)")
        }
    }

    /// `10 s`, `1.5 s`.
    static func secondsText(_ amount: TimeAmount) -> String {
        let milliseconds = amount.nanoseconds / 1_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(Double(milliseconds) / 1000) s"
    }
}
