import NIOCore
import NIOPosix
import NIOSSL
import ThriftWire

/// One client connection to a Thrift server, with typed calls and a per-call deadline.
///
/// Calls may overlap: `ThriftClientHandler` matches replies by seqid. A connection that failed
/// (protocol error, reset, EOF) stays failed; make a new one.
public final class ThriftConnection: Sendable {
    public let channel: any Channel
    public let protocolKind: ThriftProtocolKind
    /// What its TLS handshake showed; nil for plaintext.
    public let tls: TLSSession?
    private let handler: NIOLoopBound<ThriftClientHandler>
    /// The HTTP transport's handler, for an HTTP node.
    private let http: NIOLoopBound<HTTPThriftClient>?

    init(channel: any Channel, protocolKind: ThriftProtocolKind, handlers: Handlers, tls: TLSSession? = nil) {
        self.channel = channel
        self.protocolKind = protocolKind
        self.handler = handlers.client
        self.http = handlers.http
        self.tls = tls
    }

    /// The handlers a connection talks to.
    struct Handlers {
        var client: NIOLoopBound<ThriftClientHandler>
        var http: NIOLoopBound<HTTPThriftClient>?
    }

    /// An HTTP server closed it cleanly after a whole response (HTTP/1.0, `Connection: close`):
    /// no failure, the next call needs a new connection. Call on the loop.
    public var endedByServer: Bool { http?.value.endedByServer ?? false }

    /// Open, and not ended by its server (over TLS a closing channel stays active until the
    /// close_notify): a call may go on it. Call on the loop.
    var isUsable: Bool { channel.isActive && !endedByServer }

    /// Why a call failed, as the pool reports it.
    public enum CallError: Error, Sendable, Equatable, CustomStringConvertible {
        case timeout(TimeAmount)

        public var description: String {
            switch self {
            case let .timeout(after): "timed out after \(after.nanoseconds / 1_000_000) ms"
            }
        }
    }

    /// Fails calls past their deadline (see `ThriftClientHandler.expire`). Call on the loop.
    public func expire(now: NIODeadline) {
        handler.value.expire(now: now)
    }

    /// Sends a no-argument probe (a heartbeat) whose outcome goes to the `onProbeOutcome` body;
    /// false if the connection already failed. See `ThriftClientHandler.sendProbe`. Call on the loop.
    public func sendProbe(method: String, deadline: NIODeadline) -> Bool {
        handler.value.sendProbe(method: method, deadline: deadline)
    }

    /// Whether a probe is waiting for its reply (or its deadline). Call on the loop.
    public var hasProbeInFlight: Bool { handler.value.hasProbeInFlight }

    /// Where probe outcomes go, for the life of this connection. Call on the loop.
    public func onProbeOutcome(_ body: @escaping (Result<ThriftProbeReply, any Error>) -> Void) {
        handler.value.onProbeOutcome = body
    }

    public static func connect(
        host: String, port: Int, protocolKind: ThriftProtocolKind, transport: ThriftTransportKind, wire: TransportOptions = .init(),
        limits: ThriftLimits = .default, connectTimeout: TimeAmount = .seconds(2), tls: NodeTLSClient? = nil, group: any EventLoopGroup
    ) async throws -> ThriftConnection {
        try await connect(host: host, port: port, protocolKind: protocolKind, transport: transport, wire: wire, limits: limits,
                          connectTimeout: connectTimeout, tls: tls, group: group).get()
    }

