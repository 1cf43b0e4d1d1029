import NIOCore
import ThriftWire

/// One node's connections for balanced calls, apart from its heartbeat connection.
///
/// A call holds a connection until its reply: a Thrift server answers a connection's calls in
/// order, so a second call on it would wait behind the first. Connections are opened on demand up
/// to `max_connections`, kept alive between calls (unless an HTTP server ended one, or a oneway
/// over HTTP closed it), and closed after `idleLimit` unused; calls
/// that find them all busy wait in arrival order, up to `max_pending`. Owned by the pool's loop.
final class CallConnections {
    /// Where a waiting call's connection goes — or why there is none (timed out waiting, or the
    /// node could not be reached).
    typealias Handoff = (Result<ThriftConnection, any Error>) -> Void

    private struct Waiter {
        var deadline: NIODeadline
        var handoff: Handoff
    }

    let maxConnections: Int
    let maxPending: Int
    /// Most recently used last: calls take the warmest, the coldest idle out. `afterOneway`: its
    /// last call was a oneway, whose handler the server may still be running on it (a server
    /// reads a connection's calls one after another), so it is taken last.
    private var idle: [(connection: ThriftConnection, since: NIODeadline, afterOneway: Bool)] = []
    private var busy: [ObjectIdentifier: ThriftConnection] = [:]
    private(set) var opening = 0
    private var waiting: [Waiter] = []
    private var waitingHead = 0
    /// The node left the pool at a reload: calls already here finish, then each connection closes.
    private(set) var retired = false

    init(maxConnections: Int, maxPending: Int) {
        self.maxConnections = maxConnections
        self.maxPending = maxPending
    }

    var waitingCount: Int { waiting.count - waitingHead }
    var openCount: Int { idle.count + busy.count }
    /// No connection free, none may be opened, and the queue is full: the node takes no more calls.
    var isFull: Bool { idle.isEmpty && openCount + opening >= maxConnections && waitingCount >= maxPending }
    /// Whether another connection should be opened for the calls waiting.
    var wantsAnotherConnection: Bool { !retired && waitingCount > opening && openCount + opening < maxConnections }
    /// Nothing open, opening or waiting: a retired node's connections are all closed.
    var isQuiet: Bool { openCount + opening == 0 && waitingCount == 0 }

    /// Closes the idle connections now and each busy one once its call is answered (or handed
    /// to a call already waiting); opens none.
    func retire() {
        retired = true
        for entry in idle { entry.connection.channel.close(promise: nil) }
        idle.removeAll()
    }

    /// A free connection now, or nil: then the call waits (`enqueue`). One that just carried a
    /// oneway is taken only when no other is idle and none may be opened: a oneway must not
    /// delay an unrelated call.
    func takeIdle() -> ThriftConnection? {
        while let index = idle.lastIndex(where: { !$0.afterOneway }) ?? (openCount + opening < maxConnections ? nil : idle.indices.last) {
            let connection = idle.remove(at: index).connection
            guard connection.isUsable else { continue }
            busy[ObjectIdentifier(connection)] = connection
            return connection
        }
        return nil
    }

    func enqueue(deadline: NIODeadline, _ handoff: @escaping Handoff) {
        waiting.append(Waiter(deadline: deadline, handoff: handoff))
    }

    func connectStarted() { opening += 1 }

    /// A new connection, or one whose call finished: to the first waiting call, else idle. After
    /// a oneway it goes to a waiting call only when no other connection is coming for it.
    func release(_ connection: ThriftConnection, afterOneway: Bool = false, at now: NIODeadline) {
        busy[ObjectIdentifier(connection)] = nil
        guard connection.isUsable else { return }
        if afterOneway && waitingCount <= opening && !retired {
            idle.append((connection, now, true))
        } else if let waiter = popWaiter() {
            busy[ObjectIdentifier(connection)] = connection
            waiter.handoff(.success(connection))
        } else if retired {
            connection.channel.close(promise: nil)
        } else {
            idle.append((connection, now, false))
        }
    }

    /// A connection that failed or timed out goes; it is closed if still open, unless its owner
    /// closes it itself (`closing` false: once a write is out).
    func discard(_ connection: ThriftConnection, closing: Bool = true) {
        let id = ObjectIdentifier(connection)
        busy[id] = nil
        idle.removeAll { ObjectIdentifier($0.connection) == id }
        if closing, connection.channel.isActive { connection.channel.close(promise: nil) }
    }

    /// A connect ended (`connection` nil when it failed). With no connection left to serve them,
    /// the waiting calls fail with `error`.
    func connectEnded(failedWith error: (any Error)?) {
        opening -= 1
        guard let error else { return }
        // Calls no connection is coming for any more take an idle one, even one after a oneway.
        while waitingCount > opening, let entry = idle.popLast() {
            guard entry.connection.channel.isActive else { continue }
            busy[ObjectIdentifier(entry.connection)] = entry.connection
            popWaiter()?.handoff(.success(entry.connection))
        }
        guard openCount + opening == 0 else { return }
        while let waiter = popWaiter() { waiter.handoff(.failure(error)) }
    }

    /// Fails waiting calls past their deadline and expires calls in flight (`ThriftConnection.expire`).
    func expire(now: NIODeadline) {
        if waitingCount > 0, waiting[waitingHead...].contains(where: { $0.deadline <= now }) {
            let all = waiting[waitingHead...]
            waiting = all.filter { $0.deadline > now }
            waitingHead = 0
            for waiter in all where waiter.deadline <= now { waiter.handoff(.failure(ThriftClientError.timedOut)) }
        }
        for connection in busy.values { connection.expire(now: now) }
    }

    /// Closes connections unused since before `cutoff`.
    func closeIdle(before cutoff: NIODeadline) {
        while let first = idle.first, first.since < cutoff {
            idle.removeFirst()
            first.connection.channel.close(promise: nil)
        }
    }

    /// Closes every connection; waiting calls fail with `error`.
    func closeAll(failing error: any Error) -> [EventLoopFuture<Void>] {
        while let waiter = popWaiter() { waiter.handoff(.failure(error)) }
        let all = idle.map(\.connection) + busy.values
        idle.removeAll()
        busy.removeAll()
        return all.map { $0.channel.close().recover { _ in } }
    }

    private func popWaiter() -> Waiter? {
        guard waitingHead < waiting.count else { return nil }
        let waiter = waiting[waitingHead]
        waitingHead += 1
        if waitingHead == waiting.count {
            waiting.removeAll(keepingCapacity: true)
            waitingHead = 0
        } else if waitingHead > 64, waitingHead * 2 > waiting.count {
            waiting.removeFirst(waitingHead)
            waitingHead = 0
        }
        return waiter
    }
}

@available(*, unavailable)
extension CallConnections: Sendable {}
