import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing
@testable import ThriftWire

/// The framing decoders and the client handler inside a channel pipeline.
@Suite("Channel codecs")
struct ChannelCodecTests {
    static func message(_ name: String, _ seqid: Int32, _ kind: ThriftProtocolKind, type: ThriftMessageType = .reply) -> ByteBuffer {
        ThriftMessage.encode(ThriftMessageHeader(name: name, type: type, sequenceID: seqid),
                             body: ThriftSuccessResult<[String: Int64]>(success: [name: Int64(seqid)]), protocolKind: kind)
    }

    @Test func theFrameDecoderSplitsFramesFedByteByByteAllAtOnceAndManyPerBuffer() throws {
        let messages = (1...4).map { Self.message("m\($0)", Int32($0), .binary) }
        let pairs = messages.map { (framed($0), [$0]) }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { ThriftFrameDecoder() }
    }

    @Test func theUnframedDecoderFindsMessageBoundariesInBothProtocols() throws {
        for kind in ThriftProtocolKind.allCases {
            let messages = (1...4).map { Self.message("method\($0)", Int32($0 * 1000), kind) }
            try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: messages.map { ($0, [$0]) }) {
                ThriftUnframedDecoder(protocolKind: kind)
            }
        }
    }

    @Test func aFrameCutOffByTheConnectionClosingIsAnError() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(ThriftFrameDecoder()))
        var partial = framed(Self.message("getStatus", 1, .binary))
        partial.moveWriterIndex(to: partial.writerIndex - 3)
        try channel.writeInbound(partial)
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        #expect(throws: ThriftWireError.self) { try channel.finish() }
    }

    @Test func aTransportMismatchSurfacesAsAnErrorInThePipeline() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(ThriftFrameDecoder()))
        let error = try #require(throws: ThriftWireError.self) {
            try channel.writeInbound(Self.message("getStatus", 1, .binary, type: .call))
        }
        guard case .transportMismatch = error.kind else { Issue.record("got \(error)"); return }
        _ = try? channel.finish()
    }

    // MARK: client handler

    func clientChannel(_ kind: ThriftProtocolKind = .binary, handler: ThriftClientHandler? = nil) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(handler ?? ThriftClientHandler(protocolKind: kind))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        return channel
    }

    func call(_ channel: EmbeddedChannel, _ method: String) -> EventLoopFuture<ThriftMessage> {
        let promise = channel.eventLoop.makePromise(of: ThriftMessage.self)
        channel.writeAndFlush(ThriftClientCall(method: method, args: ThriftEmptyStruct.encoded, reply: promise), promise: nil)
        return promise.futureResult
    }

    @Test func callsGetIncreasingSeqidsAndRepliesAreMatchedOutOfOrder() throws {
        let channel = try clientChannel()
        let first = call(channel, "getName")
        let second = call(channel, "getVersion")
        let sent = try (0..<2).map { _ in try ThriftMessage(decoding: try #require(try channel.readOutbound(as: ByteBuffer.self)), protocolKind: .binary).header }
        #expect(sent.map(\.sequenceID) == [1, 2])
        #expect(sent.map(\.type) == [.call, .call])
        try channel.writeInbound(Self.message("getVersion", 2, .binary))
        try channel.writeInbound(Self.message("getName", 1, .binary))
        #expect(try first.wait().header.name == "getName")
        #expect(try second.wait().header.sequenceID == 2)
        #expect(try channel.finish().isClean)
    }

    @Test func aReplyWithAnUnknownSeqidFailsEveryOutstandingCallAndCloses() throws {
        let channel = try clientChannel()
        let first = call(channel, "getName")
        let second = call(channel, "getStatus")
        try channel.writeInbound(Self.message("getName", 99, .binary))
        #expect(throws: ThriftClientError.unexpectedSequenceID(99)) { try first.wait() }
        #expect(throws: ThriftClientError.unexpectedSequenceID(99)) { try second.wait() }
        #expect(!channel.isActive)
    }

    @Test func aReplyForAnotherMethodIsAProtocolError() throws {
        let channel = try clientChannel()
        let first = call(channel, "getName")
        try channel.writeInbound(Self.message("getVersion", 1, .binary))
        #expect(throws: ThriftClientError.wrongMethodName(expected: "getName", received: "getVersion")) { try first.wait() }
        #expect(!channel.isActive)
    }

    @Test func aClosedConnectionFailsOutstandingCallsAndLaterCallsAtOnce() throws {
        let channel = try clientChannel()
        let pending = call(channel, "getStatus")
        channel.pipeline.fireChannelInactive()
        #expect(throws: ThriftClientError.connectionClosed) { try pending.wait() }
        #expect(throws: ThriftClientError.notSent) { try call(channel, "getStatus").wait() }
    }

    @Test func anUndecodableReplyFailsCallsWithTheWireError() throws {
        let channel = try clientChannel()
        let pending = call(channel, "getStatus")
        try channel.writeInbound(buffer([0x80, 0x07, 0x00, 0x02]))
        #expect(throws: ThriftWireError(.badVersion(0x8007_0000), at: 0, "message header")) { try pending.wait() }
    }

    @Test func anExceptionReplyBecomesATApplicationException() throws {
        let channel = try clientChannel()
        let pending = call(channel, "noSuchMethod")
        let exception = ThriftMessage.encode(ThriftMessageHeader(name: "noSuchMethod", type: .exception, sequenceID: 1),
                                             body: TApplicationException(.unknownMethod, message: "Unknown function noSuchMethod"), protocolKind: .binary)
        try channel.writeInbound(exception)
        let reply = try pending.wait()
        #expect(throws: TApplicationException(.unknownMethod, message: "Unknown function noSuchMethod")) {
            try reply.result(as: FB303.GetName.Result.self)
        }
        // The connection stays usable after an exception reply.
        #expect(channel.isActive)
    }

    // MARK: probes (the heartbeat's path)

    /// A client channel whose probe outcomes are collected in order.
    func probeChannel(_ kind: ThriftProtocolKind = .binary) throws -> (EmbeddedChannel, ThriftClientHandler, ProbeLog) {
        let handler = ThriftClientHandler(protocolKind: kind)
        let log = ProbeLog()
        handler.onProbeOutcome = { log.outcomes.append($0) }
        return (try clientChannel(kind, handler: handler), handler, log)
    }

    final class ProbeLog {
        var outcomes: [Result<ThriftProbeReply, any Error>] = []
        var replies: [ThriftProbeReply?] { outcomes.map { try? $0.get() } }
        var errors: [String] { outcomes.compactMap { if case let .failure(e) = $0 { "\(e)" } else { nil } } }
    }

    static func statusReply(_ status: Int32?, seqid: Int32, _ kind: ThriftProtocolKind, name: String = "getStatus") -> ByteBuffer {
        ThriftMessage.encode(ThriftMessageHeader(name: name, type: .reply, sequenceID: seqid),
                             body: ThriftSuccessResult<Int32>(success: status), protocolKind: kind)
    }

    @Test func aProbeIsTheSameCallOnTheWireAndItsReplyIsDecodedInPlace() throws {
        for kind in ThriftProtocolKind.allCases {
            let (channel, handler, log) = try probeChannel(kind)
            #expect(handler.sendProbe(method: "getStatus", deadline: .now() + .seconds(1)))
            let sent = try ThriftMessage(decoding: try #require(try channel.readOutbound(as: ByteBuffer.self)), protocolKind: kind)
            #expect(sent.header == ThriftMessageHeader(name: "getStatus", type: .call, sequenceID: 1))
            #expect(sent.body == ThriftEmptyStruct.encoded(in: kind))
            try channel.writeInbound(Self.statusReply(2, seqid: 1, kind))
            #expect(log.replies == [.result(successI32: 2)])
            // Calls and probes share one seqid sequence.
            _ = call(channel, "getName")
            #expect(try ThriftMessage(decoding: try #require(try channel.readOutbound(as: ByteBuffer.self)), protocolKind: kind).header.sequenceID == 2)
        }
    }

    @Test func aProbeReplyWithoutAnI32StatusOrWithAnExceptionSaysSo() throws {
        let (channel, handler, log) = try probeChannel()
        _ = handler.sendProbe(method: "ping", deadline: .now() + .seconds(1))
        try channel.writeInbound(Self.statusReply(nil, seqid: 1, .binary, name: "ping"))
        _ = handler.sendProbe(method: "ping", deadline: .now() + .seconds(1))
        try channel.writeInbound(ThriftMessage.encode(ThriftMessageHeader(name: "ping", type: .exception, sequenceID: 2),
                                                      body: TApplicationException(.unknownMethod, message: "Invalid method name: 'ping'"), protocolKind: .binary))
        #expect(log.replies == [.result(successI32: nil), .applicationException(TApplicationException(.unknownMethod, message: "Invalid method name: 'ping'"))])
        #expect(channel.isActive)
    }

    @Test func aProbePastItsDeadlineTimesOutAndItsLateReplyIsDropped() throws {
        let (channel, handler, log) = try probeChannel()
        let deadline = NIODeadline.now() + .milliseconds(100)
        _ = handler.sendProbe(method: "getStatus", deadline: deadline)
        handler.expire(now: deadline - .milliseconds(1))
        #expect(log.outcomes.isEmpty)
        handler.expire(now: deadline)
        #expect(log.errors == ["timed out"])
        try channel.writeInbound(Self.statusReply(2, seqid: 1, .binary))
        #expect(log.outcomes.count == 1)
        #expect(channel.isActive)
        #expect(handler.sendProbe(method: "getStatus", deadline: .now() + .seconds(1)))
        try channel.writeInbound(Self.statusReply(0, seqid: 2, .binary))
        #expect(log.replies.last == .result(successI32: 0))
    }

    @Test func anUndecodableProbeReplyFailsOnlyTheProbe() throws {
        let (channel, handler, log) = try probeChannel()
        _ = handler.sendProbe(method: "getStatus", deadline: .now() + .seconds(1))
        var reply = ByteBuffer()
        var writer = BinaryProtocolWriter(buffer: reply)
        writer.writeMessageBegin(ThriftMessageHeader(name: "getStatus", type: .reply, sequenceID: 1))
        reply = writer.buffer
        reply.writeBytes([0x08, 0x00, 0x00, 0x00])  // an i32 field 0 cut short
        try channel.writeInbound(reply)
        #expect(log.errors.count == 1)
        #expect(log.errors.first?.hasPrefix("undecodable reply: ") == true)
        #expect(channel.isActive)
    }

    @Test func aProbeReplyForAnotherMethodFailsTheConnectionAndTheProbe() throws {
        let (channel, handler, log) = try probeChannel()
        _ = handler.sendProbe(method: "getStatus", deadline: .now() + .seconds(1))
        try channel.writeInbound(Self.statusReply(2, seqid: 1, .binary, name: "getName"))
        #expect(log.errors == ["protocol error: reply for 'getName' to a call of 'getStatus'"])
        #expect(!channel.isActive)
        #expect(!handler.sendProbe(method: "getStatus", deadline: .now() + .seconds(1)))
    }

    @Test func aProbeSentFromTheCloseCallbackIsRefused() throws {
        let (channel, handler, log) = try probeChannel()
        var retried: Bool?
        handler.onProbeOutcome = { outcome in
            log.outcomes.append(outcome)
            retried = handler.sendProbe(method: "getStatus", deadline: .now() + .seconds(1))
        }
        _ = handler.sendProbe(method: "getStatus", deadline: .now() + .seconds(1))
        channel.pipeline.fireChannelInactive()
        #expect(retried == false)
        #expect(log.errors == ["connection closed"])
    }

    @Test func aClosedConnectionFailsTheProbeAndDropsTheOutcomeHandler() throws {
        let (channel, handler, log) = try probeChannel()
        _ = handler.sendProbe(method: "getStatus", deadline: .now() + .seconds(1))
        channel.pipeline.fireChannelInactive()
        #expect(log.errors == ["connection closed"])
        #expect(handler.onProbeOutcome == nil)
        #expect(!handler.sendProbe(method: "getStatus", deadline: .now() + .seconds(1)))
    }

    // MARK: framing in the handler (framed connections have no decoder before it)

    func framingClient() throws -> EmbeddedChannel {
        try clientChannel(handler: ThriftClientHandler(protocolKind: .binary, framesOutput: true, framesInput: true))
    }

    @Test func theHandlerCutsFramesFedByteByByteAndManyPerRead() throws {
        let channel = try framingClient()
        let calls = ["getName", "getVersion", "getStatus"].map { call(channel, $0) }
        for _ in 0..<3 { _ = try channel.readOutbound(as: ByteBuffer.self) }
        var replies = framed(Self.message("getName", 1, .binary))
        var two = framed(Self.message("getVersion", 2, .binary))
        two.writeImmutableBuffer(framed(Self.message("getStatus", 3, .binary)))
        // The first reply a byte at a time, then two whole replies in one read.
        while let byte = replies.readSlice(length: 1) { try channel.writeInbound(byte) }
        try channel.writeInbound(two)
        #expect(try calls.map { try $0.wait().header.name } == ["getName", "getVersion", "getStatus"])
        #expect(try channel.finish().isClean)
    }

    @Test func anUnframedReplyAtAFramingHandlerIsATransportMismatch() throws {
        let channel = try framingClient()
        let pending = call(channel, "getStatus")
        _ = try? channel.writeInbound(Self.message("getStatus", 1, .binary))
        let error = try #require(throws: ThriftWireError.self) { try pending.wait() }
        guard case .transportMismatch = error.kind else { Issue.record("got \(error)"); return }
        #expect(!channel.isActive)
    }

    @Test func aFrameCutOffByTheCloseFailsCallsWithTheTruncation() throws {
        let channel = try framingClient()
        let pending = call(channel, "getStatus")
        var reply = framed(Self.message("getStatus", 1, .binary))
        let head = reply.readSlice(length: 6)!
        try channel.writeInbound(head)
        channel.pipeline.fireChannelInactive()
        let error = try #require(throws: ThriftWireError.self) { try pending.wait() }
        guard case .truncated = error.kind else { Issue.record("got \(error)"); return }
    }
}
