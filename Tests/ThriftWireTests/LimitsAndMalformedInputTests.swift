import NIOCore
import Testing
@testable import ThriftWire

/// Every limit and malformed-input case yields the typed error that names it, never a crash,
/// and never an allocation larger than the input.
@Suite("Limits and malformed input")
struct LimitsAndMalformedInputTests {
    /// A binary-protocol REPLY envelope for `getStatus`, seqid 0, followed by `body`.
    func binaryReply(_ body: [UInt8]) -> ByteBuffer {
        buffer(hexBytes("80 01 00 02 00 00 00 09") + Array("getStatus".utf8) + [0, 0, 0, 0] + body)
    }

    func readAny(_ bytes: ByteBuffer, _ kind: ThriftProtocolKind = .binary, limits: ThriftLimits = .default) throws {
        let message = try ThriftMessage(decoding: bytes, protocolKind: kind, limits: limits)
        _ = try message.decodeBody(as: AnyStruct.self)
    }

    @Test func aFrameLargerThanTheMaximumIsRejectedFromItsHeader() throws {
        var input = buffer([0x00, 0xFA, 0x00, 0x01])  // 16,384,001 bytes announced, none sent
        #expect(wireErrorKind { _ = try ThriftFrameDecoder().nextFrame(&input) } == .frameTooLarge(size: 16_384_001, limit: 16_384_000))
        var small = buffer([0x00, 0x00, 0x01, 0x01])
        #expect(wireErrorKind { _ = try ThriftFrameDecoder(maxFrameSize: 256).nextFrame(&small) } == .frameTooLarge(size: 257, limit: 256))
    }

    @Test func theDefaultMaximumFrameSizeIsLibthrifts() throws {
        #expect(ThriftLimits().maxFrameSize == 16_384_000)
        #expect(ThriftLimits().maxDepth == 64)
    }

    @Test func aNegativeFrameSizeIsNamed() throws {
        var input = buffer([0xFF, 0xFF, 0xFF, 0xFE])
        #expect(wireErrorKind { _ = try ThriftFrameDecoder().nextFrame(&input) } == .negativeFrameSize(-2))
    }

    @Test func anUnframedBinaryMessageAtAFramedReaderIsATransportMismatch() throws {
        var input = buffer(hexBytes("80 01 00 01 00 00 00 09") + Array("getStatus".utf8))
        let error = try #require(throws: ThriftWireError.self) { _ = try ThriftFrameDecoder().nextFrame(&input) }
        guard case let .transportMismatch(detail) = error.kind else { Issue.record("got \(error)"); return }
        #expect(detail.contains("unframed binary"))
    }

    @Test func anUnframedCompactMessageAtAFramedReaderIsATransportMismatch() throws {
        var input = buffer([0x82, 0x21, 0x00, 0x09] + Array("getStatus".utf8))
        guard case .transportMismatch = wireErrorKind({ _ = try ThriftFrameDecoder().nextFrame(&input) }) else {
            Issue.record("expected a transport mismatch")
            return
        }
    }

    @Test func aFramedMessageAtAnUnframedReaderIsATransportMismatch() throws {
        for kind in ThriftProtocolKind.allCases {
            let message = ThriftMessage.encode(ThriftMessageHeader(name: "getStatus", type: .reply, sequenceID: 0),
                                               body: ThriftSuccessResult(success: FBStatus.alive), protocolKind: kind)
            var input = framed(message)
            guard case .transportMismatch = wireErrorKind({ _ = try ThriftUnframedDecoder(protocolKind: kind).nextMessage(&input) }) else {
                Issue.record("\(kind): expected a transport mismatch")
                continue
            }
        }
    }

    @Test func aStringLongerThanTheFrameIsRejectedBeforeAllocating() throws {
        // field 1 string, length 0x7fffffff, 3 bytes present.
        let bytes = binaryReply([0x0B, 0x00, 0x01, 0x7F, 0xFF, 0xFF, 0xFF, 0x61, 0x62, 0x63])
        #expect(wireErrorKind { try readAny(bytes) } == .lengthExceedsFrame(length: 0x7FFF_FFFF, remaining: 3))
    }

