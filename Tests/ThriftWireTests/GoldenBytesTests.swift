import NIOCore
import Testing
@testable import ThriftWire

/// Exact bytes captured from Apache Thrift 0.17 (shared/data/thrift-wire-samples.txt): our codec
/// must produce and accept them to the byte.
@Suite("Golden bytes from Apache Thrift 0.17")
struct GoldenBytesTests {
    static let getStatusCall = hexBytes("00 00 00 16 80 01 00 01 00 00 00 09 67 65 74 53 74 61 74 75 73 00 00 00 00 00")
    static let getStatusReplyAlive = hexBytes(
        "00 00 00 1d 80 01 00 02 00 00 00 09 67 65 74 53 74 61 74 75 73 00 00 00 00 08 00 00 00 00 00 02 00")
    static let unknownMethodCall = hexBytes(
        "00 00 00 19 80 01 00 01 00 00 00 0c 6e 6f 53 75 63 68 4d 65 74 68 6f 64 00 00 00 07 00")
    static let unknownMethodReplyCpp = hexBytes("""
        00 00 00 4a 80 01 00 03 00 00 00 0c 6e 6f 53 75 63 68 4d 65 74 68 6f 64 00 00 00 07
        0b 00 01 00 00 00 23 49 6e 76 61 6c 69 64 20 6d 65 74 68 6f 64 20 6e 61 6d 65 3a 20
        27 6e 6f 53 75 63 68 4d 65 74 68 6f 64 27 08 00 02 00 00 00 01 00
        """)
    static let unknownMethodReplyPython = hexBytes("""
        00 00 00 44 80 01 00 03 00 00 00 0c 6e 6f 53 75 63 68 4d 65 74 68 6f 64 00 00 00 07
        0b 00 01 00 00 00 1d 55 6e 6b 6e 6f 77 6e 20 66 75 6e 63 74 69 6f 6e 20 6e 6f 53 75
        63 68 4d 65 74 68 6f 64 08 00 02 00 00 00 01 00
        """)
    static let internalErrorReply = hexBytes("""
        00 00 00 4f 80 01 00 03 00 00 00 09 67 65 74 53 74 61 74 75 73 00 00 00 00 0b 00 01
        00 00 00 2b 69 6e 6a 65 63 74 65 64 20 66 61 69 6c 75 72 65 20 28 2d 2d 66 61 69 6c
        2d 72 61 74 65 29 20 69 6e 20 67 65 74 53 74 61 74 75 73 08 00 02 00 00 00 06 00
        """)

    /// Splits one frame with our frame decoder and parses its envelope.
    func message(_ bytes: [UInt8]) throws -> ThriftMessage {
        var input = buffer(bytes)
        let frame = try #require(try ThriftFrameDecoder().nextFrame(&input))
        #expect(input.readableBytes == 0)
        return try ThriftMessage(decoding: frame, protocolKind: .binary)
    }

    @Test func encodingAGetStatusCallMatchesTheGeneratedClients() throws {
        let header = ThriftMessageHeader(name: "getStatus", type: .call, sequenceID: 0)
        let encoded = framed(ThriftMessage.encode(header, body: ThriftEmptyStruct(), protocolKind: .binary))
        #expect(Array(encoded.readableBytesView) == Self.getStatusCall)
    }

    @Test func encodingAnUnknownMethodCallWithSeqid7Matches() throws {
        let header = ThriftMessageHeader(name: "noSuchMethod", type: .call, sequenceID: 7)
        let encoded = framed(ThriftMessage.encode(header, body: ThriftEmptyStruct(), protocolKind: .binary))
        #expect(Array(encoded.readableBytesView) == Self.unknownMethodCall)
    }

    @Test func decodingTheAliveReplyGivesAlive() throws {
        let reply = try message(Self.getStatusReplyAlive)
        #expect(reply.header == ThriftMessageHeader(name: "getStatus", type: .reply, sequenceID: 0))
        let result = try reply.result(as: FB303.GetStatus.Result.self)
        #expect(try FB303.GetStatus.success(from: result) == .alive)
    }

    @Test func encodingTheAliveReplyMatchesTheServers() throws {
        let header = ThriftMessageHeader(name: "getStatus", type: .reply, sequenceID: 0)
        let encoded = framed(ThriftMessage.encode(header, body: ThriftSuccessResult(success: FBStatus.alive), protocolKind: .binary))
        #expect(Array(encoded.readableBytesView) == Self.getStatusReplyAlive)
    }

