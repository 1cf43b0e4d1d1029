import ClusterModel
import ClusterPool
import EtcdClient

extension EtcdOperatorAuthority {
    /// How many times a decision is made again on a fresh read after another instance's write
    /// got in first.
    static let decisionAttempts = 5

    public func execute(_ request: OperatorRequest, user: String) async -> OperatorResult {
        guard begun, !stopped else { return .refused("the shared state is being read from etcd (\(settings.location)); try again in a moment") }
        if outage.since != nil {
            guard request.forceLocal else { return await refuse(request.command, unreachableRefusal(), user: user) }
            return await executeHere(request, user: user)
        }
        if request.command == .undo { return await undo(user: user, reason: request.reason) }
        var fresh = false
        for _ in 0..<Self.decisionAttempts {
            switch SharedDecision.decide(request.command, await context(user: user, reason: request.reason)) {
            case .refuse where !fresh:
                // The watch may not have brought the latest change yet: refuse only on a fresh read.
                fresh = true
                guard await reread() else { return await refuse(request.command, unreachableRefusal(), user: user) }
            case let .refuse(reason):
                return await refuse(request.command, reason, user: user)
            case let .write(node, record, compare, done):
                let before = view.entries[node]?.record
                switch await attempt(node, record, if: compare, before: before) {
                case .written(let revision):
                    history.append(.init(user: user, node: node, description: request.command.description,
                                         revert: SharedRevert(before: before, modRevision: revision)))
                    await pool.recordOperatorAction(request.command.description, result: .done(done), user: user, node: node,
                                                    before: SharedNodeRecord.describe(before), after: SharedNodeRecord.describe(record), command: request.command)
                    await publishStatus()
                    return .done(done)
                case .conflict:
                    // Someone else's write came first: decide again on what the store has now.
                    fresh = true
                    guard await reread() else { return await refuse(request.command, unreachableRefusal(), user: user) }
                case let .failed(reason):
                    return await refuse(request.command, reason, user: user)
                }
            }
        }
        return await refuse(request.command, "the shared state kept changing while this was decided (\(Self.decisionAttempts) fresh reads); nothing was changed: try again", user: user)
    }

    private func context(user: String, reason: String?) async -> SharedDecision.Context {
        let nodes = await pool.decisionView()
        return SharedDecision.Context(view: view, nodes: nodes, settings: pool.config.ruleSettings, user: user,
                                      instance: instance, time: wallClock(), reason: reason)
    }

    /// Reverts `user`'s last action on the shared state, unless anyone changed that node since.
    /// An undo that drains again is held to the capacity floor as any drain is.
    private func undo(user: String, reason: String?) async -> OperatorResult {
        let index: Int, entry: UndoHistory<SharedRevert>.Entry
        switch history.last(of: user) {
        case let .failure(refusal): return await refuse(.undo, refusal.reason, user: user)
        case let .success(found): (index, entry) = found
        }
        if let changed = changedSince(entry) { return await refuse(.undo, changed, user: user) }
        var compare: [EtcdCompare] = [.modRevision(key: settings.keys.node(entry.node), equals: entry.revert.modRevision)]
        let current = view.entries[entry.node]?.record
        // An undo that takes the node out of rotation again is held to the floor, as the
        // command it stands for would be.
        let before = entry.revert.before
        let again: OperatorCommand? = before?.drained == true && current?.drained != true ? .drain(node: entry.node)
            : before?.weight == 0 && current?.weight != 0 ? .setWeight(node: entry.node, weight: 0) : nil
        if let again {
            switch SharedDecision.decide(again, await context(user: user, reason: reason)) {
            case let .refuse(why): return await refuse(.undo, "cannot undo \"\(entry.description)\": \(why)", user: user)
            case let .write(_, _, floor, _): compare += floor
            }
        }
        let change = OperatorChange(user: user, instance: instance, time: wallClock(), action: "undo \(entry.description)", reason: reason)
        let record = SharedNodeRecord(drained: before?.drained ?? false, weight: before?.weight, change: change)
        switch await attempt(entry.node, record, if: compare, before: current) {
        case .written:
            history.remove(at: index)
        case .conflict:
            _ = await reread()
            return await refuse(.undo, changedSince(entry) ?? "cannot undo \"\(entry.description)\": the shared state changed meanwhile; try again", user: user)
        case let .failed(reason):
            return await refuse(.undo, reason, user: user)
        }
        let done = "undid \(entry.description) on every instance"
        await pool.recordOperatorAction("undo", result: .done(done), user: user, node: entry.node,
                                        before: SharedNodeRecord.describe(current), after: SharedNodeRecord.describe(record), command: .undo)
        await publishStatus()
        return .done(done)
    }