    @Test func aNegativeStringLengthIsRejected() throws {
        let bytes = binaryReply([0x0B, 0x00, 0x01, 0xFF, 0xFF, 0xFF, 0xF0])
        #expect(wireErrorKind { try readAny(bytes) } == .negativeLength(-16))
    }

    @Test func aContainerCountNoRemainingBytesCouldHoldIsRejected() throws {
        // list<i64> of 1,000,000 elements with 8 bytes left: at least 8,000,000 bytes needed.
        let list = binaryReply([0x0F, 0x00, 0x01, 0x0A, 0x00, 0x0F, 0x42, 0x40] + Array(repeating: 0, count: 8))
        #expect(wireErrorKind { try readAny(list) } == .lengthExceedsFrame(length: 1_000_000, remaining: 8))
        // map<i32,i32> claiming 2^31-1 entries: the multiplication must not overflow into a pass.
        let map = binaryReply([0x0D, 0x00, 0x01, 0x08, 0x08, 0x7F, 0xFF, 0xFF, 0xFF])
        #expect(wireErrorKind { try readAny(map) } == .lengthExceedsFrame(length: 0x7FFF_FFFF, remaining: 0))
        let set = binaryReply([0x0E, 0x00, 0x01, 0x08, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(wireErrorKind { try readAny(set) } == .negativeLength(-1))
    }

    @Test func compactContainerAndStringLimitsHoldToo() throws {
        let header: [UInt8] = [0x82, 0x41, 0x00, 0x01, 0x78]  // REPLY, seqid 0, name "x"
        // field 1 binary with varint length 1000, 2 bytes present
        #expect(wireErrorKind { try readAny(buffer(header + [0x18, 0xE8, 0x07, 0x61, 0x62]), .compact) }
                == .lengthExceedsFrame(length: 1000, remaining: 2))
        // field 1 list<double> of 20 elements, nothing after
        #expect(wireErrorKind { try readAny(buffer(header + [0x19, 0xF7, 0x14]), .compact) }
                == .lengthExceedsFrame(length: 20, remaining: 0))
        // a varint that never ends
        #expect(wireErrorKind { try readAny(buffer(header + [0x15] + Array(repeating: 0xFF, count: 12)), .compact) } == .varintTooLong)
    }

    @Test func nestingDeeperThanTheLimitIsRejected() throws {
        // 70 nested structs: field 1 of type struct, again and again.
        var body: [UInt8] = []
        for _ in 0..<70 { body += [0x0C, 0x00, 0x01] }
        let bytes = binaryReply(body + Array(repeating: 0, count: 71))
        #expect(wireErrorKind { try readAny(bytes) } == .depthExceeded(limit: 64))
        #expect(wireErrorKind { try readAny(bytes, limits: ThriftLimits(maxDepth: 100)) } == nil)
        // lists count as nesting as well
        var lists: [UInt8] = [0x0F, 0x00, 0x01]
        for _ in 0..<70 { lists += [0x0F, 0x00, 0x00, 0x00, 0x01] }
        #expect(wireErrorKind { try readAny(binaryReply(lists + [0x0F, 0, 0, 0, 0, 0])) } == .depthExceeded(limit: 64))
    }

    @Test func unknownTypeIdsAreRejected() throws {
        #expect(wireErrorKind { try readAny(binaryReply([0x07, 0x00, 0x01, 0x00])) } == .unknownType(7))
        #expect(wireErrorKind { try readAny(binaryReply([0x0F, 0x00, 0x01, 0x63, 0, 0, 0, 0])) } == .unknownType(0x63))
        let compact: [UInt8] = [0x82, 0x41, 0x00, 0x01, 0x78, 0x1E]  // type nibble 14
        #expect(wireErrorKind { try readAny(buffer(compact), .compact) } == .unknownType(14))
    }

    @Test func aFrameThatEndsMidValueIsTruncated() throws {
        #expect(wireErrorKind { try readAny(binaryReply([0x08, 0x00, 0x00, 0x00, 0x02])) } == .truncated(needed: 4, available: 2))
        #expect(wireErrorKind { try readAny(binaryReply([0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02])) } == .truncated(needed: 1, available: 0))
        #expect(wireErrorKind { try readAny(buffer([0x80, 0x01])) } == .truncated(needed: 4, available: 2))
    }

