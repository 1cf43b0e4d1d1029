import NIOCore

/// One call handed to `ThriftClientHandler`: the method, its encoded args struct, and where the
/// reply goes.
public struct ThriftClientCall: Sendable {
    public var method: String
    /// The args struct, already encoded in the connection's protocol.
    public var args: ByteBuffer
    /// Completed with the whole reply (REPLY or EXCEPTION); nil for a oneway call.
    public var reply: EventLoopPromise<ThriftMessage>?
    /// After this, `expire(now:)` fails the call with `.timedOut`; nil: no deadline.
    public var deadline: NIODeadline?
    /// Info headers sent with it on a THeader connection (a proxied client's); ignored otherwise.
    public var infoHeaders: [THeaderInfo]

    public init(method: String, args: ByteBuffer, reply: EventLoopPromise<ThriftMessage>?, deadline: NIODeadline? = nil,
                infoHeaders: [THeaderInfo] = []) {
        self.method = method
        self.args = args
        self.reply = reply
        self.deadline = deadline
        self.infoHeaders = infoHeaders
    }
}

/// Why a call on a connection failed without a reply.
public enum ThriftClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The connection closed (EOF, reset) before the reply arrived.
    case connectionClosed
    /// The connection had already failed, so the call was never written: safe to retry.
    case notSent
    /// A reply carried a seqid no outstanding call has.
    case unexpectedSequenceID(Int32)
    /// A reply's method name differs from the call's.
    case wrongMethodName(expected: String, received: String)
    /// A message arrived that is not a reply (a CALL or ONEWAY sent to the client).
    case unexpectedMessageType(ThriftMessageType)
    /// No reply before the call's deadline.
    case timedOut
    /// A probe's reply arrived, but its body does not decode (the connection stays usable).
    case undecodableReply(String)

    public var description: String {
        switch self {
        case .connectionClosed: "connection closed"
        case .notSent: "connection closed before the call was sent"
        case let .unexpectedSequenceID(id): "protocol error: reply with unexpected seqid \(id)"
        case let .wrongMethodName(expected, received): "protocol error: reply for '\(received)' to a call of '\(expected)'"
        case let .unexpectedMessageType(type): "protocol error: \(type) message received by a client"
        case .timedOut: "timed out"
        case let .undecodableReply(detail): "undecodable reply: \(detail)"
        }
    }
}

