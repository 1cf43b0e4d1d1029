import ClusterModel
import NIOCore
import NIOPosix

/// Where operator state (drains, weights) lives across restarts, and where every action is
/// audited. The file store is the default; a shared store (etcd) can stand in its place.
/// Its methods block on I/O: the pool calls them off its event loop, one at a time, in order.
public protocol OperatorStore: Sendable {
    /// The saved state, or nil when none was saved yet.
    func load() throws -> OperatorState?
    /// Makes `state` durable (nil: unchanged) and appends `audit`; returns once both are on disk.
    func commit(_ state: OperatorState?, audit: AuditRecord) throws
}

/// The default store: `state_file` written atomically, `audit_log` appended, either optional.
public struct FileOperatorStore: OperatorStore {
    let persistence: OperatorPersistence

    public init(stateFile: String?, auditLog: String?) {
        persistence = OperatorPersistence(stateFile: stateFile, auditLog: auditLog)
    }

    public func load() throws -> OperatorState? { try persistence.load() }

    public func commit(_ state: OperatorState?, audit: AuditRecord) throws {
        var stateError: String?, auditError: String?
        if let state {
            do { try persistence.save(state) } catch { stateError = "cannot save operator state: \(error)" }
        }
        do { try persistence.audit(audit) } catch { auditError = "cannot append to the audit log: \(error)" }
        guard stateError != nil || auditError != nil else { return }
        throw OperatorStoreFailure(stateSaved: stateError == nil,
                                   description: [stateError, auditError].compactMap { $0 }.joined(separator: "; "))
    }
}

/// A commit that did not fully happen, saying whether the state itself is durable (only the
/// audit line is missing) or not (the action will not survive a restart).
public struct OperatorStoreFailure: Error, Sendable, CustomStringConvertible {
    public var stateSaved: Bool
    public var description: String

    public init(stateSaved: Bool, description: String) {
        self.stateSaved = stateSaved
        self.description = description
    }
}

/// Runs the store's writes on NIO's blocking-I/O thread pool, never on the pool's event loop
/// (which heartbeats and routes), strictly one after another in the order the actions happened.
struct OperatorLog {
    let store: any OperatorStore
    /// Runs a blocking write and hands its result back on the loop. Tests on an
    /// `EmbeddedEventLoop` pass one that writes at once, as that loop has no other thread.
    let runBlocking: @Sendable (@escaping @Sendable () throws -> Void) -> EventLoopFuture<Void>
    private var last: EventLoopFuture<Void>

    init(store: any OperatorStore, loop: any EventLoop,
         runBlocking: (@Sendable (@escaping @Sendable () throws -> Void) -> EventLoopFuture<Void>)? = nil) {
        self.store = store
        self.runBlocking = runBlocking ?? { work in NIOThreadPool.singleton.runIfActive(eventLoop: loop, work) }
        last = loop.makeSucceededVoidFuture()
    }

    /// Queues a commit behind every earlier one; the future fails with the store's error.
    mutating func commit(_ state: OperatorState?, audit: AuditRecord) -> EventLoopFuture<Void> {
        let store = store, runBlocking = runBlocking
        let next = last.flatMap { runBlocking { try store.commit(state, audit: audit) } }
        last = next.recover { _ in }
        return next
    }

    /// Completes once every queued commit has.
    func flushed() -> EventLoopFuture<Void> { last }
}
