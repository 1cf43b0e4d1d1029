import Foundation
import NIOCore
import Testing
@testable import ThriftWire

/// THeader frames against the bytes Apache Thrift's own Python library writes
/// (`demo/python/golden_wire.py`, run here), and against hostile frames.
@Suite("THeader frames")
struct THeaderTests {
    /// golden_wire.py's lines, NAME → bytes; written by python3-thrift in this run.
    static let golden: [String: [UInt8]] = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [root.appendingPathComponent("demo/python/golden_wire.py").path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardInput = FileHandle.nullDevice
        try? process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var lines: [String: [UInt8]] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { lines[String(parts[0])] = hexBytes(String(parts[1])) }
        }
        return lines
    }()

    /// The frame after its 4-byte length, as `ThriftFrameDecoder` hands it on.
    func frame(_ name: String) throws -> ByteBuffer {
        var input = buffer(try #require(Self.golden[name], "golden_wire.py printed no \(name)"))
        let frame = try #require(try ThriftFrameDecoder().nextFrame(&input))
        #expect(input.readableBytes == 0)
        return frame
    }

    @Test(arguments: ["header_getStatus_call_binary", "header_getStatus_call_compact", "header_getStatus_call_binary_zlib",
                      "header_getStatus_call_binary_info", "header_getStatus_reply_binary", "header_getStatus_reply_compact"])
    func pythonsFramesDecodeAndReencodeByteForByte(_ name: String) throws {
        let (metadata, payload) = try THeaderCodec.decode(try frame(name))
        #expect(metadata.sequenceID == 7)
        #expect(metadata.protocolKind == (name.hasSuffix("compact") ? .compact : .binary))
        #expect(metadata.transforms == (name.hasSuffix("zlib") ? [.zlib] : []))
        let message = try ThriftMessage(decoding: payload, protocolKind: metadata.protocolKind)
        #expect(message.header.name == "getStatus")
        #expect(message.header.sequenceID == 7)
        if name.contains("reply") {
            #expect(try FB303.GetStatus.success(from: message.result(as: FB303.GetStatus.Result.self)) == .alive)
        }
        // Written again from what was read: the same bytes, zlib included (the same system zlib).
        let encoded = THeaderCodec.encode(payload, metadata: metadata)
        #expect(Array(encoded.readableBytesView) == Self.golden[name])
    }

    @Test func infoHeadersAreReadInOrderAndWrittenAsPythonWritesThem() throws {
        let (metadata, payload) = try THeaderCodec.decode(try frame("header_getStatus_call_binary_info"))
        #expect(metadata.infoHeaders == [THeaderInfo("client", "thrifttop"), THeaderInfo("trace", "abc")])
        let call = ThriftMessage.encode(ThriftMessageHeader(name: "getStatus", type: .call, sequenceID: 7), body: ThriftEmptyStruct(), protocolKind: .binary)
        #expect(call == payload)
        let ours = THeaderCodec.encode(call, metadata: THeaderMetadata(sequenceID: 7, protocolKind: .binary,
                                                                         infoHeaders: [THeaderInfo("client", "thrifttop"), THeaderInfo("trace", "abc")]))
        #expect(Array(ours.readableBytesView) == Self.golden["header_getStatus_call_binary_info"])
    }

    /// A frame: magic, flags 0, seqid 1, the header bytes padded, then the payload.
    func handMade(header: [UInt8], payload: [UInt8] = [0x80, 0x01, 0x00, 0x01, 0, 0, 0, 1, 0x78, 0, 0, 0, 1, 0]) -> ByteBuffer {
        let padded = header + Array(repeating: 0, count: (4 - header.count % 4) % 4)
        var frame = ByteBuffer()
        frame.writeInteger(THeaderMetadata.magic)
        frame.writeInteger(UInt16(0))
        frame.writeInteger(Int32(1))
        frame.writeInteger(UInt16(padded.count / 4))
        frame.writeBytes(padded + payload)
        return frame
    }

    @Test func aTransformOtherThanZlibIsRefusedByName() {
        let error = #expect(throws: ThriftWireError.self) { try THeaderCodec.decode(handMade(header: [0x00, 0x01, 0x03])) }
        #expect(error?.kind == .unsupportedTransform(id: 3, name: "snappy"))
        #expect(error?.description.contains("transform 3 (snappy) is not supported") == true)
        #expect(wireErrorKind { _ = try THeaderCodec.decode(handMade(header: [0x00, 0x01, 0x05])) } == .unsupportedTransform(id: 5, name: "zstd"))
    }

    @Test func moreTransformsThanAnyClientUsesAreRefused() {
        // zlib three times over: each layer would be a whole inflate of the payload.
        #expect(wireErrorKind { _ = try THeaderCodec.decode(handMade(header: [0x00, 0x03, 0x01, 0x01, 0x01])) }
                == .badTHeader("3 transforms; at most 2 are taken"))
    }

    @Test func lengthsAndCountsBeyondTheFrameAreRefusedBeforeAllocating() {
        // Header size (in words) beyond the frame.
        var tooLong = handMade(header: [0x00, 0x00])
        tooLong.setInteger(UInt16(0xFFFF), at: 8)
        #expect(wireErrorKind { _ = try THeaderCodec.decode(tooLong) } == .lengthExceedsFrame(length: 0xFFFF * 4, remaining: 18))
        // A billion info headers in a few bytes.
        #expect(wireErrorKind { _ = try THeaderCodec.decode(handMade(header: [0x00, 0x00, 0x01, 0x80, 0x80, 0x80, 0x80, 0x04])) }
                .map { if case .badTHeader = $0 { true } else { false } } == true)
        // A key longer than the header.
        #expect(wireErrorKind { _ = try THeaderCodec.decode(handMade(header: [0x00, 0x00, 0x01, 0x01, 0x7F, 0x61])) }
                .map { if case .lengthExceedsFrame = $0 { true } else { false } } == true)
        // A protocol id nobody defines, and a varint that never ends.
        #expect(wireErrorKind { _ = try THeaderCodec.decode(handMade(header: [0x07, 0x00])) }.map { if case .badTHeader = $0 { true } else { false } } == true)
        #expect(wireErrorKind { _ = try THeaderCodec.decode(handMade(header: Array(repeating: 0xFF, count: 12))) } == .varintTooLong)
    }

    @Test func aZlibPayloadMayNotInflateBeyondTheFrameLimit() throws {
        let zeros = ByteBuffer(repeating: 0, count: 2_000_000)
        let bomb = THeaderCodec.encode(zeros, metadata: THeaderMetadata(protocolKind: .binary, transforms: [.zlib]))
        #expect(bomb.readableBytes < 10_000, "two megabytes of zeros compress to a few kilobytes")
        var input = bomb
        let frame = try #require(try ThriftFrameDecoder().nextFrame(&input))
        #expect(wireErrorKind { _ = try THeaderCodec.decode(frame, limits: ThriftLimits(maxFrameSize: 1_000_000)) }
                == .frameTooLarge(size: 1_000_001, limit: 1_000_000))
        // Within the limit it inflates whole.
        #expect(try THeaderCodec.decode(frame, limits: ThriftLimits(maxFrameSize: 2_000_000)).payload == zeros)
    }

    @Test func aCutOrCorruptZlibPayloadIsNamed() throws {
        let frame = try frame("header_getStatus_call_binary_zlib")
        let cut = frame.getSlice(at: frame.readerIndex, length: frame.readableBytes - 6)!
        #expect(wireErrorKind { _ = try THeaderCodec.decode(cut) } == .badTHeader("the zlib payload does not inflate: the zlib stream is cut off"))
        var corrupt = frame
        corrupt.setInteger(UInt8(0xFF), at: corrupt.readerIndex + corrupt.readableBytes - 8)
        #expect(wireErrorKind { _ = try THeaderCodec.decode(corrupt) }.map { if case .badTHeader = $0 { true } else { false } } == true)
    }

    @Test func aFrameWithoutTheMagicIsNotTHeader() throws {
        var input = buffer(GoldenBytesTests.getStatusCall)
        let plain = try #require(try ThriftFrameDecoder().nextFrame(&input))
        #expect(!THeaderCodec.isTHeader(plain))
        #expect(wireErrorKind { _ = try THeaderCodec.decode(plain) }.map { if case .badTHeader = $0 { true } else { false } } == true)
    }
}
