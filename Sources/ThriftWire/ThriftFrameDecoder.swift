import NIOCore

/// Splits a TFramedTransport byte stream into frames: `[i32 length N][N bytes]`, one message each.
///
/// The length is checked against `maxFrameSize` before any body byte is buffered. A "length"
/// whose bytes are really the start of an unframed message (`80 01 ..` binary, `82 ..` compact)
/// is reported as `.transportMismatch`, which tells an operator far more than "frame too large".
///
///     +----------+---------------------------+
///     | 00 00 00 16 | 80 01 00 01 ... 00     |   frame length 22, then one message
///     +----------+---------------------------+
public struct ThriftFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    public let maxFrameSize: Int

    public init(maxFrameSize: Int = ThriftLimits.defaultMaxFrameSize) {
        self.maxFrameSize = maxFrameSize
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try nextFrame(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while let frame = try nextFrame(&buffer) {
            context.fireChannelRead(Self.wrapInboundOut(frame))
        }
        if buffer.readableBytes > 0 {
            let available = buffer.readableBytes
            buffer.moveReaderIndex(forwardBy: available)
            throw ThriftWireError(.truncated(needed: 4, available: available), at: 0, "frame cut off by connection close")
        }
        return .needMoreData
    }

    /// The next whole frame, nil while more bytes are needed. Usable without a channel.
    public func nextFrame(_ buffer: inout ByteBuffer) throws -> ByteBuffer? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return nil }
        if length < 0 || Int(length) > maxFrameSize {
            throw Self.badFrameHeader(length, buffer: buffer, maxFrameSize: maxFrameSize)
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        return buffer.readSlice(length: Int(length))!
    }

    static func badFrameHeader(_ length: Int32, buffer: ByteBuffer, maxFrameSize: Int) -> ThriftWireError {
        let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) ?? 0
        let second = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self) ?? 0
        if first == 0x80 && second == 0x01 {
            return ThriftWireError(
                .transportMismatch("an unframed binary-protocol message (80 01 ...) arrived at a framed reader"),
                at: 0, "frame header")
        }
        if first == CompactProtocolConstants.protocolID && second & CompactProtocolConstants.versionMask == 1 {
            return ThriftWireError(
                .transportMismatch("an unframed compact-protocol message (82 ...) arrived at a framed reader"),
                at: 0, "frame header")
        }
        if length < 0 {
            return ThriftWireError(.negativeFrameSize(length), at: 0, "frame header")
        }
        return ThriftWireError(.frameTooLarge(size: Int(length), limit: maxFrameSize), at: 0, "frame header")
    }
}

/// Prefixes each outgoing message with its 4-byte big-endian length.
public struct ThriftFrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = ByteBuffer

    public init() {}

    public func encode(data: ByteBuffer, out: inout ByteBuffer) throws {
        out.reserveCapacity(4 + data.readableBytes)
        out.writeInteger(Int32(data.readableBytes))
        out.writeImmutableBuffer(data)
    }
}
