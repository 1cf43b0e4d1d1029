import ClusterModel
import ClusterPool
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// `GET /v1/stream` for every client of an endpoint at once: server-sent events, first an
/// `event: snapshot` with the whole snapshot, then `event: delta` — the snapshot's JSON form with
/// only the nodes and methods that changed, the new events and the names of nodes that went
/// (`removed_nodes`), the header figures complete — at most 10 a second, each with `id:` the
/// snapshot's version; a comment line every `keepAlive` keeps an idle stream alive.
///
/// One ticker on the pool's loop computes and encodes each delta once and writes the same bytes
/// to every client in step, so an attached dashboard costs the daemon a write, not a JSON
/// encoding. A client that cannot keep up (its socket buffer full) is skipped and later sent a
/// fresh snapshot instead of being buffered without bound; one coming back with the newest
/// version as `Last-Event-ID` continues from there.
final class AdminStreamHub: Sendable {
    static let period = TimeAmount.milliseconds(100)

    private struct Subscriber {
        let channel: any Channel
        /// The version the client has, nil when it needs a full snapshot.
        var version: UInt64?
        var lastWrite: NIODeadline
    }

    private struct State {
        var subscribers: [ObjectIdentifier: Subscriber] = [:]
        var last: ClusterSnapshot?
        var ticking = false
    }

    private let pool: ClusterPool
    private let keepAlive: TimeAmount
    private let state: NIOLoopBoundBox<State>
    private var loop: any EventLoop { pool.eventLoop }

    init(pool: ClusterPool, keepAlive: TimeAmount = .seconds(5)) {
        self.pool = pool
        self.keepAlive = keepAlive
        state = NIOLoopBoundBox.makeBoxSendingValue(State(), eventLoop: pool.eventLoop)
    }

    /// Starts streaming to `channel` (whose response head is written): a full snapshot, or a
    /// comment that it continues when `lastEventID` is the newest version.
    func subscribe(_ channel: any Channel, lastEventID: UInt64?) {
        loop.execute { [self] in
            let current = state.value.last ?? pool.snapshot
            state.value.last = current
            var subscriber = Subscriber(channel: channel, version: nil, lastWrite: .now())
            if let lastEventID, lastEventID == current.version {
                write(": continuing from \(lastEventID)\n\n", to: &subscriber)
                subscriber.version = current.version
            } else {
                write(encode("snapshot", SnapshotDelta(snapshot: current)), to: &subscriber)
                subscriber.version = current.version
            }
            state.value.subscribers[ObjectIdentifier(channel)] = subscriber
            channel.closeFuture.whenComplete { [self] _ in
                loop.execute { self.state.value.subscribers[ObjectIdentifier(channel)] = nil }
            }
            if !state.value.ticking {
                state.value.ticking = true
                schedule()
            }
        }
    }

    private func schedule() {
        loop.scheduleTask(in: Self.period) { [self] in tick() }
    }

    private func tick() {
        guard !state.value.subscribers.isEmpty, let last = state.value.last else {
            state.value.ticking = false
            state.value.last = nil  // a later client starts from the newest snapshot
            return
        }
        var current = pool.snapshot
        var delta: ByteBuffer?
        if current.version != last.version {
            // A publish that only moved the clock is not news: the clients keep the version they
            // have (attached dashboards show their own clock while the stream is live), and an
            // idle stream gets its keep-alive comments.
            if let change = SnapshotDelta(from: last, to: current) {
                delta = encode("delta", change)
            } else {
                current = last
            }
        }
        var full: ByteBuffer?
        let now = NIODeadline.now()
        for (key, var subscriber) in state.value.subscribers {
            guard subscriber.channel.isActive else {
                state.value.subscribers[key] = nil
                continue
            }
            guard subscriber.channel.isWritable else {
                subscriber.version = nil  // skip now; a full snapshot when it catches up
                state.value.subscribers[key] = subscriber
                continue
            }
            if subscriber.version == current.version {
                if now - subscriber.lastWrite >= keepAlive { write(": keep-alive\n\n", to: &subscriber) }
            } else if subscriber.version == last.version, let delta {
                write(delta, to: &subscriber)
                subscriber.version = current.version
            } else {
                let bytes = full ?? encode("snapshot", SnapshotDelta(snapshot: current))
                full = bytes
                write(bytes, to: &subscriber)
                subscriber.version = current.version
            }
            state.value.subscribers[key] = subscriber
        }
        state.value.last = current
        schedule()
    }

    /// One event: the delta's (or a whole snapshot's) JSON form under its name and version.
    private func encode(_ event: String, _ delta: SnapshotDelta) -> ByteBuffer {
        let json = delta.json
        var buffer = ByteBuffer()
        buffer.reserveCapacity(json.count + 64)
        buffer.writeString("event: \(event)\nid: \(delta.snapshot.version)\ndata: ")
        buffer.writeBytes(json)
        buffer.writeString("\n\n")
        return buffer
    }

    private func write(_ text: String, to subscriber: inout Subscriber) {
        write(ByteBuffer(string: text), to: &subscriber)
    }

    private func write(_ bytes: ByteBuffer, to subscriber: inout Subscriber) {
        subscriber.lastWrite = .now()
        subscriber.channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(bytes)), promise: nil)
    }
}
