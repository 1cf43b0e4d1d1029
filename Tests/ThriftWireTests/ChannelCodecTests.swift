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

    func clientChannel(_ kind: ThriftProtocolKind = .binary) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ThriftClientHandler(protocolKind: kind))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        return channel
    }

    func call(_ channel: EmbeddedChannel, _ method: String) -> EventLoopFuture<ThriftMessage> {
        let promise = channel.eventLoop.makePromise(of: ThriftMessage.self)
        channel.writeAndFlush(ThriftClientCall(method: method, args: ThriftMessage.encodeStruct(ThriftEmptyStruct(), protocolKind: .binary), reply: promise), promise: nil)
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
}
