import ClusterPool
import NIOCore
import ThriftWire

/// Answers fb303 and DemoService calls on one server connection, applying the server's faults:
/// latency, injected errors, hang, garbage and oversized frame headers.
final class DemoServerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The pipeline name of the framing decoder; raw (unframed) fault bytes are written from its
    /// context so they skip the frame encoder.
    static let decoderName = "thrift-decoder"

    enum Reply {
        /// A whole message, framed by the pipeline if the transport is framed.
        case message(ByteBuffer)
        /// Bytes written as they are, under the framing.
        case raw(ByteBuffer)
    }

    private let server: DemoServer
    private let connectionID: Int
    private let protocolKind: ThriftProtocolKind
    private var random: SeededGenerator

    init(server: DemoServer, connectionID: Int) {
        self.server = server
        self.connectionID = connectionID
        self.protocolKind = server.spec.protocolKind
        self.random = SeededGenerator(seed: server.spec.seed &+ UInt64(connectionID) &* 0x9E37_79B9)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message: ThriftMessage
        // A THeader call is answered in a frame like its own, with the server's name as an info header.
        var frameHeader: THeaderMetadata?
        do {
            if server.spec.transport == .header {
                let decoded = try THeaderCodec.decodeMessage(unwrapInboundIn(data))
                message = decoded.message
                frameHeader = decoded.header
                frameHeader?.infoHeaders = [THeaderInfo("x-served-by", server.spec.name)]
                frameHeader?.protocolKind = protocolKind
            } else {
                message = try ThriftMessage(decoding: unwrapInboundIn(data), protocolKind: protocolKind)
            }
        } catch {
            // As libthrift servers do: an unreadable envelope ends the connection.
            context.close(promise: nil)
            return
        }
        let faults = server.noteCall(message.header.name, connection: connectionID)
        if faults.hang || message.header.type == .oneway { return }
        var delay = faults.latencyMillis + faults.jitterMillis * random.nextUnit()
        if faults.tailRate > 0, random.nextUnit() < faults.tailRate { delay += faults.tailMillis }
        let (made, workMicros) = makeReply(message, faults: faults, allocator: context.channel.allocator)
        let reply: Reply
        if let frameHeader, case let .message(bytes) = made {
            reply = .message(THeaderCodec.encode(bytes, metadata: frameHeader, allocator: context.channel.allocator))
        } else {
            reply = made
        }
        delay += Double(workMicros) / 1000
        if delay <= 0 {
            emit(reply, context: context)
        } else {
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .nanoseconds(Int64(delay * 1e6))) {
                let (handler, context) = bound.value
                handler.emit(reply, context: context)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func emit(_ reply: Reply, context: ChannelHandlerContext) {
        switch reply {
        case let .message(buffer):
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        case let .raw(buffer):
            let target = (try? context.pipeline.syncOperations.context(name: Self.decoderName)) ?? context
            target.writeAndFlush(NIOAny(buffer), promise: nil)
        }
    }

    /// The reply to one call, and the simulated work time in microseconds.
    private func makeReply(_ call: ThriftMessage, faults: FaultState, allocator: ByteBufferAllocator) -> (Reply, Int) {
        let header = call.header
        if faults.oversizedFrame {
            var bytes = allocator.buffer(capacity: 16)
            if server.spec.transport == .unframed {
                bytes.writeBytes([0x80, 0x01, 0x00, 0x02])
            }
            bytes.writeInteger(Int32(0x7FFF_FFF0))
            bytes.writeString("oversized")
            return (.raw(bytes), 0)
        }
        if faults.garbage {
            var bytes = allocator.buffer(capacity: 16)
            bytes.writeString("GARBAGE!")
            for _ in 0..<8 { bytes.writeInteger(UInt8.random(in: 0...255, using: &random)) }
            return (.message(bytes), 0)
        }
        if faults.errorRate > 0, random.nextUnit() < faults.errorRate {
            server.noteInjectedError()
            return (exception(.internalError, "injected failure (error_rate) in \(header.name)", for: header), 0)
        }
        do {
            return try dispatch(call, faults: faults)
        } catch let error as ThriftWireError {
            return (exception(.protocolError, "cannot decode \(header.name) args: \(error)", for: header), 0)
        } catch {
            return (exception(.internalError, "\(error)", for: header), 0)
        }
    }

    private func dispatch(_ call: ThriftMessage, faults: FaultState) throws -> (Reply, Int) {
        switch call.header.name {
        case FB303.GetName.name:
            return (try reply(FB303.GetName.self, server.spec.name, to: call), 0)
        case FB303.GetVersion.name:
            return (try reply(FB303.GetVersion.self, server.spec.version, to: call), 0)
        case FB303.GetStatus.name:
            return (try reply(FB303.GetStatus.self, faults.status, to: call), 0)
        case FB303.GetStatusDetails.name:
            return (try reply(FB303.GetStatusDetails.self, faults.details, to: call), 0)
        case FB303.GetCounters.name:
            return (try reply(FB303.GetCounters.self, server.counters, to: call), 0)
        case FB303.GetCounter.name:
            let args = try call.decodeBody(as: FB303.GetCounterArgs.self)
            return (try reply(FB303.GetCounter.self, server.counters[args.key] ?? 0, to: call), 0)
        case FB303.AliveSince.name:
            return (try reply(FB303.AliveSince.self, server.aliveSince, to: call), 0)
        case DemoService.Work.name:
            let args = try call.decodeBody(as: DemoService.WorkArgs.self)
            let result: DemoService.WorkResult
            if args.costMicros < 0 {
                result = DemoService.WorkResult(failed: DemoService.WorkFailed(reason: "costMicros must not be negative", code: args.costMicros))
            } else {
                result = DemoService.WorkResult(success: args.payload)
            }
            let header = ThriftMessageHeader(name: call.header.name, type: .reply, sequenceID: call.header.sequenceID)
            return (.message(ThriftMessage.encode(header, body: result, protocolKind: protocolKind)), max(0, Int(args.costMicros)))
        default:
            return (exception(.unknownMethod, "Invalid method name: '\(call.header.name)'", for: call.header), 0)
        }
    }

    private func reply<M: ThriftSimpleMethod>(_ method: M.Type, _ value: M.Success, to call: ThriftMessage) throws -> Reply {
        _ = try call.decodeBody(as: M.Args.self)
        let header = ThriftMessageHeader(name: call.header.name, type: .reply, sequenceID: call.header.sequenceID)
        return .message(ThriftMessage.encode(header, body: ThriftSuccessResult(success: value), protocolKind: protocolKind))
    }

    private func exception(_ kind: TApplicationException.Kind, _ text: String, for call: ThriftMessageHeader) -> Reply {
        let header = ThriftMessageHeader(name: call.name, type: .exception, sequenceID: call.sequenceID)
        return .message(ThriftMessage.encode(header, body: TApplicationException(kind, message: text), protocolKind: protocolKind))
    }
}

@available(*, unavailable)
extension DemoServerHandler: Sendable {}