    /// Connects on `group` (pass one `EventLoop` to keep the connection on it). With `tls`, the
    /// future completes once the handshake has (within `connectTimeout` again), or fails with a
    /// `NodeTLSFailure` that names the cause.
    public static func connect(
        host: String, port: Int, protocolKind: ThriftProtocolKind, transport: ThriftTransportKind, wire: TransportOptions = .init(),
        limits: ThriftLimits = .default, connectTimeout: TimeAmount = .seconds(2), tls: NodeTLSClient? = nil, group: any EventLoopGroup
    ) -> EventLoopFuture<ThriftConnection> {
        ClientBootstrap(group: group)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            // Heartbeat replies are ~30 bytes: start small (NIO starts at 2 KB a connection) and
            // let bigger replies grow it.
            .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 65536))
            .connect(host: host, port: port)
            .flatMap { channel in
                let connection: EventLoopFuture<ThriftConnection>
                if let tls {
                    connection = handshake(channel, host: host, tls: tls, timeout: connectTimeout).flatMapThrowing { session in
                        let handlers = try addThriftHandlers(to: channel, protocolKind: protocolKind, transport: transport, wire: wire.at(host: host, port: port),
                                                             limits: limits)
                        return ThriftConnection(channel: channel, protocolKind: protocolKind, handlers: handlers, tls: session)
                    }
                } else {
                    connection = channel.eventLoop.makeCompletedFuture {
                        try attach(to: channel, protocolKind: protocolKind, transport: transport, wire: wire.at(host: host, port: port), limits: limits)
                    }
                }
                // No connection to hand back: none left open either.
                return connection.flatMapErrorThrowing { error in
                    channel.close(promise: nil)
                    throw error
                }
            }
    }

    /// Runs the TLS handshake on a connected channel; the channel is closed if it fails.
    /// Call on the channel's loop. (Tests drive it on an `EmbeddedChannel`.)
    static func handshake(_ channel: any Channel, host: String, tls: NodeTLSClient, timeout: TimeAmount) -> EventLoopFuture<TLSSession> {
        let expected = tls.settings.expectedName(host: host)
        let promise = channel.eventLoop.makePromise(of: TLSSession.self)
        do {
            let bytes = TLSBytesSeen()
            let ssl = try NIOSSLClientHandler(context: tls.context, serverHostname: expected)
            let watch = TLSHandshakeWatch(client: tls, host: host, timeout: timeout, bytes: bytes, ssl: ssl, session: promise)
            try channel.pipeline.syncOperations.addHandlers([bytes, ssl, watch])
        } catch {
            channel.close(promise: nil)
            promise.fail(error)
        }
        return promise.futureResult
    }

    /// Makes a Thrift client of a connected channel: adds the client handler (which frames framed
    /// input and output itself) and, for unframed transport, the decoder that finds where each
    /// message ends. Call on the channel's loop. (Tests use it on in-memory channels.)
    public static func attach(to channel: any Channel, protocolKind: ThriftProtocolKind, transport: ThriftTransportKind,
                              wire: TransportOptions = .init(), limits: ThriftLimits = .default) throws -> ThriftConnection {
        let handlers = try addThriftHandlers(to: channel, protocolKind: protocolKind, transport: transport, wire: wire, limits: limits)
        return ThriftConnection(channel: channel, protocolKind: protocolKind, handlers: handlers)
    }

    private static func addThriftHandlers(to channel: any Channel, protocolKind: ThriftProtocolKind, transport: ThriftTransportKind,
                                          wire: TransportOptions, limits: ThriftLimits) throws -> Handlers {
        let sync = channel.pipeline.syncOperations
        // The client handler frames its own output, and framed or THeader input too; unframed
        // input needs the decoder that finds where a message ends.
        let handler: ThriftClientHandler
        switch transport {
        case .framed:
            handler = ThriftClientHandler(protocolKind: protocolKind, limits: limits, framesOutput: true, framesInput: true)
        case .unframed:
            try sync.addHandler(ThriftFraming.decoder(transport: transport, protocolKind: protocolKind, limits: limits))
            handler = ThriftClientHandler(protocolKind: protocolKind, limits: limits)
        case .header:
            handler = ThriftClientHandler(protocolKind: protocolKind, limits: limits,
                                          header: THeaderMetadata(protocolKind: protocolKind, transforms: wire.headerTransforms))
        case .http:
            let http = HTTPThriftClient.handlers(wire: wire, limits: limits)
            try sync.addHandlers(http.all)
            let client = ThriftClientHandler(protocolKind: protocolKind, limits: limits)
            try sync.addHandler(client)
            return Handlers(client: NIOLoopBound(client, eventLoop: channel.eventLoop), http: NIOLoopBound(http.client, eventLoop: channel.eventLoop))
        }
        try sync.addHandler(handler)
        return Handlers(client: NIOLoopBound(handler, eventLoop: channel.eventLoop))
    }

    /// Sends `method` with raw encoded args; the future holds the whole reply message. A call
    /// that could not be written fails with `ThriftClientError.notSent`, one without a reply
    /// in time with `CallError.timeout`.
    public func send(method: String, args: ByteBuffer, timeout: TimeAmount) -> EventLoopFuture<ThriftMessage> {
        let deadline = NIODeadline.now() + timeout
        let timer = channel.eventLoop.scheduleTask(deadline: deadline) { [handler] in
            handler.value.expire(now: deadline)
        }
        return send(method: method, args: args, deadline: deadline).flatMapErrorThrowing { error in
            timer.cancel()
            throw (error as? ThriftClientError) == .timedOut ? CallError.timeout(timeout) : error
        }.map { message in
            timer.cancel()
            return message
        }
    }

    /// Sends with a deadline but no timer of its own: the owner must call `expire(now:)`
    /// (the pool does, from one timer for every connection). Fails with `.timedOut`.
    public func send(method: String, args: ByteBuffer, deadline: NIODeadline, infoHeaders: [THeaderInfo] = []) -> EventLoopFuture<ThriftMessage> {
        let loop = channel.eventLoop
        guard loop.inEventLoop else {
            return loop.flatSubmit { self.send(method: method, args: args, deadline: deadline, infoHeaders: infoHeaders) }
        }
        // On the loop, a write to an active channel reaches the handler at once; the handler
        // fails the call itself (`.notSent`) if the connection already failed. So no write
        // promise is needed: one allocation and callback less per call.
        guard channel.isActive else { return loop.makeFailedFuture(ThriftClientError.notSent) }
        let promise = loop.makePromise(of: ThriftMessage.self)
        channel.writeAndFlush(ThriftClientCall(method: method, args: args, reply: promise, deadline: deadline, infoHeaders: infoHeaders), promise: nil)
        return promise.futureResult
    }

    /// Sends a oneway call: nothing comes back. False, having sent nothing, when the connection
    /// has already failed. Call on the loop.
    /// With `closingAfter`, the connection is closed once the call is written (HTTP: a oneway's
    /// response is never waited for, and some servers send it without a length, so nothing
    /// could follow it on the connection).
    public func sendOneway(method: String, args: ByteBuffer, infoHeaders: [THeaderInfo] = [], closingAfter: Bool = false) -> Bool {
        guard channel.isActive else { return false }
        let written: EventLoopPromise<Void>? = closingAfter ? channel.eventLoop.makePromise() : nil
        channel.writeAndFlush(ThriftClientCall(method: method, args: args, reply: nil, infoHeaders: infoHeaders), promise: written)
        written?.futureResult.whenComplete { [channel] _ in channel.close(promise: nil) }
        return true
    }

    public func send(method: String, args: ByteBuffer, timeout: TimeAmount) async throws -> ThriftMessage {
        try await send(method: method, args: args, timeout: timeout).get()
    }

    /// Calls a typed method; throws its declared exception, a `TApplicationException`, a
    /// `ThriftWireError`, a `ThriftClientError` or `CallError.timeout`.
    public func call<M: ThriftMethod>(_ method: M.Type, _ args: M.Args, timeout: TimeAmount = .seconds(5)) async throws -> M.Success {
        let reply = try await send(method: M.name, args: ThriftMessage.encodeStruct(args, protocolKind: protocolKind), timeout: timeout)
        return try M.success(from: try reply.result(as: M.Result.self))
    }

    public func call<M: ThriftMethod>(_ method: M.Type, timeout: TimeAmount = .seconds(5)) async throws -> M.Success where M.Args == ThriftEmptyStruct {
        try await call(method, ThriftEmptyStruct(), timeout: timeout)
    }

    public func close() async {
        try? await channel.close()
    }
}