    private func changedSince(_ entry: UndoHistory<SharedRevert>.Entry) -> String? {
        guard view.modRevision(of: entry.node) != entry.revert.modRevision else { return nil }
        let who = view.entries[entry.node].map { "\(OperatorIdentity.acting($0.record.user, on: $0.record.instance)) changed \(entry.node) since (\($0.record.action))" }
            ?? "the shared state of \(entry.node) was deleted since"
        return "cannot undo \"\(entry.description)\": \(who)"
    }

    /// What became of a conditional write.
    enum Attempt {
        case written(revision: Int64)
        /// The condition did not hold: another write came first.
        case conflict
        /// Not done, or not known to be done: the refusal's text.
        case failed(String)
    }

    /// Writes and says what became of it; an answer lost on the way is settled by reading the
    /// node back, and an unreachable etcd is marked so.
    func attempt(_ node: String, _ record: SharedNodeRecord, if compare: [EtcdCompare], before: SharedNodeRecord?) async -> Attempt {
        do {
            guard let revision = try await write(node, record, if: compare, before: before) else {
                counts.conflicts += 1
                return .conflict
            }
            return .written(revision: revision)
        } catch let error as EtcdError where error.isOutcomeUnknown {
            guard await reread() else {
                return .failed("etcd went away before it said whether it was done (\(error)); read the node again once etcd is back")
            }
            if let entry = view.entries[node], entry.record == record { return .written(revision: entry.modRevision) }
            return .failed("etcd did not answer (\(error)); a fresh read shows it was not done")
        } catch let error as EtcdError where error.isUnreachable {
            await markUnreachable(error.description)
            return .failed(unreachableRefusal())
        } catch {
            return .failed("etcd (\(settings.location)) refused it: \(Self.describe(error)); nothing was changed")
        }
    }

    /// Puts the node's record and a history line if `compare` holds; the new mod revision, or
    /// nil when it did not hold. The pool takes the new state at once (the watch brings it too).
    func write(_ node: String, _ record: SharedNodeRecord, if compare: [EtcdCompare], before: SharedNodeRecord?) async throws -> Int64? {
        let keys = settings.keys
        let history = SharedHistoryRecord(time: record.time, user: record.user, instance: record.instance, action: record.action, node: node,
                                          before: SharedNodeRecord.describe(before), after: SharedNodeRecord.describe(record), reason: record.reason)
        let result = try await client.txn(if: compare, then: [
            .put(key: keys.node(node), value: record.encoded()),
            .put(key: keys.historyKey(time: wallClock(), instance: instance), value: history.encoded()),
        ])
        guard result.succeeded else { return nil }
        view.wrote(node, record, txnRevision: result.revision)
        await pool.adoptShared(poolState())
        writeCache()
        counts.written += 1
        if counts.written % 20 == 0 { await trimHistory() }
        return result.revision
    }

    /// A fresh read of the prefix into the view; false (and marked) when etcd is unreachable.
    func reread() async -> Bool {
        do {
            let applied = view.replace(with: try await client.range(prefix: settings.keys.prefix), announcing: true)
            await adopt(applied)
            return true
        } catch {
            await markUnreachable(Self.describe(error))
            return false
        }
    }

    /// Keeps the shared history at `SharedKeys.historyLimit` entries, oldest deleted first.
    private func trimHistory() async {
        let keys = settings.keys
        do {
            let count = try await client.count(prefix: keys.history)
            guard count > SharedKeys.historyLimit else { return }
            let old = try await client.keys(prefix: keys.history, limit: count - SharedKeys.historyLimit, ascending: true)
            guard let first = old.first, let last = old.last else { return }
            _ = try await client.txn(if: [], then: [.deleteRange(from: first, to: last + "\u{0}")])
        } catch {
            pool.logEvent(.warning, .config, "cannot trim the shared history under \(keys.history): \(Self.describe(error)); it is tried again after 20 more actions")
        }
    }

    private func refuse(_ command: OperatorCommand, _ reason: String, user: String) async -> OperatorResult {
        await pool.recordOperatorAction(command.description, result: .refused(reason), user: user, node: command.node,
                                        before: nil, after: nil, command: command)
        return .refused(reason)
    }

    func unreachableRefusal() -> String {
        let clock = outage.since.map { RFC3339.clock(fromUnixSeconds: $0) + " UTC" } ?? "now"
        return "\(StateStoreStatus.unreachableRefusalPrefix) (etcd, \(settings.location)) since \(clock)" + (outage.reason.map { ": \($0)" } ?? "")
            + "; nothing was changed. To act on this instance only, send force_local (the dashboard offers \"here anyway\")"
    }
}

/// What the etcd authority needs to revert an action: the node's record before it, and the
/// key's mod revision the action made (anyone's later write moves it on).
struct SharedRevert: Sendable {
    var before: SharedNodeRecord?
    var modRevision: Int64
}
