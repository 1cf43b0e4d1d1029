import ClusterModel
import Foundation
import NIOCore
import NIOHTTP1

/// Serves the admin endpoint's requests on one connection (after NIO's HTTP/1.1 codec): reads a
/// request whole (bodies up to 64 KB), decides who asks, and writes the route's answer.
final class AdminRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// How callers are known: on the Unix socket by the peer's uid, the same for every request;
    /// over TCP by the bearer token of each request.
    enum Identity {
        case peer(AdminCaller)
        case tokens([AdminToken])
    }

    static let bodyLimit = 64 * 1024

    private let routes: AdminRoutes
    private let identity: Identity
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var tooLarge = false
    /// Set once the connection serves `GET /v1/stream`: then it only streams.
    private var streaming = false

    init(routes: AdminRoutes, identity: Identity) {
        self.routes = routes
        self.identity = identity
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(request):
            head = request
            body.clear()
            tooLarge = false
        case var .body(chunk):
            if body.readableBytes + chunk.readableBytes > Self.bodyLimit { tooLarge = true } else { body.writeBuffer(&chunk) }
        case .end:
            guard let request = head, !streaming else { return }
            head = nil
            handle(request, context: context)
        }
    }

    private func handle(_ request: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = String(request.uri.split(separator: "?", maxSplits: 1).first ?? "")
        if tooLarge {
            write(.error(.payloadTooLarge, "the body is over \(Self.bodyLimit / 1024) KB"), for: request, context: context)
            return
        }
        let caller: AdminCaller
        switch authorize(request, path: path) {
        case let .success(known): caller = known
        case let .failure(refusal):
            write(refusal.response, for: request, context: context)
            return
        }
        if path == "/v1/stream" {
            guard request.method == .GET else {
                write(AdminResponse(status: .methodNotAllowed, body: Data(#"{"error":"use GET"}"#.utf8), headers: [("Allow", "GET")]), for: request, context: context)
                return
            }
            streaming = true
            // A stream answers one request for as long as it lasts, so reads go on (NIO's
            // pipelining handler would hold them until the response ends): a dashboard that
            // leaves is seen at once, and over TLS its close_notify is answered rather than
            // left to NIOSSL's 5 s shutdown timeout on its side.
            if let pipelining = try? context.pipeline.syncOperations.context(handlerType: HTTPServerPipelineHandler.self) {
                context.pipeline.syncOperations.removeHandler(context: pipelining, promise: nil)
            }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/event-stream")
            headers.add(name: "Cache-Control", value: "no-cache")
            headers.add(name: OperatorIdentity.header, value: caller.name)
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: .ok, headers: headers))), promise: nil)
            routes.streams.subscribe(context.channel, lastEventID: request.headers.first(name: "Last-Event-ID").flatMap(UInt64.init))
            return
        }
        let routes = routes, data = Data(body.readableBytesView)
        let promise = context.eventLoop.makePromise(of: AdminResponse.self)
        promise.completeWithTask { await routes.respond(method: request.method, path: path, body: data, caller: caller) }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        promise.futureResult.whenSuccess { response in
            let (handler, context) = bound.value
            handler.write(response, for: request, context: context)
        }
    }

    struct Refusal: Error {
        var response: AdminResponse
    }

    private func authorize(_ request: HTTPRequestHead, path: String) -> Result<AdminCaller, Refusal> {
        switch identity {
        case let .peer(caller):
            return .success(caller)
        case let .tokens(tokens):
            // A liveness probe needs no token: it says nothing but "running".
            if path == "/healthz" { return .success(AdminCaller(name: "healthz", mayAct: false)) }
            guard let header = request.headers.first(name: "Authorization") else {
                return .failure(Refusal(response: AdminResponse(
                    status: .unauthorized, body: Data(#"{"error":"this endpoint needs Authorization: Bearer TOKEN"}"#.utf8),
                    headers: [("WWW-Authenticate", "Bearer")])))
            }
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer",
                  let token = AdminTokens.match(Array(parts[1].utf8), in: tokens) else {
                return .failure(Refusal(response: AdminResponse(
                    status: .unauthorized, body: Data(#"{"error":"unknown token"}"#.utf8), headers: [("WWW-Authenticate", "Bearer")])))
            }
            return .success(AdminCaller(name: token.name, mayAct: !token.readOnly))
        }
    }

    private func write(_ response: AdminResponse, for request: HTTPRequestHead, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: "\(response.body.count)")
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        let keepAlive = request.isKeepAlive
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: response.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive { done.whenComplete { [channel = context.channel] _ in channel.close(promise: nil) } }
    }
}

@available(*, unavailable)
extension AdminRequestHandler: Sendable {}
