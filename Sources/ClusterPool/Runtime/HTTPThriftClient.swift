import ClusterModel
import NIOCore
import NIOHTTP1
import ThriftWire

/// The HTTP transport to a node (Apache Thrift's THttpClient's wire): each message goes as an
/// HTTP/1.1 POST with `Content-Type: application/x-thrift`, and the response's body is the
/// reply. Sits between NIO's HTTP client codec and `ThriftClientHandler`, which sees whole
/// messages as after a frame decoder.
///
/// Requests are pipelined in call order and HTTP answers in order. A server that closes after
/// each response (THttpServer answers HTTP/1.0) is let go cleanly: the connection is closed as
/// the reply goes up, so the pool never writes to it again, and `endedByServer` tells the pool
/// that this close is no failure. A response that is not 200 fails the connection with the
/// status, which then names the node's trouble.
final class HTTPThriftClient: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = HTTPClientRequestPart

    private let path: String
    private let host: String
    private let maxBody: Int
    private var status: HTTPResponseStatus = .ok
    private var keepAlive = true
    private var body: ByteBuffer?
    /// A reply read just before the server's close, handed up before the close is.
    private var lastReply: ByteBuffer?
    /// The server ended the connection cleanly after a whole response.
    private(set) var endedByServer = false

    init(wire: TransportOptions, limits: ThriftLimits) {
        path = wire.httpPath
        host = wire.httpHost
        maxBody = limits.maxFrameSize
    }

    /// The handlers an HTTP node's connection needs before `ThriftClientHandler`, this last.
    static func handlers(wire: TransportOptions, limits: ThriftLimits) -> (all: [any ChannelHandler], client: HTTPThriftClient) {
        let client = HTTPThriftClient(wire: wire, limits: limits)
        return ([HTTPRequestEncoder(), ByteToMessageHandler(HTTPResponseDecoder()), client], client)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let message = unwrapOutboundIn(data)
        var headers = HTTPHeaders()
        headers.reserveCapacity(5)
        headers.add(name: "Host", value: host)
        headers.add(name: "Content-Type", value: "application/x-thrift")
        headers.add(name: "Accept", value: "application/x-thrift")
        headers.add(name: "Content-Length", value: String(message.readableBytes))
        headers.add(name: "User-Agent", value: "thrifttop")
        context.write(wrapOutboundOut(.head(HTTPRequestHead(version: .http1_1, method: .POST, uri: path, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(message))), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head):
            status = head.status
            keepAlive = head.isKeepAlive
            body = nil
        case var .body(part):
            if (body?.readableBytes ?? 0) + part.readableBytes > maxBody {
                context.fireErrorCaught(ThriftWireError(.frameTooLarge(size: (body?.readableBytes ?? 0) + part.readableBytes, limit: maxBody),
                                                        at: 0, "HTTP response body"))
                return
            }
            if body == nil { body = part } else { body!.writeBuffer(&part) }
        case .end:
            guard status == .ok else {
                let text = body.map { String(buffer: $0.getSlice(at: $0.readerIndex, length: min(200, $0.readableBytes))!) } ?? ""
                context.fireErrorCaught(HTTPStatusError(status: status, path: path, body: text))
                return
            }
            // An empty body answers a oneway call: nothing goes up.
            let reply = body.flatMap { $0.readableBytes > 0 ? $0 : nil }
            body = nil
            guard keepAlive else {
                endedByServer = true
                lastReply = reply
                context.close(promise: nil)
                // Up now, or from `channelInactive` if the close got there first; either way
                // `endedByServer` keeps the pool from writing to this connection again.
                if let reply = lastReply {
                    lastReply = nil
                    context.fireChannelRead(wrapInboundOut(reply))
                }
                return
            }
            if let reply { context.fireChannelRead(wrapInboundOut(reply)) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let reply = lastReply {
            lastReply = nil
            context.fireChannelRead(wrapInboundOut(reply))
        }
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension HTTPThriftClient: Sendable {}

/// An HTTP node answered with another status than 200.
public struct HTTPStatusError: Error, Sendable, CustomStringConvertible {
    public var status: HTTPResponseStatus
    public var path: String
    /// The start of the response's body, as the server wrote it (cleaned where shown).
    public var body: String

    public var description: String {
        let said = body.isEmpty ? "" : ": \(TextSanitizer.clean(body, maximumLength: 120))"
        return "HTTP \(status.code) \(status.reasonPhrase) for POST \(path)\(said)"
    }
}