    @Test func badVersionsProtocolIdsAndMessageTypesAreNamed() throws {
        #expect(wireErrorKind { try readAny(buffer([0x80, 0x02, 0x00, 0x01])) } == .badVersion(0x8002_0000))
        #expect(wireErrorKind { try readAny(buffer([0x80, 0x01, 0x00, 0x09])) } == .unknownMessageType(9))
        #expect(wireErrorKind { try readAny(buffer([0x81, 0x21]), .compact) } == .badProtocolId(0x81))
        #expect(wireErrorKind { try readAny(buffer([0x82, 0x22]), .compact) } == .badCompactVersion(2))
        #expect(wireErrorKind { try readAny(buffer([0x82, 0xE1]), .compact) } == .unknownMessageType(7))
    }

    @Test func errorsSayWhatAndWhere() throws {
        let bytes = binaryReply([0x0B, 0x00, 0x01, 0x7F, 0xFF, 0xFF, 0xFF])
        let error = try #require(throws: ThriftWireError.self) { try readAny(bytes) }
        #expect(error.description == "length 2147483647 exceeds the 0 bytes left in the frame (binary length, at byte 7)")
    }

    @Test func anUnframedMessageGrowingPastTheLimitFailsInsteadOfWaiting() throws {
        // A name length of 1 MiB with a 64 KiB limit: fail at once, do not wait for the bytes.
        var input = buffer([0x80, 0x01, 0x00, 0x02, 0x00, 0x10, 0x00, 0x00, 0x61])
        let decoder = ThriftUnframedDecoder(protocolKind: .binary, limits: ThriftLimits(maxFrameSize: 65536))
        guard case .messageTooLarge = wireErrorKind({ _ = try decoder.nextMessage(&input) }) else {
            Issue.record("expected messageTooLarge")
            return
        }
        // Within the limit, the same shape just waits for more bytes.
        var partial = buffer([0x80, 0x01, 0x00, 0x02, 0x00, 0x00, 0x01, 0x00, 0x61])
        #expect(try decoder.nextMessage(&partial) == nil)
        #expect(partial.readableBytes == 9)
    }

    @Test func unknownFieldsOfEveryTypeAreSkippedNested() throws {
        // getStatus result with unknown fields (ids 5..9) of string, map, list<struct>, set, double around the success.
        var writer = BinaryProtocolWriter()
        writer.writeStruct { w in
            w.writeFieldBegin(type: .string, id: 5); w.writeString("ignored")
            w.writeFieldBegin(type: .map, id: 6); w.writeMapBegin(key: .string, value: .list, count: 1)
            w.writeString("k"); w.writeListBegin(element: .i64, count: 2); w.writeI64(1); w.writeI64(2)
            w.writeFieldBegin(type: .list, id: 7); w.writeListBegin(element: .struct, count: 1)
            w.writeStruct { $0.writeField(1, Int32(3)); $0.writeFieldBegin(type: .struct, id: 2); $0.writeStruct { $0.writeField(1, true) } }
            w.writeField(0, FBStatus.stopping)
            w.writeFieldBegin(type: .set, id: 8); w.writeSetBegin(element: .double, count: 1); w.writeDouble(1.5)
            w.writeField(9, 2.5)
        }
        let result = try decode(FB303.GetStatus.Result.self, writer.buffer, .binary)
        #expect(result.success == .stopping)
        // And a success field of the wrong type is skipped, not misread.
        var wrong = BinaryProtocolWriter()
        wrong.writeStruct { $0.writeField(0, "ALIVE") }
        #expect(try decode(FB303.GetStatus.Result.self, wrong.buffer, .binary).success == nil)
        #expect(throws: TApplicationException(.missingResult, message: "getStatus failed: unknown result")) {
            try FB303.GetStatus.success(from: try decode(FB303.GetStatus.Result.self, wrong.buffer, .binary))
        }
    }
}
