import ClusterModel
import ClusterPool
import Foundation
import NIOCore
import NIOHTTP1

/// `GET /v1/stream`: server-sent events on one connection. First `event: snapshot` with the
/// whole snapshot, then `event: delta` — the snapshot's JSON form holding only the nodes that
/// changed and the new events, the header figures complete — at most 10 a second, each with
/// `id:` the snapshot's version; a comment line every 5 s keeps an idle stream alive. A client
/// coming back with `Last-Event-ID` gets deltas from there if that is still the newest version,
/// else a fresh full snapshot (no history is kept per client).
///
/// Nodes are keyed by name: a delta after a reload that removed nodes carries
/// `"removed_nodes": ["NAME", …]` (absent otherwise), and a reader drops those.
final class AdminStream {
    static let period = TimeAmount.milliseconds(100)
    static let keepAlive = TimeAmount.seconds(5)

    private let pool: ClusterPool
    private let context: ChannelHandlerContext
    private var last: ClusterSnapshot?
    private var lastWrite: NIODeadline
    private var task: Scheduled<Void>?
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    init(pool: ClusterPool, context: ChannelHandlerContext) {
        self.pool = pool
        self.context = context
        lastWrite = .now()
    }

    func start(head request: HTTPRequestHead, handler: AdminRequestHandler) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/event-stream")
        headers.add(name: "Cache-Control", value: "no-cache")
        context.write(handler.wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: .ok, headers: headers))), promise: nil)
        let current = pool.snapshot
        if let id = request.headers.first(name: "Last-Event-ID").flatMap(UInt64.init), id == current.version {
            last = current
            send(": continuing from \(id)\n\n", handler: handler)
        } else {
            send(event: "snapshot", current, handler: handler)
            last = current
        }
        schedule(handler)
    }

    func stop() {
        task?.cancel()
        task = nil
    }

    private func schedule(_ handler: AdminRequestHandler) {
        let bound = NIOLoopBound((self, handler), eventLoop: context.eventLoop)
        task = context.eventLoop.scheduleTask(in: Self.period) {
            let (stream, handler) = bound.value
            stream.tick(handler)
        }
    }

    private func tick(_ handler: AdminRequestHandler) {
        guard context.channel.isActive, task != nil else { return }
        let current = pool.snapshot
        if let last, current.version != last.version {
            var delta = current
            let before = Dictionary(last.nodes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            delta.nodes = current.nodes.filter { before[$0.name] != $0 }
            let lastEvent = last.events.last?.id ?? 0
            delta.events = current.events.filter { $0.id > lastEvent }
            let now = Set(current.nodes.map(\.name))
            let removed = last.nodes.map(\.name).filter { !now.contains($0) }
            send(event: "delta", delta, removedNodes: removed, handler: handler)
            self.last = current
        } else if NIODeadline.now() - lastWrite >= Self.keepAlive {
            send(": keep-alive\n\n", handler: handler)
        }
        schedule(handler)
    }

    private func send(event: String, _ snapshot: ClusterSnapshot, removedNodes: [String] = [], handler: AdminRequestHandler) {
        guard var json = try? encoder.encode(snapshot) else { return }
        if !removedNodes.isEmpty, var object = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] {
            // Only after a reload: not worth a field in every snapshot.
            object["removed_nodes"] = removedNodes
            json = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? json
        }
        send("event: \(event)\nid: \(snapshot.version)\ndata: \(String(decoding: json, as: UTF8.self))\n\n", handler: handler)
    }

    private func send(_ text: String, handler: AdminRequestHandler) {
        lastWrite = .now()
        context.writeAndFlush(handler.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
    }
}

@available(*, unavailable)
extension AdminStream: Sendable {}
