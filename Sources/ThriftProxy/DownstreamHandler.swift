import ClusterModel
import ClusterPool
import NIOCore
import ThriftWire

/// One client connection of a listener: every call it sends is routed through the pool on its
/// own, and the replies go back in the order the calls came (generated clients that pipeline do
/// not match seqids), each under the client's seqid. Oneway calls are forwarded and not waited
/// for. Lives on the pool's loop, as the pool does: no hop per call.
final class DownstreamHandler: ChannelInboundHandler {
    typealias InboundIn = ClientMessage
    typealias OutboundOut = ByteBuffer

    private let listener: ListenerState
    private let peer: String
    private var context: ChannelHandlerContext?
    /// Replies not yet written, in call order; nil while a call is still out.
    private var replies = CircularBuffer<ByteBuffer?>()
    /// The slot number of `replies.first`.
    private var firstSlot: UInt64 = 0
    private var closing = false
    /// Shutting down: calls in flight finish, new ones are refused by name, then it closes.
    private var draining = false

    init(listener: ListenerState, peer: String) {
        self.listener = listener
        self.peer = peer
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        let incoming = unwrapInboundIn(data)
        let header = incoming.message.header
        let encoder = ReplyEncoder(protocolKind: incoming.message.protocolKind, transport: incoming.transport, header: incoming.header,
                                   allocator: context.channel.allocator)
        let call = ForwardedCall(name: header.name, oneway: header.type == .oneway, body: incoming.message.body,
                                 protocolKind: incoming.message.protocolKind, limits: incoming.message.limits,
                                 infoHeaders: incoming.message.infoHeaders)
        if draining {
            // Over HTTP every request has its response in turn, a oneway's too.
            if header.type == .oneway, incoming.transport == .http { complete(slot: openSlot(), with: ByteBuffer()) }
            guard header.type == .call else { return }
            listener.callAnswered(.shuttingDown)
            complete(slot: openSlot(), with: encoder.internalError("thrifttop: shutting down: \(header.name) was not sent to any node",
                                                                   method: header.name, sequenceID: header.sequenceID))
            return
        }
        switch header.type {
        case .oneway:
            listener.entry.forward(call) { [listener] result in listener.callAnswered(.init(result)) }
            // Over HTTP every request has a response: an empty 200, in its turn.
            if incoming.transport == .http { complete(slot: openSlot(), with: ByteBuffer()) }
        case .call:
            let slot = openSlot()
            listener.callStarted()
            listener.entry.forward(call) { [self] result in
                // Counted as ended once its reply is written: a shutdown waiting for the last
                // call would otherwise close the connection before the reply goes out.
                defer { listener.callEnded() }
                listener.callAnswered(.init(result))
                complete(slot: slot, with: encoder.answer(result, to: header) { listener.explain($0, method: header.name) })
            }
        case .reply, .exception:
            close(context, because: "sent a \(header.type) message, which only servers send")
        }
    }

    /// A place in line for the next call's reply.
    private func openSlot() -> UInt64 {
        replies.append(nil)
        return firstSlot + UInt64(replies.count - 1)
    }

    /// Fills a reply's slot and writes every reply now ready in order.
    private func complete(slot: UInt64, with bytes: ByteBuffer) {
        guard let context, slot >= firstSlot else { return }
        replies[replies.index(replies.startIndex, offsetBy: Int(slot - firstSlot))] = bytes
        var wrote = false
        while let first = replies.first, let ready = first {
            replies.removeFirst()
            firstSlot += 1
            context.write(wrapOutboundOut(ready), promise: nil)
            wrote = true
        }
        if wrote { context.flush() }
        if (closing || draining) && replies.isEmpty { context.close(promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ProxyDrain {
            draining = true
            if replies.isEmpty { context.close(promise: nil) }
            return
        }
        if event is IdleStateHandler.IdleStateEvent {
            // Idle only if nothing is pending either: a client waiting for a slow reply is not idle.
            if replies.isEmpty {
                let seconds = Double(listener.config.idleTimeout.nanoseconds) / 1e9
                let text = seconds == seconds.rounded() ? "\(Int(seconds))" : "\((seconds * 10).rounded() / 10)"
                listener.log(.info, "closed client \(peer): sent nothing for \(text) s (idle_timeout_s)")
                context.close(promise: nil)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case is IOError, is ChannelError:
            context.close(promise: nil)
        default:
            close(context, because: "bad input: \(error)")
        }
    }

    /// Closes this one connection for what the client did, and says so in an event. Replies
    /// already due are not waited for: the stream cannot be trusted.
    private func close(_ context: ChannelHandlerContext, because reason: String) {
        guard !closing else { return }
        closing = true
        listener.log(.warning, "closed client \(peer): \(reason)")
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension DownstreamHandler: Sendable {}