    @Test func decodingTheCppUnknownMethodReplyGivesTypeAndText() throws {
        let reply = try message(Self.unknownMethodReplyCpp)
        #expect(reply.header == ThriftMessageHeader(name: "noSuchMethod", type: .exception, sequenceID: 7))
        #expect(throws: TApplicationException(.unknownMethod, message: "Invalid method name: 'noSuchMethod'")) {
            try reply.result(as: FB303.GetStatus.Result.self)
        }
    }

    @Test func decodingThePythonUnknownMethodReplyGivesTypeAndText() throws {
        let reply = try message(Self.unknownMethodReplyPython)
        #expect(throws: TApplicationException(.unknownMethod, message: "Unknown function noSuchMethod")) {
            try reply.result(as: FB303.GetStatus.Result.self)
        }
    }

    @Test func decodingTheInternalErrorReplyGivesInternalError() throws {
        let reply = try message(Self.internalErrorReply)
        let expected = TApplicationException(.internalError, message: "injected failure (--fail-rate) in getStatus")
        #expect(throws: expected) { try reply.result(as: FB303.GetStatus.Result.self) }
        #expect(expected.description == "INTERNAL_ERROR: injected failure (--fail-rate) in getStatus")
    }

    @Test func encodingExceptionsMatchesLibthriftFieldOrder() throws {
        let header = ThriftMessageHeader(name: "noSuchMethod", type: .exception, sequenceID: 7)
        let cpp = TApplicationException(.unknownMethod, message: "Invalid method name: 'noSuchMethod'")
        #expect(Array(framed(ThriftMessage.encode(header, body: cpp, protocolKind: .binary)).readableBytesView) == Self.unknownMethodReplyCpp)
        let internalError = TApplicationException(.internalError, message: "injected failure (--fail-rate) in getStatus")
        let header2 = ThriftMessageHeader(name: "getStatus", type: .exception, sequenceID: 0)
        #expect(Array(framed(ThriftMessage.encode(header2, body: internalError, protocolKind: .binary)).readableBytesView) == Self.internalErrorReply)
    }

    @Test func allApplicationExceptionTypeCodesHaveTheirApacheNames() throws {
        let names = (0...10).map { TApplicationException.Kind(code: Int32($0)).description }
        #expect(names == [
            "UNKNOWN", "UNKNOWN_METHOD", "INVALID_MESSAGE_TYPE", "WRONG_METHOD_NAME", "BAD_SEQUENCE_ID",
            "MISSING_RESULT", "INTERNAL_ERROR", "PROTOCOL_ERROR", "INVALID_TRANSFORM", "INVALID_PROTOCOL",
            "UNSUPPORTED_CLIENT_TYPE",
        ])
        #expect(TApplicationException.Kind(code: 42) == .other(42))
        #expect((0...10).allSatisfy { TApplicationException.Kind(code: Int32($0)).code == Int32($0) })
    }

    @Test func unknownFbStatusValuesDecodeLeniently() throws {
        var bytes = Self.getStatusReplyAlive
        bytes[bytes.count - 2] = 9  // fb_status 9: not in the enum
        let result = try message(bytes).result(as: FB303.GetStatus.Result.self)
        #expect(result.success == .unknown(9))
        #expect(FBStatus.unknown(9).description == "UNKNOWN(9)")
    }

    @Test func oldNonStrictMessageHeadersAreRead() throws {
        // name length, name, type byte, seqid: what pre-strict writers send.
        var body = ByteBuffer()
        body.writeInteger(Int32(9))
        body.writeString("getStatus")
        body.writeInteger(UInt8(2))
        body.writeInteger(Int32(5))
        body.writeBytes([0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00])
        let reply = try ThriftMessage(decoding: body, protocolKind: .binary)
        #expect(reply.header == ThriftMessageHeader(name: "getStatus", type: .reply, sequenceID: 5))
        #expect(try reply.result(as: FB303.GetStatus.Result.self).success == .warning)
    }

    @Test func compactMessageHeaderLayout() throws {
        let header = ThriftMessageHeader(name: "getStatus", type: .call, sequenceID: 300)
        let encoded = ThriftMessage.encode(header, body: ThriftEmptyStruct(), protocolKind: .compact)
        // 82, version 1 | CALL << 5, seqid 300 as varint (ac 02), name length 9, name, empty struct.
        #expect(Array(encoded.readableBytesView) == [0x82, 0x21, 0xAC, 0x02, 0x09] + Array("getStatus".utf8) + [0x00])
        #expect(try ThriftMessage(decoding: encoded, protocolKind: .compact).header == header)
    }
}