/// Matches calls to replies on one connection by increasing seqid, with several calls in flight.
///
/// Sits after the framing decoder (`ThriftFraming.decoder`) or the HTTP transport's handler, or
/// frames framed and THeader input itself; it frames its own output, so no
/// frame encoder follows it. On any error — undecodable reply, unexpected seqid or method
/// name, a closed connection — it fails every outstanding call,
/// closes the channel, and fails every later call at once: after a protocol error the stream
/// position cannot be trusted.
///
/// Deadlines are enforced by whoever owns the connection calling `expire(now:)` (the pool does
/// it from one timer for all its connections; a scheduled task per call costs a heap insert and
/// an O(n) cancel in NIO). A timed-out seqid is remembered, so its late reply is dropped
/// quietly instead of being taken for a protocol error.
///
/// Besides calls written through the pipeline, it sends *probes* (`sendProbe`): one at a time,
/// no arguments, the reply decoded in place into a `ThriftProbeReply` and handed to
/// `onProbeOutcome`. That is the heartbeat's path: no promise, future, callback, boxed write or
/// generic result decode per beat, which is most of what a beat costs a pool of thousands of
/// nodes.
public final class ThriftClientHandler: ChannelDuplexHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundIn = ThriftClientCall
    public typealias OutboundOut = ByteBuffer

    private enum State {
        case open
        case failed(any Error)
    }

    private let protocolKind: ThriftProtocolKind
    private let limits: ThriftLimits
    /// Write the 4-byte frame length itself (framed transport), saving a separate encoder
    /// handler and a copy of every message.
    private let framesOutput: Bool
    /// With `framesInput`, the frames are cut here from the raw bytes (no decoder before it):
    /// one handler and one buffer less per reply on the heartbeat path.
    private let inputFrames: ThriftFrameDecoder?
    /// THeader transport: every message goes out in a THeader frame made from this (flags,
    /// transforms; the seqid and info headers are each call's), and replies must come in one.
    private let header: THeaderMetadata?
    /// Bytes of a frame not yet complete.
    private var partialFrame: ByteBuffer?
    private var state = State.open
    private var nextSequenceID: Int32 = 1
    private var outstanding: [Int32: (method: String, promise: EventLoopPromise<ThriftMessage>, deadline: NIODeadline?)] = [:]
    /// Seqids that timed out, oldest first, bounded: their late replies are dropped.
    private var abandoned = Set<Int32>()
    private var abandonedOrder: [Int32] = []
    private static let abandonedCapacity = 4096
    private var context: ChannelHandlerContext?
    /// The probe in flight, if any.
    private var probe: (sequenceID: Int32, method: String, deadline: NIODeadline)?
    /// Where every probe's outcome goes, on the loop: set once per connection, not per probe.
    /// Dropped when the connection closes (it usually captures the connection's owner).
    public var onProbeOutcome: ((Result<ThriftProbeReply, any Error>) -> Void)?

    /// With `framesOutput`, outgoing messages are framed here: put no `ThriftFrameEncoder` after it.
    /// With `framesInput`, incoming bytes are framed here too: put no frame decoder before it.
    /// With `header`, it speaks THeader: it frames input and output itself, in THeader frames.
    public init(protocolKind: ThriftProtocolKind, limits: ThriftLimits = .default, framesOutput: Bool = false, framesInput: Bool = false,
                header: THeaderMetadata? = nil) {
        inputFrames = framesInput || header != nil ? ThriftFrameDecoder(maxFrameSize: limits.maxFrameSize) : nil
        self.protocolKind = protocolKind
        self.limits = limits
        self.framesOutput = framesOutput && header == nil
        self.header = header
    }

    /// Whether a probe is waiting for its reply or its deadline: at most one is, per connection.
    public var hasProbeInFlight: Bool { probe != nil }

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        if case .open = state { state = .failed(ThriftClientError.connectionClosed) }
        failOutstanding(ThriftClientError.connectionClosed)
        self.context = nil
        onProbeOutcome = nil
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let call = unwrapOutboundIn(data)
        if case .failed = state {
            call.reply?.fail(ThriftClientError.notSent)
            promise?.fail(ThriftClientError.notSent)
            return
        }
        let sequenceID = takeSequenceID()
        let message = encode(call.method, type: call.reply == nil ? .oneway : .call, sequenceID: sequenceID, args: call.args,
                             infoHeaders: call.infoHeaders, allocator: context.channel.allocator)
        if let reply = call.reply {
            outstanding[sequenceID] = (call.method, reply, call.deadline)
        }
        context.write(wrapOutboundOut(message), promise: promise)
    }

    /// Sends a no-argument `method` as a probe; its outcome goes to `onProbeOutcome` — a reply,
    /// `.timedOut` from `expire(now:)`, or the error that failed the connection. One probe at a
    /// time: a probe still in flight is abandoned (its late reply dropped). Returns false, having
    /// sent nothing, when the connection has already failed. Call on the loop.
    public func sendProbe(method: String, deadline: NIODeadline) -> Bool {
        guard case .open = state, let context, context.channel.isActive else { return false }
        if let old = probe { abandon(old.sequenceID) }
        let sequenceID = takeSequenceID()
        probe = (sequenceID, method, deadline)
        let message = encode(method, type: .call, sequenceID: sequenceID, args: ThriftEmptyStruct.encoded(in: protocolKind), allocator: context.channel.allocator)
        context.writeAndFlush(wrapOutboundOut(message), promise: nil)
        return true
    }

    private func takeSequenceID() -> Int32 {
        defer { nextSequenceID = nextSequenceID == .max ? 1 : nextSequenceID + 1 }
        return nextSequenceID
    }

    private func encode(_ method: String, type: ThriftMessageType, sequenceID: Int32, args: ByteBuffer, infoHeaders: [THeaderInfo] = [],
                        allocator: ByteBufferAllocator) -> ByteBuffer {
        let message = ThriftMessage.wireBytes(ThriftMessageHeader(name: method, type: type, sequenceID: sequenceID), body: args,
                                              protocolKind: protocolKind, framed: framesOutput, allocator: allocator)
        guard var header else { return message }
        header.sequenceID = sequenceID
        header.infoHeaders = infoHeaders
        return THeaderCodec.encode(message, metadata: header, allocator: allocator)
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let framer = inputFrames else {
            receive(unwrapInboundIn(data), context: context)
            return
        }
        var bytes = unwrapInboundIn(data)
        if var partial = partialFrame {
            partialFrame = nil
            partial.writeBuffer(&bytes)
            bytes = partial
        }
        do {
            while case .open = state, let frame = try framer.nextFrame(&bytes) {
                receive(frame, context: context)
            }
        } catch {
            fail(context: context, error: error)
            return
        }
        if bytes.readableBytes > 0, case .open = state { partialFrame = bytes }
    }

    /// One whole message (or, with THeader, one frame).
    private func receive(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        do {
            let message = try unwrap(buffer)
            guard message.header.type == .reply || message.header.type == .exception else {
                throw ThriftClientError.unexpectedMessageType(message.header.type)
            }
            if let probe, probe.sequenceID == message.header.sequenceID {
                try receiveProbeReply(message, for: probe)
                return
            }
            guard let call = outstanding.removeValue(forKey: message.header.sequenceID) else {
                if abandoned.remove(message.header.sequenceID) != nil { return }  // late reply to a timed-out call
                throw ThriftClientError.unexpectedSequenceID(message.header.sequenceID)
            }
            guard Self.replyName(message.header.name, answers: call.method) else {
                call.promise.fail(ThriftClientError.wrongMethodName(expected: call.method, received: message.header.name))
                throw ThriftClientError.wrongMethodName(expected: call.method, received: message.header.name)
            }
            call.promise.succeed(message)
        } catch {
            fail(context: context, error: error)
        }
    }

    /// The message in a frame: under THeader, the frame's payload (in the protocol the frame
    /// names) with its info headers; a THeader frame at a framed reader, or a plain frame at a
    /// THeader reader, is a transport mismatch that names both.
    private func unwrap(_ frame: ByteBuffer) throws -> ThriftMessage {
        guard header != nil else {
            if inputFrames != nil, THeaderCodec.isTHeader(frame) {
                throw ThriftWireError(.transportMismatch("the server speaks THeader (magic 0x0FFF), configured framed"), at: 4, "frame")
            }
            return try ThriftMessage(decoding: frame, protocolKind: protocolKind, limits: limits)
        }
        guard THeaderCodec.isTHeader(frame) else {
            throw ThriftWireError(.transportMismatch("the server answers in plain frames without the THeader magic 0x0FFF (framed), configured header"),
                                  at: 4, "frame")
        }
        return try THeaderCodec.decodeMessage(frame, limits: limits).message
    }

    /// A reply names the method it answers: as called, or, for a multiplexed `Service:method`
    /// call, without the service (Apache Thrift's multiplexed processors answer that way).
    static func replyName(_ name: String, answers method: String) -> Bool {
        if name == method { return true }
        guard let colon = method.lastIndex(of: ":") else { return false }
        return method[method.index(after: colon)...] == name
    }

    /// A wrong method name fails the connection (the stream cannot be trusted); a body that does
    /// not decode fails only the probe.
    private func receiveProbeReply(_ message: ThriftMessage, for probe: (sequenceID: Int32, method: String, deadline: NIODeadline)) throws {
        guard probe.method == message.header.name else {
            throw ThriftClientError.wrongMethodName(expected: probe.method, received: message.header.name)
        }
        self.probe = nil
        let outcome: Result<ThriftProbeReply, any Error>
        do {
            outcome = .success(try ThriftProbeReply(type: message.header.type, body: message.body, protocolKind: message.protocolKind, limits: limits))
        } catch {
            outcome = .failure(ThriftClientError.undecodableReply(String(describing: error)))
        }
        onProbeOutcome?(outcome)
    }

    /// Fails every call and probe whose deadline is at or before `now` with `.timedOut`. Call
    /// on the loop.
    public func expire(now: NIODeadline) {
        if let probe, probe.deadline <= now {
            self.probe = nil
            abandon(probe.sequenceID)
            onProbeOutcome?(.failure(ThriftClientError.timedOut))
        }
        // Most checks find nothing due: look before building a list (this runs every tick a call is out).
        guard outstanding.values.contains(where: { $0.deadline.map { $0 <= now } ?? false }) else { return }
        let expired = outstanding.filter { $0.value.deadline.map { $0 <= now } ?? false }
        for (sequenceID, call) in expired.sorted(by: { $0.key < $1.key }) {
            outstanding[sequenceID] = nil
            abandon(sequenceID)
            call.promise.fail(ThriftClientError.timedOut)
        }
    }

    /// Remembers a seqid whose reply nobody waits for any more, so that reply is dropped quietly.
    private func abandon(_ sequenceID: Int32) {
        abandoned.insert(sequenceID)
        abandonedOrder.append(sequenceID)
        if abandonedOrder.count > Self.abandonedCapacity {
            abandoned.remove(abandonedOrder.removeFirst())
        }
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context: context, error: error)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        // Failed first: a callback that tries again must find the connection failed. A frame
        // cut off by the close is said as such, as the frame decoder says it.
        let error: any Error = partialFrame.map {
            ThriftWireError(.truncated(needed: 4, available: $0.readableBytes), at: 0, "frame cut off by connection close")
        } ?? ThriftClientError.connectionClosed
        partialFrame = nil
        if case .open = state { state = .failed(error) }
        failOutstanding(error)
        onProbeOutcome = nil
        context.fireChannelInactive()
    }

    private func fail(context: ChannelHandlerContext, error: any Error) {
        if case .open = state { state = .failed(error) }
        failOutstanding(error)
        context.close(promise: nil)
    }

    private func failOutstanding(_ error: any Error) {
        let calls = outstanding
        outstanding.removeAll()
        for (_, call) in calls.sorted(by: { $0.key < $1.key }) {
            call.promise.fail(error)
        }
        if probe != nil {
            probe = nil
            onProbeOutcome?(.failure(error))
        }
    }
}

@available(*, unavailable)
extension ThriftClientHandler: Sendable {}

extension ThriftMessage {
    /// The reply's result struct, or the `TApplicationException` an EXCEPTION message carries.
    public func result<T: ThriftStruct>(as type: T.Type = T.self) throws -> T {
        if header.type == .exception {
            throw try decodeBody(as: TApplicationException.self)
        }
        return try decodeBody(as: T.self)
    }
}
