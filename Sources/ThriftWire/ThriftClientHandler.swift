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

    public init(method: String, args: ByteBuffer, reply: EventLoopPromise<ThriftMessage>?, deadline: NIODeadline? = nil) {
        self.method = method
        self.args = args
        self.reply = reply
        self.deadline = deadline
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

    public var description: String {
        switch self {
        case .connectionClosed: "connection closed"
        case .notSent: "connection closed before the call was sent"
        case let .unexpectedSequenceID(id): "protocol error: reply with unexpected seqid \(id)"
        case let .wrongMethodName(expected, received): "protocol error: reply for '\(received)' to a call of '\(expected)'"
        case let .unexpectedMessageType(type): "protocol error: \(type) message received by a client"
        case .timedOut: "timed out"
        }
    }
}

/// Matches calls to replies on one connection by increasing seqid, with several calls in flight.
///
/// Sits after the framing decoder (`ThriftFraming.handlers`). On any error — undecodable reply,
/// unexpected seqid or method name, a closed connection — it fails every outstanding call,
/// closes the channel, and fails every later call at once: after a protocol error the stream
/// position cannot be trusted.
///
/// Deadlines are enforced by whoever owns the connection calling `expire(now:)` (the pool does
/// it from one timer for all its connections; a scheduled task per call costs a heap insert and
/// an O(n) cancel in NIO). A timed-out seqid is remembered, so its late reply is dropped
/// quietly instead of being taken for a protocol error.
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
    private var state = State.open
    private var nextSequenceID: Int32 = 1
    private var outstanding: [Int32: (method: String, promise: EventLoopPromise<ThriftMessage>, deadline: NIODeadline?)] = [:]
    /// Seqids that timed out, oldest first, bounded: their late replies are dropped.
    private var abandoned = Set<Int32>()
    private var abandonedOrder: [Int32] = []
    private static let abandonedCapacity = 4096

    /// With `framesOutput`, outgoing messages are framed here: put no `ThriftFrameEncoder` after it.
    public init(protocolKind: ThriftProtocolKind, limits: ThriftLimits = .default, framesOutput: Bool = false) {
        self.protocolKind = protocolKind
        self.limits = limits
        self.framesOutput = framesOutput
    }

    public var outstandingCount: Int { outstanding.count }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let call = unwrapOutboundIn(data)
        if case .failed = state {
            call.reply?.fail(ThriftClientError.notSent)
            promise?.fail(ThriftClientError.notSent)
            return
        }
        let sequenceID = nextSequenceID
        nextSequenceID = nextSequenceID == .max ? 1 : nextSequenceID + 1
        let header = ThriftMessageHeader(name: call.method, type: call.reply == nil ? .oneway : .call, sequenceID: sequenceID)
        var message = context.channel.allocator.buffer(capacity: call.args.readableBytes + call.method.utf8.count + 20)
        if framesOutput { message.writeInteger(Int32(0)) }
        switch protocolKind {
        case .binary:
            var writer = BinaryProtocolWriter(buffer: message)
            writer.writeMessageBegin(header)
            message = writer.buffer
        case .compact:
            var writer = CompactProtocolWriter(buffer: message)
            writer.writeMessageBegin(header)
            message = writer.buffer
        }
        message.writeImmutableBuffer(call.args)
        if framesOutput { message.setInteger(Int32(message.readableBytes - 4), at: message.readerIndex) }
        if let reply = call.reply {
            outstanding[sequenceID] = (call.method, reply, call.deadline)
        }
        context.write(wrapOutboundOut(message), promise: promise)
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        do {
            let message = try ThriftMessage(decoding: buffer, protocolKind: protocolKind, limits: limits)
            guard message.header.type == .reply || message.header.type == .exception else {
                throw ThriftClientError.unexpectedMessageType(message.header.type)
            }
            guard let call = outstanding.removeValue(forKey: message.header.sequenceID) else {
                if abandoned.remove(message.header.sequenceID) != nil { return }  // late reply to a timed-out call
                throw ThriftClientError.unexpectedSequenceID(message.header.sequenceID)
            }
            guard call.method == message.header.name else {
                call.promise.fail(ThriftClientError.wrongMethodName(expected: call.method, received: message.header.name))
                throw ThriftClientError.wrongMethodName(expected: call.method, received: message.header.name)
            }
            call.promise.succeed(message)
        } catch {
            fail(context: context, error: error)
        }
    }

    /// Fails every call whose deadline is at or before `now` with `.timedOut`. Call on the loop.
    public func expire(now: NIODeadline) {
        guard !outstanding.isEmpty else { return }
        let expired = outstanding.filter { $0.value.deadline.map { $0 <= now } ?? false }
        for (sequenceID, call) in expired.sorted(by: { $0.key < $1.key }) {
            outstanding[sequenceID] = nil
            abandoned.insert(sequenceID)
            abandonedOrder.append(sequenceID)
            if abandonedOrder.count > Self.abandonedCapacity {
                abandoned.remove(abandonedOrder.removeFirst())
            }
            call.promise.fail(ThriftClientError.timedOut)
        }
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context: context, error: error)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        failOutstanding(ThriftClientError.connectionClosed)
        if case .open = state { state = .failed(ThriftClientError.connectionClosed) }
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
