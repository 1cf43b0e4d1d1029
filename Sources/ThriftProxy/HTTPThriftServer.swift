import ClusterPool
import NIOCore
import NIOHTTP1
import ThriftWire

/// The HTTP transport on a listener (what Apache Thrift's THttpClient speaks): each POST to the
/// listener's path carries one message, and its reply is the response's body, in the order the
/// requests came. Anything else gets an HTTP error that names it — 405 for another method, 404
/// for another path, 413 for a body over the frame limit, 400 for a body that is no Thrift
/// message — and the connection stays usable. Keep-alive as the client asks (HTTP/1.1 by
/// default, HTTP/1.0 only with `Connection: keep-alive`).
final class HTTPThriftServer: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = ClientMessage
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = HTTPServerResponsePart

    /// A response owed, in request order: the proxy's reply to a call, or an error of our own.
    private enum Owed {
        case reply(keepAlive: Bool)
        case error(HTTPResponseStatus, String, keepAlive: Bool)
    }

    private let path: String
    private let protocolSetting: ListenerConfig.Detect<ThriftProtocolKind>
    private let limits: ThriftLimits
    private var request: (head: HTTPRequestHead, body: ByteBuffer?, refused: (HTTPResponseStatus, String)?)?
    private var owed = CircularBuffer<Owed>()
    private var closing = false

    init(path: String, protocolSetting: ListenerConfig.Detect<ThriftProtocolKind>, limits: ThriftLimits) {
        self.path = path
        self.protocolSetting = protocolSetting
        self.limits = limits
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        switch unwrapInboundIn(data) {
        case let .head(head):
            let target = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
            var refused: (HTTPResponseStatus, String)?
            if head.method != .POST {
                refused = (.methodNotAllowed, "thrifttop takes Thrift calls as POST \(path) (THttpClient); this was \(head.method.rawValue) \(target)")
            } else if target != path {
                refused = (.notFound, "thrifttop takes Thrift calls at POST \(path); nothing is at \(target)")
            }
            request = (head, nil, refused)
        case var .body(part):
            guard var current = request, current.refused == nil else { return }
            let size = (current.body?.readableBytes ?? 0) + part.readableBytes
            if size > limits.maxFrameSize {
                current.refused = (.payloadTooLarge, "the body exceeds the maximum message size of \(limits.maxFrameSize) bytes")
                current.body = nil
            } else if current.body == nil {
                current.body = part
            } else {
                current.body!.writeBuffer(&part)
            }
            request = current
        case .end:
            guard let current = request else { return }
            request = nil
            let keepAlive = current.head.isKeepAlive
            if let (status, text) = current.refused {
                respond(.error(status, text, keepAlive: keepAlive), context: context)
                return
            }
            do {
                let message = try decode(current.body ?? ByteBuffer())
                owed.append(.reply(keepAlive: keepAlive))
                context.fireChannelRead(wrapInboundOut(ClientMessage(message: message, transport: .http)))
            } catch {
                respond(.error(.badRequest, "the body is not a Thrift message: \(error)", keepAlive: keepAlive), context: context)
            }
        }
    }

    /// The message in a request's body, in the protocol its first bytes show.
    private func decode(_ body: ByteBuffer) throws -> ThriftMessage {
        guard let first = body.getInteger(at: body.readerIndex, as: UInt8.self) else { throw ProxyInputError("the body is empty") }
        let second = body.getInteger(at: body.readerIndex + 1, as: UInt8.self) ?? 0
        let kind: ThriftProtocolKind
        if let detected = ThriftProtocolKind.of(first, second) {
            kind = detected
        } else if case let .fixed(wanted) = protocolSetting {
            kind = wanted  // old non-strict binary, where the listener says so
        } else {
            throw ProxyInputError("the first bytes (\(HexBytes.text(body.readableBytesView.prefix(6)))) are no binary, compact or JSON message")
        }
        if case let .fixed(wanted) = protocolSetting, wanted != kind {
            throw ProxyInputError("the client speaks \(kind), but this listener is set to protocol = \"\(wanted)\"")
        }
        return try ThriftMessage(decoding: body, protocolKind: kind, limits: limits)
    }

    /// The proxy's reply to the oldest call, then any errors owed after it.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let bytes = unwrapOutboundIn(data)
        guard case let .reply(keepAlive) = owed.first else {
            promise?.fail(ChannelError.inappropriateOperationForState)
            return
        }
        owed.removeFirst()
        send(.ok, body: bytes, contentType: "application/x-thrift", keepAlive: keepAlive, context: context, promise: promise)
        flushErrors(context: context)
    }

    private func respond(_ response: Owed, context: ChannelHandlerContext) {
        owed.append(response)
        flushErrors(context: context)
        context.flush()
    }

    /// Writes the errors at the head of the line: an error waits for the replies before it.
    private func flushErrors(context: ChannelHandlerContext) {
        while case let .error(status, text, keepAlive) = owed.first {
            owed.removeFirst()
            send(status, body: ByteBuffer(string: text + "\n"), contentType: "text/plain; charset=utf-8", keepAlive: keepAlive,
                 context: context, promise: nil)
        }
    }

    private func send(_ status: HTTPResponseStatus, body: ByteBuffer, contentType: String, keepAlive: Bool,
                      context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        guard !closing else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        if status == .methodNotAllowed { headers.add(name: "Allow", value: "POST") }
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        if keepAlive {
            context.write(wrapOutboundOut(.end(nil)), promise: promise)
        } else {
            closing = true
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
            promise?.succeed()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError, !closing {
            // Not HTTP after all (or broken): say so once, then close.
            owed.append(.error(.badRequest, "malformed HTTP request: \(error)", keepAlive: false))
            flushErrors(context: context)
            context.flush()
            return
        }
        context.fireErrorCaught(error)
    }
}

@available(*, unavailable)
extension HTTPThriftServer: Sendable {}
